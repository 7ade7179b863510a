"""What a replay reports for each policy and for the recorded history.

Over the children who entered care in the window (the entry cohort, as the outcome measures
count): placed with a family on the day of entry, within 7 days, at all; days waiting for a
family; and, of the placed, own community, kin and distance (the outcome engine's "first
placement in own community", applied to the first family placement); sibling groups kept
whole; placement moves; and the objective over every child of the replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from outcomes.definitions import measure
from replay.history import History
from replay.objective import whole_groups
from replay.world import Stay

__all__ = ["DEFINITIONS", "METRICS", "metrics", "waiting_each_day"]

WEEK = 7

DEFINITIONS: dict[str, str] = {
    "placed_with_family_pct": "children entering care in the window placed with a family "
    "(kin, foster or pre-adoptive home) before they left care or the window closed, in %",
    "placed_on_entry_day_pct": "of them, placed with a family on the day they entered care, in %",
    "placed_within_7_days_pct": "placed with a family within 7 days of entering care, in %",
    "mean_days_waiting": "days from entering care to the first family placement (to leaving "
    "care or the end of the window for a child never placed), mean",
    "p90_days_waiting": "the same days, 90th percentile",
    "own_community_pct": f"{measure('own_community_first').name}: of the children placed, "
    "the first family home in the community of the removal address, in %",
    "siblings_whole_pct": "sibling groups of two or more entering care in the window with "
    "every member placed, all in one home, in %",
    "kin_pct": "of the children placed, placed with kin named for them, in %",
    "mean_distance_km": "of the children placed, km from the removal address to the family "
    "home, mean",
    "moves": f"placement changes after the first placement (as in "
    f"'{measure('moves_per_1000_days').name}'), for the children entering in the window",
    "objective": "the replay's objective over every child of the replay (docs/replay.md)",
}
METRICS = tuple(DEFINITIONS)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def metrics(
    history: History, stays: Iterable[Stay], objective: int, *, moves: int | None = None
) -> dict[str, float | int | None]:
    """The metrics of one run's placements (``moves``: given for the recorded history,
    else each child placed after their day of entry moved once, from where they waited)."""
    placed = {s.child_id: s for s in stays}
    entries = [a for a in history.arrivals if a.entered]
    closes = history.end.toordinal() + 1
    waits: list[int] = []
    same_day = within_week = 0
    mine: list[Stay] = []
    for a in entries:
        stay = placed.get(a.id)
        if stay is not None:
            mine.append(stay)
            waited = (stay.on - a.ready_on).days
            same_day += waited == 0
            within_week += waited <= WEEK
        else:
            until = closes if a.leaves_on is None else min(a.leaves_on.toordinal(), closes)
            waited = until - a.ready_on.toordinal()
        waits.append(waited)
    groups, whole = whole_groups(entries, {s.child_id: s.home_id for s in mine})
    if moves is None:
        ready = {a.id: a.ready_on for a in entries}
        moves = sum(1 for s in mine if s.on > ready[s.child_id])
    return {
        "placed_with_family_pct": _pct(len(mine), len(entries)),
        "placed_on_entry_day_pct": _pct(same_day, len(entries)),
        "placed_within_7_days_pct": _pct(within_week, len(entries)),
        "mean_days_waiting": round(float(np.mean(waits)), 1) if waits else None,
        "p90_days_waiting": round(float(np.percentile(waits, 90)), 1) if waits else None,
        "own_community_pct": _pct(sum(s.own_community for s in mine), len(mine)),
        "siblings_whole_pct": _pct(len(whole), len(groups)),
        "kin_pct": _pct(sum(s.kin for s in mine), len(mine)),
        "mean_distance_km": round(float(np.mean([s.distance_km for s in mine])), 2)
        if mine
        else None,
        "moves": moves,
        "objective": objective,
    }


def waiting_each_day(history: History, stays: Sequence[Stay]) -> list[int]:
    """Children waiting for a family on each day of the window (entries and those waiting at
    its start)."""
    delta = np.zeros(history.days + 1, dtype=np.int64)
    start = history.start.toordinal()
    placed = {s.child_id: s.on.toordinal() for s in stays}
    for a in history.arrivals:
        until = history.end.toordinal() + 1
        if a.leaves_on is not None:
            until = min(until, a.leaves_on.toordinal())
        until = min(until, placed.get(a.id, until))
        delta[a.ready_on.toordinal() - start] += 1
        delta[max(until, a.ready_on.toordinal()) - start] -= 1
    return [int(v) for v in np.cumsum(delta)[:-1]]
