"""Moves that improve a lawful placement without a solver, toward the values of the model's
variables that a linear relaxation (or each child's best home) favours.

The plan's score stage starts from the result, so the solver begins near a good plan.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from matching.model import Model
from matching.placement import whole_points

__all__ = ["best_options", "improved"]


def improved(built: Model, start: dict[int, int], values: np.ndarray) -> dict[int, int] | None:
    """A lawful placement near the relaxed values, as good in count as ``start``.

    From a lawful placement, each move the relaxation favours (value above one half,
    largest first) is made when it keeps every rule: a group moved whole into a home
    with the beds, a child on their own moved to a home with a bed (never out of a
    group placed whole, never away from a kin home named for them, never freeing a bed
    in a kin home whose child lives elsewhere). No child loses a home, so the count
    never drops. Groups then split unlawfully are moved whole; None if that fails.
    """
    table, s = built.table, built.table.snapshot
    chosen = dict(start)
    beds = s.free_beds.astype(np.int64).copy()
    at: dict[int, int] = {}
    living: dict[int, set[str]] = {}
    for c, o in chosen.items():
        p = int(table.children[c].positions[o])
        beds[p] -= 1
        at[c] = p
        living.setdefault(p, set()).add(table.children[c].child.id)
    kin_waits: dict[int, list[int]] = {}  # kin home -> single children it is named for
    for c, entry in enumerate(table.children):
        if len(table.groups[entry.group].members) == 1:
            for position in entry.positions:
                if entry.child.id in s.homes[int(position)].kin_of:
                    kin_waits.setdefault(int(position), []).append(c)

    def kin_of(c: int, p: int) -> bool:
        return table.children[c].child.id in s.homes[p].kin_of

    def apart(c: int, p: int, moving: set[str]) -> bool:
        return table.apart(c, living.get(p, set()) - moving)

    def may_leave(c: int) -> bool:
        """Moving c frees a bed: not in a kin home whose single child lives elsewhere."""
        q = at.get(c)
        if q is None:
            return True
        if len(table.groups[table.children[c].group].members) == 1 and kin_of(c, q):
            return False  # kin first: never away from their own kin home
        return all(d in at and kin_of(d, at[d]) for d in kin_waits.get(q, []) if d != c)

    def move(c: int, p: int) -> None:
        q = at.get(c)
        if q is not None:
            beds[q] += 1
            living[q].discard(table.children[c].child.id)
        beds[p] -= 1
        at[c] = p
        living.setdefault(p, set()).add(table.children[c].child.id)
        chosen[c] = built.option_of[c][p]

    def whole_at(g: int) -> int | None:
        members = table.groups[g].members
        homes = {at.get(m) for m in members}
        return homes.pop() if len(members) > 1 and len(homes) == 1 else None

    moves = sorted(
        [(-values[v.index], 0, g, p) for (g, p), v in built.whole.items()]
        + [(-values[v.index], 1, c, o) for (c, o), v in built.place.items()]
    )
    for value, kind, i, j in moves:
        if -value < 0.5:
            break
        if kind == 0:  # the group whole in home j
            members = table.groups[i].members
            ids = {table.children[m].child.id for m in members}
            mine = sum(1 for m in members if at.get(m) == j)
            if whole_at(i) == j or beds[j] + mine < len(members):
                continue
            if all(may_leave(m) for m in members) and all(apart(m, j, ids) for m in members):
                for m in members:
                    if at.get(m) != j:
                        move(m, j)
            continue
        c, p = i, int(table.children[i].positions[j])  # the child alone in home p
        g = table.children[c].group
        if at.get(c) == p or beds[p] < 1 or whole_at(g) is not None:
            continue
        here = sum(1 for m in table.groups[g].members if at.get(m) == p)
        if here >= s.max_siblings[p] or not may_leave(c) or not apart(c, p, set()):
            continue
        single = len(table.groups[g].members) == 1
        if single and not kin_of(c, p) and any(beds[k] > 0 for k in _kin_homes(built, c)):
            continue  # kin first: not elsewhere while their kin home has a bed
        if _claimed_by_icwa_sibling(built, c, p, at):
            continue  # her tier's home, while she waits
        move(c, p)
    return built.repair(chosen)


def best_options(built: Model) -> np.ndarray:
    """A value per model variable that :func:`improved` follows without a relaxation:
    1 for each child's best-scored home on their own and each group's best home whole,
    0 elsewhere (a cheap stand-in when there is no time to build the relaxation)."""
    values = np.zeros(len(built.model.proto.variables))
    for c, entry in enumerate(built.table.children):
        mine = [o for o in range(len(entry.positions)) if (c, o) in built.place]
        if mine:
            best = max(mine, key=lambda o: (entry.points[o], -o))
            values[built.place[c, best].index] = 1.0
    for g in range(len(built.table.groups)):
        homes = [p for p in built.whole_homes[g] if (g, p) in built.whole]
        if homes:
            best_home = max(
                homes, key=lambda p: (whole_points(built.table, g, p, built.option_of), -p)
            )
            values[built.whole[g, best_home].index] = 1.0
    return values


def _claimed_by_icwa_sibling(built: Model, c: int, p: int, at: Mapping[int, int]) -> bool:
    """Home ``p`` is of the best tier of an ICWA sibling of ``c`` who is not placed (a
    child not under ICWA takes such a home on their own only while she is placed)."""
    if built.table.children[c].icwa_tier is not None:
        return False
    group = built.table.groups[built.table.children[c].group]
    return any(
        built.table.children[m].icwa_tier is not None and m not in at and p in built.option_of[m]
        for m in group.members
        if m != c
    )


def _kin_homes(built: Model, c: int) -> list[int]:
    entry = built.table.children[c]
    snapshot = built.table.snapshot
    return [int(p) for p in entry.positions if entry.child.id in snapshot.homes[int(p)].kin_of]
