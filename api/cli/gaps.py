"""``fostermatch gaps``: recruitment capacity gaps per community and segment.

Registered by :func:`add_gaps_command` on the sub-parsers of ``api.cli.main``. Exit status: 0
done, 2 bad input (an unknown segment or community, a horizon below 1, a bad policy file),
with a one-line message naming the option and what is allowed.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from api.responses import GapReport, wire

__all__ = ["add_gaps_command", "cmd_gaps"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _bad(message: str) -> int:
    print(f"fostermatch gaps: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_gaps(args: argparse.Namespace) -> int:
    """Compute the gaps from the database and print or write them."""
    from sqlmodel import Session

    from api.services.recruitment import load_recruitment_inputs
    from data.db import make_engine, upgrade
    from recruitment import (
        PolicyError,
        backtest,
        compute_gaps,
        gap_geojson,
        load_recruitment_policy,
        svg_map,
    )
    from recruitment.segments import parse_segment

    if args.horizon_months < 1:
        return _bad(
            "--horizon-months must be a whole number of months, 1 or more; "
            f"got {args.horizon_months}"
        )
    segment = None
    if args.segment is not None:
        try:
            segment = parse_segment(args.segment).key
        except ValueError as exc:
            return _bad(f"--segment: {exc}")
    try:
        policy = load_recruitment_policy(args.recruitment_policy)
    except PolicyError as exc:
        return _bad(f"--recruitment-policy: {exc}")
    engine = make_engine(getattr(args, "database_url", None))
    upgrade(engine)
    with Session(engine) as session:
        try:
            data = load_recruitment_inputs(session, as_of=args.as_of)
        except LookupError as exc:
            return _bad(str(exc))
    if args.community is not None and args.community not in data.index:
        known = sorted(data.index.ids)
        sample = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
        return _bad(
            f"--community: unknown community {args.community!r}; expected one of the "
            f"{len(known)} community ids ({sample})"
        )
    result = compute_gaps(
        data.inputs, policy, horizon_months=args.horizon_months, segments=[segment or "all"]
    )
    map_segment = segment or "all"
    written: list[str] = []
    if args.csv:
        result.to_csv(args.csv, segment=segment)
        written.append(f"CSV {args.csv}")
    if args.geojson:
        document = gap_geojson(result, data.index, map_segment)
        Path(args.geojson).write_text(json.dumps(document), encoding="utf-8")
        written.append(f"GeoJSON {args.geojson}")
    if args.svg:
        Path(args.svg).write_text(svg_map(result, data.index, map_segment), encoding="utf-8")
        written.append(f"SVG {args.svg}")
    tested = (
        backtest(data.inputs, policy, horizon_months=args.horizon_months) if args.backtest else None
    )
    if args.json:
        payload = wire(GapReport, result.to_json(segment=segment, community=args.community))
        if tested is not None:
            payload["backtest"] = tested.to_json()
        print(json.dumps(payload, indent=2, default=str))
    else:
        text = result.summary(args.limit, segment=segment, community=args.community)
        if tested is not None:
            text += "\n\n" + tested.summary()
        print(text)
    for item in written:
        print(f"wrote {item}", file=sys.stderr)
    return EXIT_OK


def _horizon(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--horizon-months must be a whole number of months, 1 or more; got {text!r}"
        ) from None


def add_gaps_command(commands: Any) -> None:
    """Add the ``gaps`` sub-command to argparse sub-parsers (``parser.add_subparsers()``)."""
    gaps = commands.add_parser(
        "gaps",
        help="recruitment capacity gaps per community and segment, with outreach partners",
        epilog="The method, every default, suppression and the backtest: docs/recruitment.md",
    )
    gaps.add_argument(
        "--horizon-months", type=_horizon, default=12, help="months ahead (12)", metavar="N"
    )
    gaps.add_argument(
        "--segment",
        default=None,
        help='"all" or dim:value[,dim:value]: age:0-5|6-12|13-17, siblings:1|2|3+, '
        "needs:none|medical|behavioral|developmental|therapeutic, language:CODE "
        "(default: every segment in the table; all for the maps)",
    )
    gaps.add_argument("--community", default=None, metavar="ID", help="one community only")
    gaps.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="the day the figures are for, YYYY-MM-DD (default: the last date in the records)",
    )
    gaps.add_argument("--limit", type=int, default=20, help="rows in the table view (20)")
    gaps.add_argument(
        "--recruitment-policy",
        type=Path,
        default=None,
        help="a recruitment policy TOML file (default: the shipped recruitment/policy.toml)",
    )
    gaps.add_argument("--json", action="store_true", help="print the gaps as JSON")
    gaps.add_argument("--csv", type=Path, default=None, metavar="FILE", help="write CSV")
    gaps.add_argument("--geojson", type=Path, default=None, metavar="FILE", help="write GeoJSON")
    gaps.add_argument("--svg", type=Path, default=None, metavar="FILE", help="write an SVG map")
    gaps.add_argument(
        "--backtest",
        action="store_true",
        help="also project from one horizon ago and report the error against what happened",
    )
    gaps.set_defaults(func=cmd_gaps)
