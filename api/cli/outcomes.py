"""``fostermatch outcomes``: the outcome measures for a period, by group, with disparities.

Registered in ``api/cli/main.py`` by :func:`add_outcomes_command`. Exit status as for every
command: 0 done, 1 failed, 2 bad input (an unknown ``--by``, a date that is not a date, a
period that ends before it starts, a bad settings file) — always a one-line message on stderr,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from api.responses import OutcomeReport, wire

__all__ = ["BREAKDOWNS", "add_outcomes_command", "cmd_outcomes", "parse_by"]

# outcomes.BREAKDOWNS, repeated so that building the parser does not import pandas for every
# other command (a test keeps the two equal)
BREAKDOWNS = ("race", "sex", "age", "community")

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
PROG = "fostermatch outcomes"


class BadOption(ValueError):
    """A command-line value that cannot be used; the message names the option."""


def _date(option: str, raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadOption(f"{option}: {raw!r} is not a date; expected YYYY-MM-DD") from None


def parse_by(raw: list[str] | None) -> list[str]:
    """The breakdowns of ``--by`` (repeated or comma-separated; ``all`` for every one)."""
    chosen: list[str] = []
    for item in raw or []:
        for part in item.split(","):
            name = part.strip().lower()
            if not name:
                continue
            if name == "all":
                chosen.extend(BREAKDOWNS)
            elif name in BREAKDOWNS:
                chosen.append(name)
            else:
                raise BadOption(
                    f"--by: unknown breakdown {part.strip()!r}; "
                    f"choose from {', '.join(BREAKDOWNS)} (or all)"
                )
    return list(dict.fromkeys(chosen))


def _reference(raw: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw or []:
        breakdown, sep, group = item.partition("=")
        if not sep or breakdown.strip() not in BREAKDOWNS or not group.strip():
            raise BadOption(
                f"--reference: {item!r} should be BREAKDOWN=GROUP with BREAKDOWN one of "
                f"{', '.join(BREAKDOWNS)}, e.g. race=white"
            )
        out[breakdown.strip()] = group.strip()
    return out


def cmd_outcomes(args: argparse.Namespace) -> int:
    """Run ``fostermatch outcomes``; returns the exit status."""
    from outcomes import OutcomeInputError, load_settings

    try:
        start = _date("--from", args.date_from)
        end = _date("--to", args.date_to)
        if start and end and end < start:
            raise BadOption(f"--to {end} is before --from {start}")
        by = parse_by(args.by)
        settings = load_settings(args.settings)
        changes: dict[str, Any] = {}
        if args.suppress_below is not None:
            if args.suppress_below < 1:
                raise BadOption("--suppress-below: must be 1 (no suppression) or more")
            changes["suppress_below"] = args.suppress_below
        reference = _reference(args.reference)
        if reference:
            changes["reference"] = {**settings.reference, **reference}
        if changes:
            settings = settings.with_changes(**changes)
    except (BadOption, ValueError, OSError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT

    from api.services.outcomes import load_outcome_tables
    from data.db import make_engine, upgrade
    from outcomes import evaluate

    engine = make_engine(getattr(args, "database_url", None))
    try:
        upgrade(engine)
        tables = load_outcome_tables(engine=engine)
    finally:
        engine.dispose()
    try:
        report = evaluate(tables, start=start, end=end, by=by, settings=settings)
    except (OutcomeInputError, ValueError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.csv is not None:
        try:
            report.write_csv(args.csv)
        except OSError as error:
            print(f"{PROG}: cannot write {args.csv}: {error.strerror}", file=sys.stderr)
            return EXIT_FAILED
    if args.json:
        print(json.dumps(wire(OutcomeReport, report.to_json()), indent=2))
    else:
        print(report.summary())
        if args.csv is not None:
            print(f"\nwritten to {args.csv}")
    return EXIT_OK


def add_outcomes_command(commands: Any) -> None:
    """Add the ``outcomes`` sub-command to argparse's sub-parsers object ``commands``."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "outcomes",
        help="outcome measures for a period, overall and by group, with disparities and trends",
        description=(
            "Entry rates, own-community and congregate placements, length of stay, permanency, "
            "re-entry, placement moves and siblings together, overall and by race/ethnicity, "
            "sex, age band or community, with disparity indices and a yearly trend. Counts "
            "1-10 are suppressed."
        ),
    )
    parser.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        help="first day of the period, YYYY-MM-DD (default: the 12 months ending a year "
        "before the latest record, so every 12-month follow-up is complete)",
    )
    parser.add_argument(
        "--to",
        dest="date_to",
        metavar="DATE",
        help="last day of the period, YYYY-MM-DD (point-in-time measures are taken on it)",
    )
    parser.add_argument(
        "--by",
        action="append",
        metavar="{" + ",".join(BREAKDOWNS) + ",all}",
        help="break the measures down by group; repeat or separate with commas",
    )
    parser.add_argument(
        "--reference",
        action="append",
        metavar="BREAKDOWN=GROUP",
        help="reference group of the disparity index, e.g. race=white (default: the largest)",
    )
    parser.add_argument(
        "--suppress-below",
        type=int,
        default=None,
        metavar="N",
        help="suppress counts from 1 to N-1 (default 11: counts 1-10; 1 turns it off)",
    )
    parser.add_argument(
        "--settings",
        type=Path,
        default=None,
        metavar="FILE",
        help="a settings TOML file (default: the shipped outcomes/defaults.toml)",
    )
    parser.add_argument("--csv", type=Path, default=None, metavar="FILE", help="also write CSV")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=cmd_outcomes)
