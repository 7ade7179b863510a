"""``fostermatch replay``: what would have happened on the records under each policy.

Registered in ``api/cli/main.py`` by :func:`add_replay_command`. Exit status as for every
command: 0 done, 1 failed, 2 bad input (a date that is not a date, ``--from`` after ``--to``,
a window outside the records, an unknown policy, a bad policy file), always a one-line
message on stderr. A replay reads the records and never writes one.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from api.cli.common import EXIT_BAD_INPUT, EXIT_OK, disposed_engine, emit, progress_printer

__all__ = ["add_replay_command", "cmd_replay", "write_csv"]

PROG = "fostermatch replay"


def write_csv(path: Path, payload: dict[str, Any]) -> None:
    """One row per policy and one for the recorded history: every metric, the share of the
    hindsight optimum and the runtime."""
    from core.csv_cells import CsvWriter
    from replay import METRICS

    rows = [(p["name"], p) for p in payload["policies"]]
    if payload.get("recorded"):
        rows.append(("recorded", payload["recorded"]))
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = CsvWriter(stream)
        writer.writerow(["policy", *METRICS, "pct_of_hindsight", "runtime_s"])
        for name, row in rows:
            figures = row["metrics"]
            writer.writerow(
                [
                    name,
                    *("" if figures[m] is None else figures[m] for m in METRICS),
                    "" if row.get("pct_of_hindsight") is None else row["pct_of_hindsight"],
                    row.get("runtime_s", ""),
                ]
            )


def cmd_replay(args: argparse.Namespace) -> int:
    """Run ``fostermatch replay``; returns the exit status."""
    from sqlmodel import Session

    from api.services.errors import Invalid
    from api.services.replay import last_year, parse_policies, replay_json, run_replay
    from matching import load_policy

    for option, value in (
        ("--night-limit", args.night_limit),
        ("--hindsight-limit", args.hindsight_limit),
    ):
        if value <= 0:
            print(f"{PROG}: {option} must be more than 0 seconds", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        policies = parse_policies(args.policies)
    except Invalid as exc:
        print(f"{PROG}: --{exc.detail}", file=sys.stderr)
        return EXIT_BAD_INPUT
    policy = load_policy(args.policy)
    with disposed_engine(args) as engine, Session(engine) as session:
        start, end = args.date_from, args.date_to
        if start is None or end is None:
            window = last_year(session)
            if window is not None:
                start, end = start or window[0], end or window[1]
        if start is None or end is None:
            print(f"{PROG}: the records hold no stay in care to replay", file=sys.stderr)
            return EXIT_BAD_INPUT
        try:
            result = run_replay(
                session,
                start,
                end,
                policy,
                policies,
                night_limit_s=args.night_limit,
                hindsight_limit_s=args.hindsight_limit,
                seed=args.seed,
                progress=progress_printer(True),
            )
        except Invalid as exc:
            print(f"{PROG}: {exc.detail}", file=sys.stderr)
            return EXIT_BAD_INPUT
        payload = replay_json(session, result, threshold=policy.suppression_threshold)
        session.rollback()  # (a replay only reads)
    if args.csv:
        write_csv(args.csv, payload)
    emit(args, payload, result.summary())
    return EXIT_OK


def _day(option: str) -> Any:
    def parse(raw: str) -> date:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{raw!r} is not a date; expected YYYY-MM-DD"
            ) from None

    parse.__name__ = option
    return parse


def add_replay_command(commands: Any) -> None:
    """Add ``replay`` to the command line's subcommands."""
    cmd = commands.add_parser(
        "replay",
        help="replay the records' history under each matching policy, beside what happened",
    )
    for option, dest, default in (
        ("--from", "date_from", "a year before the records' last day"),
        ("--to", "date_to", "the records' last day"),
    ):
        cmd.add_argument(
            option,
            dest=dest,
            type=_day(option),
            metavar="DATE",
            help=f"{'first' if dest == 'date_from' else 'last'} day, YYYY-MM-DD "
            f"(default: {default})",
        )
    cmd.add_argument(
        "--policies",
        default="greedy,rank,plan,hindsight",
        help="comma-separated: greedy, rank, plan, hindsight (default: all four)",
    )
    cmd.add_argument("--policy", type=Path, default=None, help="a policy TOML file")
    cmd.add_argument(
        "--night-limit", type=float, default=1.0, help="the plan's seconds each night (1)"
    )
    cmd.add_argument(
        "--hindsight-limit",
        type=float,
        default=60.0,
        help="seconds for the hindsight optimum (60)",
    )
    cmd.add_argument("--seed", type=int, default=0)
    cmd.add_argument("--csv", type=Path, default=None, metavar="FILE", help="write CSV")
    cmd.add_argument("--json", action="store_true", help="print the replay JSON")
    cmd.set_defaults(func=cmd_replay)
