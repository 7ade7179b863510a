"""A placement over a table (child index -> option index): its measures, its lawfulness as
to sibling groups split, and its repair.

Shared by the plan (the model, its moves and its result) and the greedy baseline, which never
needs a solver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from matching.candidates import Options, Table, integer_points
from matching.policy import Policy

__all__ = [
    "Floors",
    "Layout",
    "group_points",
    "score_points",
    "together_points",
    "whole_groups",
    "whole_points",
]


@dataclass(eq=False)
class Layout:
    """A table with its options indexed by home, and the homes each group may take whole:
    enough to check and repair a placement without a solver (the baseline uses it too)."""

    table: Table
    # child index -> snapshot position -> option index
    option_of: list[Options]
    # group index -> the homes that may take it whole
    whole_homes: list[list[int]]

    @classmethod
    def of(cls, table: Table) -> Layout:
        """The layout of a table: a group may go whole to a home that takes it whole and
        that the table kept for every member."""
        option_of = table.option_of()
        whole_homes: list[list[int]] = []
        for group in table.groups:
            if len(group.members) < 2:
                whole_homes.append([])
                continue
            kept = np.ones(len(group.whole_positions), dtype=np.bool_)
            for c in group.members:
                kept &= np.isin(group.whole_positions, table.children[c].positions)
            whole_homes.append([int(p) for p in group.whole_positions[kept]])
        return cls(table, option_of, whole_homes)

    def split_while_room(self, chosen: dict[int, int]) -> list[int]:
        """Groups a placement splits (over homes, or some members waiting) although a home
        that takes them whole has the beds left for all of them."""
        s = self.table.snapshot
        load: dict[int, int] = {}
        for c, o in chosen.items():
            p = int(self.table.children[c].positions[o])
            load[p] = load.get(p, 0) + 1
        broken = []
        for g, group in enumerate(self.table.groups):
            k = len(group.members)
            homes = {
                int(self.table.children[c].positions[chosen[c]])
                for c in group.members
                if c in chosen
            }
            placed = sum(1 for c in group.members if c in chosen)
            if k < 2 or not homes or (len(homes) == 1 and placed == k):
                continue
            mine = {
                p: sum(
                    1
                    for c in group.members
                    if c in chosen and int(self.table.children[c].positions[chosen[c]]) == p
                )
                for p in homes
            }
            if any(
                int(s.free_beds[p]) - load.get(p, 0) + mine.get(p, 0) >= k
                for p in self.whole_homes[g]
            ):
                broken.append(g)
        return broken

    def repair(self, chosen: dict[int, int]) -> dict[int, int] | None:
        """Move each group split while a home had room for all of it into that home.

        For a solution the time limit left no time to solve again. Moving a group whole
        frees beds, which may give another split group room: repeated until no group is
        split unlawfully. None when a move would break another rule (a safety separation
        in the home, or a kin home freed while the child it is named for lives elsewhere).
        """
        table, s = self.table, self.table.snapshot
        chosen = dict(chosen)
        while broken := self.split_while_room(chosen):
            g = broken[0]
            members = table.groups[g].members
            at = {c: int(table.children[c].positions[o]) for c, o in chosen.items()}
            load: dict[int, int] = {}
            for p in at.values():
                load[p] = load.get(p, 0) + 1
            ids = {table.children[c].child.id for c in members}
            target = None
            for p in self.whole_homes[g]:
                mine = sum(1 for c in members if at.get(c) == p)
                if int(s.free_beds[p]) - load.get(p, 0) + mine < len(members):
                    continue
                living = [table.children[c].child for c, q in at.items() if q == p]
                if not any(
                    x.kept_apart_from(table.children[c].child)
                    for x in living
                    for c in members
                    if x.id not in ids
                ):
                    target = p
                    break
            if target is None:
                return None
            freed = {at[c] for c in members if c in at} - {target}
            for c in members:
                chosen[c] = self.option_of[c][target]
            for q in freed:
                for named in s.homes[q].kin_of:
                    d = table.index.get(named)
                    if d is None or len(table.groups[table.children[d].group].members) > 1:
                        continue
                    if d in chosen and named not in s.homes[at[d]].kin_of:
                        return None
        return chosen


def whole_points(table: Table, g: int, p: int, option_of: list[Options]) -> int:
    """Points for a sibling group placed whole in the home at position ``p``: each member's
    points there, plus the "siblings together" factor at its full value for every member."""
    members = table.groups[g].members
    gain = sum(
        integer_points(float(table.children[c].points[option_of[c][p]]))
        + table.children[c].priority
        for c in members
    )
    return gain + together_points(table, g)


@dataclass(frozen=True, slots=True)
class Floors:
    """The baseline's headline measures: the plan is never behind them (docs/matching-rules.md).

    Children placed is not among them: the first stage maximises it from the baseline,
    which is a solution of the model, so it can only be at least the baseline's.
    """

    sibling_groups_whole: int
    own_community: int
    kin: int
    long_waiting: int

    @classmethod
    def of(cls, table: Table, chosen: Mapping[int, int]) -> Floors:
        """The measures of a placement (child index -> option index)."""
        s = table.snapshot
        return cls(
            sibling_groups_whole=whole_groups(table, chosen),
            own_community=sum(table.children[c].own_community_at(o, s) for c, o in chosen.items()),
            kin=sum(table.children[c].kin_at(o, s) for c, o in chosen.items()),
            long_waiting=sum(table.children[c].long_waiting for c in chosen),
        )

    def met_by(self, table: Table, chosen: Mapping[int, int]) -> bool:
        """The placement is at least as good on every measure."""
        mine = Floors.of(table, chosen)
        return (
            mine.sibling_groups_whole >= self.sibling_groups_whole
            and mine.own_community >= self.own_community
            and mine.kin >= self.kin
            and mine.long_waiting >= self.long_waiting
        )


def together_points(table: Table, g: int) -> int:
    """Points for a sibling group placed whole in one home: the "siblings together" factor
    at its full value, for every member (the members are scored alone, without it)."""
    return group_points(table.policy, len(table.groups[g].members))


def group_points(policy: Policy, size: int) -> int:
    """Points for a sibling group of ``size`` children placed whole in one home (none for
    a single child): :func:`together_points` without a table."""
    return integer_points(policy.weights.siblings_together * size) if size > 1 else 0


def score_points(table: Table, chosen: dict[int, int]) -> int:
    """The score stage's objective for a placement: integer points minus split penalties,
    plus the points of the sibling groups kept together."""
    gain = sum(
        integer_points(float(table.children[c].points[o])) + table.children[c].priority
        for c, o in chosen.items()
    )
    extra = 0
    for g, group in enumerate(table.groups):
        homes = {int(table.children[c].positions[chosen[c]]) for c in group.members if c in chosen}
        waiting = sum(1 for c in group.members if c not in chosen)
        if homes:  # parts beyond the first: homes used plus members left waiting, minus one
            extra += len(homes) + waiting - 1
        if len(group.members) > 1 and len(homes) == 1 and not waiting:
            gain += together_points(table, g)
    return gain - extra * integer_points(table.policy.split_penalty)


def whole_groups(table: Table, chosen: Mapping[int, int]) -> int:
    """Sibling groups (of two or more) with every member placed, all in one home."""
    return sum(
        1
        for g in table.groups
        if len(g.members) > 1
        and all(c in chosen for c in g.members)
        and len({int(table.children[c].positions[chosen[c]]) for c in g.members}) == 1
    )
