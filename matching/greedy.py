"""The greedy baseline: today's practice, made lawful, for comparison with the placement plan.

Children are taken in waiting order (longest waiting first, then by id). A sibling group
is handled when its first member comes up: it takes the nearest eligible home with beds for
all of them, else each member in turn (children under ICWA first: their order binds) takes
the nearest eligible home with a free bed. A single child takes a kin home named for them
when one has a free bed, else the nearest eligible home with a free bed. Beds are used up as
it goes; a group then split while a home could still take it whole is moved there.
Eligibility and scores are the engine's own, exactly as the plan sees them (every candidate,
none dropped).

This lawful baseline is what the plan is never behind: the plan starts from it, and its
headline measures are floors of the plan (docs/matching-rules.md, section 6).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date

import numpy as np

from matching.candidates import Table, build_table, waiting_order
from matching.inputs import Child, Communities
from matching.placement import Layout, score_points
from matching.plan_result import PlanResult, finish
from matching.policy import Policy
from matching.snapshot import HomeSnapshot

__all__ = ["greedy"]


def greedy(
    children: Sequence[Child],
    snapshot: HomeSnapshot,
    communities: Communities,
    policy: Policy,
) -> PlanResult:
    """Place the children one after another, each in the nearest home with a free bed
    (kin first), as :func:`lawful_baseline` does.

    Returns
    -------
    PlanResult
        With ``method="greedy"``, status ``feasible``, the score stage's objective for
        comparison, and no bound or gap.
    """
    started = time.perf_counter()
    table = build_table(children, snapshot, communities, policy)
    chosen = lawful_baseline(table)
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


def lawful_baseline(table: Table) -> dict[int, int]:
    """Today's practice within every rule the plan keeps: child index -> option index.

    The greedy placement, kin first; then each sibling group split while a home could still
    take it whole is moved there (when a move would break another rule, the greedy
    placement is kept as it is).
    """
    chosen = place_in_waiting_order(table, kin_first=True)
    layout = Layout.of(table)
    if layout.split_while_room(chosen):
        repaired = layout.repair(chosen)
        if repaired is not None:
            return repaired
    return chosen


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
        # an ICWA child chooses before her siblings: a home in her tier is hers first
        members = sorted(
            group.members, key=lambda m: (table.children[m].icwa_tier is None, *_order(table, m))
        )
        done.update(members)
        if len(members) == 1:
            _place_one(table, members[0], beds, living, chosen, kin_first)
        elif not _place_whole(table, members, beds, living, chosen):
            _place_parts(table, members, beds, living, chosen)
    return chosen


def _order(table: Table, c: int) -> tuple[date, str]:
    child = table.children[c].child
    return (child.waiting_since or date.max, child.id)


def _fits(table: Table, c: int, position: int, living: dict[int, set[str]]) -> bool:
    """No child already in the home has a safety separation from this one (either way)."""
    return table.apart(c, living.get(position, set()))


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


def _place_parts(
    table: Table,
    members: list[int],
    beds: np.ndarray,
    living: dict[int, set[str]],
    chosen: dict[int, int],
) -> None:
    """A group no home takes whole, in the fewest homes: again and again, the home that
    takes the most of the members still waiting (the nearest among equals), members in
    order (ICWA children first), until no home takes any of them."""
    s = table.snapshot
    waiting = list(members)
    placed_at: dict[int, int] = {}  # home position -> members of this group placed there
    while waiting:
        positions = np.concatenate([table.children[m].positions for m in waiting])
        km = np.concatenate([table.children[m].pairing.distances_by_child[0] for m in waiting])
        homes, inverse = np.unique(positions, return_inverse=True)
        counts = np.bincount(inverse, minlength=len(homes))
        nearest = np.full(len(homes), np.inf)
        np.minimum.at(nearest, inverse, km)
        already = np.array([placed_at.get(int(p), 0) for p in homes], dtype=np.int64)
        room = np.minimum(beds[homes], s.max_siblings[homes] - already)
        takes = np.minimum(counts, np.maximum(room, 0))
        best: list[int] = []
        best_home = -1
        for h in np.lexsort((nearest, -takes)):
            if takes[h] <= len(best):
                break  # (sorted by what a home could take: none of the rest takes more)
            p = int(homes[h])
            here: list[int] = []
            for m in waiting:
                if (
                    len(here) < takes[h]
                    and p in table.children[m].positions
                    and _fits(table, m, p, living)
                    and not any(_apart(table, m, x) for x in here)
                ):
                    here.append(m)
            if len(here) > len(best):
                best, best_home = here, p
        if not best:
            return
        for m in best:
            o = int(np.flatnonzero(table.children[m].positions == best_home)[0])
            _put(table, m, o, beds, living, chosen)
            waiting.remove(m)
        placed_at[best_home] = placed_at.get(best_home, 0) + len(best)


def _apart(table: Table, a: int, b: int) -> bool:
    """A safety separation between two children of the table (either way)."""
    return table.children[a].child.kept_apart_from(table.children[b].child)


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
        own = np.isin(entry.positions, s.kin_positions(entry.child.id))
        order = order[np.argsort(~own[order], kind="stable")]
    for o in order:
        position = int(entry.positions[o])
        if beds[position] < 1 or not _fits(table, c, position, living):
            continue
        if len(living.get(position, set()) & siblings) >= s.max_siblings[position]:
            continue
        _put(table, c, int(o), beds, living, chosen)
        return
