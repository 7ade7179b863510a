"""The greedy baseline: today's practice, for comparison with the placement plan.

Children are taken in waiting order (longest waiting first, then by id). A sibling group
is handled when its first member comes up: it takes the nearest eligible home with beds for
all of them, else each member in turn takes the nearest eligible home with a free bed. A
single child takes the nearest eligible home with a free bed. Beds are used up as it goes.
Eligibility and scores are the engine's own, exactly as the plan sees them (every candidate,
none dropped).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date

import numpy as np

from matching.inputs import Child, Communities
from matching.plan import PlanResult, Table, build_table, finish, score_points, waiting_order
from matching.policy import Policy
from matching.snapshot import HomeSnapshot

__all__ = ["greedy"]


def greedy(
    children: Sequence[Child],
    snapshot: HomeSnapshot,
    communities: Communities,
    policy: Policy,
) -> PlanResult:
    """Place the children one after another, each in the nearest home with a free bed.

    Returns
    -------
    PlanResult
        With ``method="greedy"``, status ``feasible``, the score stage's objective for
        comparison, and no bound or gap.
    """
    started = time.perf_counter()
    table = build_table(children, snapshot, communities, policy, keep=None)
    chosen = place_in_waiting_order(table)
    return finish(
        table,
        "greedy",
        "feasible",
        chosen,
        score_points(table, chosen),
        None,
        started,
        seed=0,
    )


def place_in_waiting_order(table: Table, *, kin_first: bool = False) -> dict[int, int]:
    """Greedy placement over a table's options: child index -> option index.

    With ``kin_first`` a single child tries the kin homes named for them before the others
    (the plan's starting point, which must respect that rule; today's practice does not).
    """
    snapshot = table.snapshot
    beds = snapshot.free_beds.astype(np.int64).copy()
    living: dict[int, set[str]] = {}  # home position -> ids of the children placed there
    chosen: dict[int, int] = {}  # child index -> option index
    done: set[int] = set()
    for child in waiting_order([entry.child for entry in table.children]):
        c = table.index[child.id]
        group = table.groups[table.children[c].group]
        if c in done:
            continue
        members = sorted(group.members, key=lambda m: _order(table, m))
        done.update(members)
        if len(members) > 1 and _place_whole(table, members, beds, living, chosen):
            continue
        for m in members:
            _place_one(table, m, beds, living, chosen, kin_first and len(members) == 1)
    return chosen


def _order(table: Table, c: int) -> tuple[date, str]:
    child = table.children[c].child
    return (child.waiting_since or date.max, child.id)


def _fits(table: Table, c: int, position: int, living: dict[int, set[str]]) -> bool:
    """No child already in the home has a safety separation from this one (either way)."""
    child = table.children[c].child
    return not any(
        other in child.separate_from
        or child.id in table.children[table.index[other]].child.separate_from
        for other in living.get(position, set())
    )


def _put(
    table: Table,
    c: int,
    o: int,
    beds: np.ndarray,
    living: dict[int, set[str]],
    chosen: dict[int, int],
) -> None:
    position = int(table.children[c].positions[o])
    beds[position] -= 1
    living.setdefault(position, set()).add(table.children[c].child.id)
    chosen[c] = o


def _place_whole(
    table: Table,
    members: list[int],
    beds: np.ndarray,
    living: dict[int, set[str]],
    chosen: dict[int, int],
) -> bool:
    """The nearest home taking the whole group with the beds for it; False when none."""
    group = table.groups[table.children[members[0]].group]
    k = len(members)
    for w in np.argsort(group.whole_distance_km, kind="stable"):
        position = int(group.whole_positions[w])
        if beds[position] < k or not all(_fits(table, m, position, living) for m in members):
            continue
        found = [np.flatnonzero(table.children[m].positions == position) for m in members]
        if any(len(f) == 0 for f in found):  # a home the table did not keep for every member
            continue
        for m, f in zip(members, found, strict=True):
            _put(table, m, int(f[0]), beds, living, chosen)
        return True
    return False


def _place_one(
    table: Table,
    c: int,
    beds: np.ndarray,
    living: dict[int, set[str]],
    chosen: dict[int, int],
    kin_first: bool = False,
) -> None:
    """The nearest eligible home with a free bed (and room under its sibling limit)."""
    entry = table.children[c]
    s = table.snapshot
    group = table.groups[entry.group]
    siblings = {table.children[m].child.id for m in group.members}
    distances = entry.pairing.distances_by_child[0]
    order = np.argsort(distances, kind="stable")
    if kin_first:
        own = np.array(
            [entry.child.id in s.homes[int(p)].kin_of for p in entry.positions], dtype=np.bool_
        )
        order = order[np.argsort(~own[order], kind="stable")]
    for o in order:
        position = int(entry.positions[o])
        if beds[position] < 1 or not _fits(table, c, position, living):
            continue
        if len(living.get(position, set()) & siblings) >= s.max_siblings[position]:
            continue
        _put(table, c, int(o), beds, living, chosen)
        return
