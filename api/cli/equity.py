"""``fostermatch plan --equity``: the plan's equity audit as a table, or as JSON.

``cmd_plan`` in ``api/cli/main.py`` computes and validates the plan as always, then hands its JSON
here. With ``--json`` only the audit is printed (the shape of ``GET /v1/plans/{id}/equity``),
not the plan: a caller that wants both runs ``plan --json`` too.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

__all__ = ["equity_table", "print_equity"]

_LABELS = {"race": "race/ethnicity", "sex": "sex", "age": "age band"}
_COLUMNS = (
    ("placed_pct", "placed %"),
    ("own_community_pct", "own comm. %"),
    ("mean_distance_km", "mean km"),
    ("siblings_whole_pct", "sibs whole %"),
    ("kin_pct", "kin %"),
)
_GROUP_W, _COUNT_W, _CELL_W = 16, 8, 7  # a measure is two cells: plan, then baseline


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def _measure_cells(row: Mapping[str, Any], baseline: Mapping[str, Any] | None) -> str:
    cells = []
    for key, _ in _COLUMNS:
        cells.append(f"{_cell(row.get(key)):>{_CELL_W}}")
        cells.append(f"{_cell(baseline.get(key)) if baseline else '':>{_CELL_W}}")
    return "".join(cells)


def _header() -> list[str]:
    names = "".join(f"{title:>{2 * _CELL_W}}" for _, title in _COLUMNS)
    sides = "".join(f"{'plan':>{_CELL_W}}{'base':>{_CELL_W}}" for _ in _COLUMNS)
    pad = " " * (_GROUP_W + _COUNT_W)
    return [f"{pad}{names}", f"{'group':<{_GROUP_W}}{'children':>{_COUNT_W}}{sides}"]


def equity_table(audit: Mapping[str, Any]) -> str:
    """The audit as text: one block per dimension, plan beside baseline, then the spreads."""
    threshold = audit["suppression_threshold"]
    baseline = audit.get("baseline")
    lines = [
        f"Equity audit of the plan ({audit['plan'].get('method')}), "
        f"as of {audit.get('as_of', 'the planning date')}",
        f"Groups of 1 to {threshold} waiting children are suppressed (and one more group when "
        "only one is, so that the total does not give it away).",
    ]
    if baseline is None:
        lines.append(
            "No baseline: this plan carries no greedy baseline assignments "
            "(the base columns are empty)."
        )
    lines += ["", *_header()]
    overall = audit["plan"]
    lines.append(
        f"{'all waiting':<{_GROUP_W}}{_cell_count(overall['children']):>{_COUNT_W}}"
        + _measure_cells(overall, baseline)
    )
    for dimension in audit["dimensions"]:
        reference = audit["reference"].get(dimension)
        lines += ["", _LABELS.get(dimension, dimension)]
        for row in (r for r in audit["rows"] if r["dimension"] == dimension):
            name = row["group"] + (" (ref)" if row["group"] == reference else "")
            if row["suppressed"]:
                lines.append(f"  {name:<{_GROUP_W - 2}}{'-':>{_COUNT_W}}  suppressed")
                continue
            lines.append(
                f"  {name:<{_GROUP_W - 2}}{row['children']:>{_COUNT_W}}"
                + _measure_cells(row, row.get("baseline"))
            )
        spread = audit["spread"][dimension]
        cells = "".join(
            f"{_cell(spread[key]['plan']):>{_CELL_W}}"
            f"{_cell(spread[key]['baseline']) if baseline else '':>{_CELL_W}}"
            for key, _ in _COLUMNS
        )
        lines.append(f"  {'spread max-min':<{_GROUP_W + _COUNT_W - 2}}{cells}")
    return "\n".join(lines)


def _cell_count(value: int | None) -> str:
    return "-" if value is None else str(value)


def print_equity(
    args: argparse.Namespace,
    engine: Engine,
    plan: Mapping[str, Any],
    *,
    as_of: date,
    threshold: int,
) -> None:
    """Audit ``plan`` against the records and print the table (or the JSON with ``--json``)."""
    from api.services.equity import plan_equity

    with Session(engine) as session:
        audit = plan_equity(session, plan, as_of=as_of, threshold=threshold)
    if getattr(args, "json", False):
        print(json.dumps(audit, indent=2))
    else:
        print(equity_table(audit))
