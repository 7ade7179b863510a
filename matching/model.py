"""The plan's CP-SAT model: variables (a child alone in a home, a sibling group whole in a
home), one ``add_*`` function per family of constraints, the objectives as domain verbs, and
the moves that improve a lawful placement without a solver.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from matching.candidates import Table, integer_points
from matching.placement import Floors, Layout, whole_points

__all__ = [
    "Model",
    "Progress",
    "SolveProgress",
    "add_beds",
    "add_icwa_siblings",
    "add_kin_first",
    "add_one_home_each",
    "add_separations",
    "add_sibling_groups",
    "add_variables",
    "build_model",
]

Progress = Callable[[str], None]


class SolveProgress(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution through the caller's ``progress`` function."""

    def __init__(self, stage: str, progress: Progress, weights: tuple[int, int] = (0, 0)) -> None:
        super().__init__()
        self.stage = stage
        self.progress = progress
        # stage 1: the objective's weight of one sibling group whole (0 when not counted)
        # and of one child placed; a sibling group split costs 1
        self.per_group, self.per_child = weights

    def on_solution_callback(self) -> None:
        objective, bound = self.objective_value, self.best_objective_bound
        if not self.per_child:
            self.progress(
                f"{self.stage}: objective {objective:.0f}, bound {bound:.0f}, "
                f"{self.wall_time:.2f} s"
            )
            return
        whole = ""
        if self.per_group:
            groups = math.floor(objective / self.per_group + 1e-9)
            objective -= groups * self.per_group
            whole = f"{groups} sibling groups whole (bound {bound // self.per_group:.0f}), "
        placed = math.ceil(objective / self.per_child - 1e-9)
        split = round(placed * self.per_child - objective)
        tail = "" if self.per_group else f", bound {math.ceil(bound / self.per_child - 1e-9)}"
        self.progress(
            f"{self.stage}: {whole}{placed} placed ({split} sibling groups split){tail}, "
            f"{self.wall_time:.2f} s"
        )


@dataclass(eq=False)
class Model(Layout):
    """The CP-SAT model and its decision variables, with domain verbs.

    A sibling group is placed in one of two ways, never both: whole, in one home that takes
    every member (one variable per such home), or split, each member on their own (the
    variables of single children). Splitting is allowed only while no home that takes the
    group whole still has the beds for it. A group of one is a single child.
    """

    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    # (child index, option index) -> the child is placed there on their own
    place: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    # (group index, snapshot position) -> every member of the group is placed there
    whole: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    # (group index, parts beyond the first: homes used plus members left waiting, minus one)
    extra_parts: list[tuple[int, cp_model.LinearExprT]] = field(default_factory=list)
    # group index -> its split rule, one (whole home, split variable) per whole home: not
    # in the model until a solution breaks it
    guards: dict[int, list[tuple[int, cp_model.IntVar]]] = field(default_factory=dict)
    # home position -> (variable, children it puts there, group)
    at_home: dict[int, list[tuple[cp_model.IntVar, int, int]]] = field(default_factory=dict)
    # group index -> the group is split (for the groups that may be)
    split_of: dict[int, cp_model.IntVar] = field(default_factory=dict)
    # (group index, position) -> a member of the split group is placed there on their own
    uses_of: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    # child index -> (the single child is placed outside their kin homes, those options)
    elsewhere_of: dict[int, tuple[cp_model.IntVar, frozenset[int]]] = field(default_factory=dict)
    # (child index, position) -> the variables that put the child in that home
    child_at: dict[tuple[int, int], list[cp_model.IntVar]] = field(default_factory=dict)
    # group index -> the group may be split (else it has no split variables)
    may_split: list[bool] = field(default_factory=list)

    def load(self, p: int) -> cp_model.LinearExprT:
        """Children placed in the home at ``p``."""
        here = self.at_home.get(p, [])
        return cp_model.LinearExpr.weighted_sum([v for v, _, _ in here], [n for _, n, _ in here])

    @property
    def splits(self) -> list[cp_model.IntVar]:
        """One per sibling group that may be split: the group is split."""
        return list(self.split_of.values())

    def placed(self) -> cp_model.LinearExpr:
        """Children placed."""
        variables = list(self.place.values()) + list(self.whole.values())
        sizes = [1] * len(self.place) + [len(self.table.groups[g].members) for g, _ in self.whole]
        return cp_model.LinearExpr.weighted_sum(variables, sizes)

    def per_child(self) -> int:
        """The weight of one child placed in :meth:`placed_then_whole`."""
        return len(self.splits) + 1

    def placed_then_whole(self) -> cp_model.LinearExpr:
        """Children placed, then (as a tie-break worth less than one child) the fewest
        sibling groups split: a split the count does not need is never chosen. (How many
        homes a split group uses is the score stage's: as a tie-break here it made the
        first stage too slow to prove at 2,000 children.)"""
        return self.per_child() * self.placed() - cp_model.LinearExpr.sum(self.splits)

    def tally(self, counts: Callable[[int, int], bool]) -> cp_model.LinearExpr:
        """Children placed for whom ``counts(child index, option index)`` holds."""
        variables: list[cp_model.IntVar] = []
        weights: list[int] = []
        for (c, o), var in self.place.items():
            if counts(c, o):
                variables.append(var)
                weights.append(1)
        for (g, p), var in self.whole.items():
            n = sum(1 for c in self.table.groups[g].members if counts(c, self.option_of[c][p]))
            if n:
                variables.append(var)
                weights.append(n)
        return cp_model.LinearExpr.weighted_sum(variables, weights)

    def hold_floors(self, floors: Floors) -> None:
        """Never behind the baseline on the headline measures (docs/matching-rules.md, 6)."""
        t, s = self.table, self.table.snapshot
        self.model.add(self.groups_whole() >= floors.sibling_groups_whole)
        own = self.tally(lambda c, o: t.children[c].own_community_at(o, s))
        self.model.add(own >= floors.own_community)
        self.model.add(self.tally(lambda c, o: t.children[c].kin_at(o, s)) >= floors.kin)
        long = self.tally(lambda c, _: t.children[c].long_waiting)
        self.model.add(long >= floors.long_waiting)

    def groups_whole(self) -> cp_model.LinearExpr:
        """Sibling groups placed whole."""
        return cp_model.LinearExpr.sum(list(self.whole.values()))

    def per_group(self) -> int:
        """The weight of one sibling group whole in :meth:`whole_then_placed`: more than
        every child placed together."""
        return self.per_child() * (len(self.table.children) + 1)

    def whole_then_placed(self) -> cp_model.LinearExpr:
        """Sibling groups placed whole, then :meth:`placed_then_whole`."""
        return self.per_group() * self.groups_whole() + self.placed_then_whole()

    def points(self) -> cp_model.LinearExpr:
        """Score points (integers): each child's points and waiting priority, the "siblings
        together" points of a group placed whole, minus the split penalty per extra part of
        a split group."""
        penalty = integer_points(self.table.policy.split_penalty)
        terms: list[cp_model.LinearExprT] = []
        coefficients: list[int] = []
        for (c, o), var in self.place.items():
            entry = self.table.children[c]
            terms.append(var)
            coefficients.append(integer_points(float(entry.points[o])) + entry.priority)
        for (g, p), var in self.whole.items():
            terms.append(var)
            coefficients.append(whole_points(self.table, g, p, self.option_of))
        for _, extra in self.extra_parts:
            terms.append(extra)
            coefficients.append(-penalty)
        return cp_model.LinearExpr.weighted_sum(terms, coefficients)

    def extract(self, solver: cp_model.CpSolver) -> dict[int, int]:
        """Child index -> option index, from a solved model."""
        chosen = {c: o for (c, o), var in self.place.items() if solver.value(var)}
        for (g, p), var in self.whole.items():
            if solver.value(var):
                for c in self.table.groups[g].members:
                    chosen[c] = self.option_of[c][p]
        return chosen

    def guard(self, groups: list[int]) -> None:
        """Add the split rule of these groups to the model: split only while every home
        taking the group whole is left with fewer free beds than its members."""
        s = self.table.snapshot
        for g in groups:
            k = len(self.table.groups[g].members)
            for p, split in self.guards.pop(g, []):
                here = [(var, n) for var, n, h in self.at_home.get(p, []) if h != g]
                others = cp_model.LinearExpr.weighted_sum(
                    [v for v, _ in here], [n for _, n in here]
                )
                self.model.add(int(s.free_beds[p]) - others <= k - 1).only_enforce_if(split)

    def hint(self, chosen: dict[int, int]) -> None:
        """Start the search from a placement (child index -> option index)."""
        self.model.clear_hints()  # type: ignore[no-untyped-call]  # OR-Tools leaves it unannotated
        whole_at: dict[int, int] = {}
        for g, group in enumerate(self.table.groups):
            homes = {
                int(self.table.children[c].positions[chosen[c]])
                for c in group.members
                if c in chosen
            }
            if (
                len(group.members) > 1
                and len(homes) == 1
                and all(c in chosen for c in group.members)
            ):
                p = homes.pop()
                if (g, p) in self.whole:
                    whole_at[g] = p
        for (g, p), var in self.whole.items():
            self.model.add_hint(var, whole_at.get(g) == p)
        for (c, o), var in self.place.items():
            self.model.add_hint(
                var, self.table.children[c].group not in whole_at and chosen.get(c) == o
            )
        # the auxiliary variables too: a complete hint is taken as a first solution at once
        for g, var in self.split_of.items():
            members = self.table.groups[g].members
            self.model.add_hint(var, g not in whole_at and any(c in chosen for c in members))
        for (g, p), var in self.uses_of.items():
            here = any(
                c in chosen and int(self.table.children[c].positions[chosen[c]]) == p
                for c in self.table.groups[g].members
            )
            self.model.add_hint(var, g not in whole_at and here)
        for c, (var, own) in self.elsewhere_of.items():
            self.model.add_hint(var, c in chosen and chosen[c] not in own)


def build_model(table: Table) -> Model:
    """The model of a table: its variables, then each family of constraints in turn."""
    layout = Layout.of(table)
    m = Model(table=table, option_of=layout.option_of, whole_homes=layout.whole_homes)
    add_variables(m, _may_split(table, layout))
    add_one_home_each(m)
    add_beds(m)
    add_separations(m)
    add_kin_first(m)
    add_icwa_siblings(m)
    add_sibling_groups(m)
    return m


def _may_split(table: Table, layout: Layout) -> list[bool]:
    """Per group: may it be split? Not when, whatever the others take, a home taking it whole
    is sure to keep its beds (such a group has no split variables at all)."""
    s = table.snapshot
    demand: dict[int, int] = {}
    for entry in table.children:
        for position in entry.positions:
            demand[int(position)] = demand.get(int(position), 0) + 1
    may_split = []
    for g, group in enumerate(table.groups):
        k = len(group.members)
        sure = any(int(s.free_beds[p]) - (demand[p] - k) >= k for p in layout.whole_homes[g])
        may_split.append(k < 2 or not sure)
    return may_split


def add_variables(m: Model, may_split: list[bool]) -> None:
    """A child alone in a home (for the children whose group may be split); a sibling group
    whole in a home that takes it."""
    table, s, model = m.table, m.table.snapshot, m.model
    m.may_split = may_split
    for c, entry in enumerate(table.children):
        if not may_split[entry.group]:
            continue
        for o, position in enumerate(entry.positions):
            p = int(position)
            var = model.new_bool_var(f"place_{entry.child.id}_{s.ids[p]}")
            m.place[c, o] = var
            m.at_home.setdefault(p, []).append((var, 1, entry.group))
            m.child_at.setdefault((c, p), []).append(var)
    for g, group in enumerate(table.groups):
        for p in m.whole_homes[g]:
            var = model.new_bool_var(f"group{g}_whole_in_{s.ids[p]}")
            m.whole[g, p] = var
            m.at_home.setdefault(p, []).append((var, len(group.members), g))
            for c in group.members:
                m.child_at.setdefault((c, p), []).append(var)


def add_one_home_each(m: Model) -> None:
    """A single child is placed in at most one home (a group member: see the group's rule)."""
    for c, entry in enumerate(m.table.children):
        if len(m.table.groups[entry.group].members) < 2:
            m.model.add_at_most_one(m.place[c, o] for o in range(len(entry.positions)))


def add_beds(m: Model) -> None:
    """A home never takes more children than it has free beds."""
    s = m.table.snapshot
    for p, entries in m.at_home.items():
        if sum(n for _, n, _ in entries) > s.free_beds[p]:
            m.model.add(m.load(p) <= int(s.free_beds[p]))


def add_separations(m: Model) -> None:
    """Children with a recorded safety separation never live in the same home."""
    table = m.table
    partners: dict[int, set[int]] = {}  # named by either child: each pair once, both ways
    for c, entry in enumerate(table.children):
        for other in entry.child.separate_from:
            d = table.index.get(other)
            if d is not None:
                partners.setdefault(c, set()).add(d)
                partners.setdefault(d, set()).add(c)
    for (c, p), variables in m.child_at.items():
        me = table.children[c].child.id
        for d in sorted(partners.get(c, ()), key=lambda d: table.children[d].child.id):
            if table.children[d].child.id > me and (d, p) in m.child_at:
                m.model.add(sum(variables) + sum(m.child_at[d, p]) <= 1)


def add_kin_first(m: Model) -> None:
    """A single child goes to a home not named for them only when every kin home named for
    them is full. (For a sibling group, keeping it together comes first and kinship is a
    weight: a rule here would often leave one sibling without a home.)"""
    table, s, model = m.table, m.table.snapshot, m.model
    for c, entry in enumerate(table.children):
        if len(table.groups[entry.group].members) > 1:
            continue
        own = [
            o
            for o, position in enumerate(entry.positions)
            if entry.child.id in s.homes[int(position)].kin_of
        ]
        others = [m.place[c, o] for o in range(len(entry.positions)) if o not in own]
        if not own or not others:
            continue
        elsewhere = model.new_bool_var(f"{entry.child.id}_not_with_kin")
        m.elsewhere_of[c] = (elsewhere, frozenset(own))
        model.add(sum(others) == elsewhere)
        for o in own:
            p = int(entry.positions[o])
            model.add(m.load(p) >= int(s.free_beds[p])).only_enforce_if(elsewhere)


def add_icwa_siblings(m: Model) -> None:
    """ICWA binds for the ICWA child, kin first for her siblings is policy: a home in her
    (best) tier goes to a sibling of hers on their own only while she too is placed."""
    table = m.table
    for group in table.groups:
        if len(group.members) < 2:
            continue
        for c in group.members:
            if table.children[c].icwa_tier is None:
                continue
            g = table.children[c].group
            placed_c = [
                m.place[c, o] for o in range(len(table.children[c].positions)) if (c, o) in m.place
            ]
            placed_c += [m.whole[g, p] for p in m.whole_homes[g]]
            for j in group.members:
                if j == c or table.children[j].icwa_tier is not None:
                    continue
                for position in table.children[c].positions:
                    theirs = m.option_of[j].get(int(position))
                    if theirs is not None and (j, theirs) in m.place:
                        m.model.add(m.place[j, theirs] <= sum(placed_c))


def add_sibling_groups(m: Model) -> None:
    """A sibling group goes whole to one home, or is split (members on their own, some maybe
    left waiting), never more of it in one home than the home's sibling limit; the rule
    "split only while no home taking it whole has the beds" waits in ``m.guards``."""
    table, s, model = m.table, m.table.snapshot, m.model
    for g, group in enumerate(table.groups):
        k = len(group.members)
        if k < 2:
            continue
        wholes = [m.whole[g, p] for p in m.whole_homes[g]]
        if not m.may_split[g]:
            model.add_at_most_one(wholes)
            continue
        split = model.new_bool_var(f"group{g}_split")
        m.split_of[g] = split
        model.add_at_most_one([*wholes, split])
        alone = []
        uses: dict[int, cp_model.IntVar] = {}
        for c in group.members:
            mine = [m.place[c, o] for o in range(len(table.children[c].positions))]
            # a member is placed on their own only when the group is split
            model.add(sum(mine) <= split)
            alone += mine
            for o, position in enumerate(table.children[c].positions):
                p = int(position)
                if p not in uses:
                    uses[p] = m.uses_of[g, p] = model.new_bool_var(f"group{g}_uses_{s.ids[p]}")
                model.add_implication(m.place[c, o], uses[p])
        for p in uses:
            here = [m.place[c, m.option_of[c][p]] for c in group.members if p in m.option_of[c]]
            if len(here) > s.max_siblings[p]:
                model.add(sum(here) <= int(s.max_siblings[p]))
        # split only while every home taking it whole is left with fewer than k free beds:
        # added when a solution breaks it (Model.guard), as the constraints are many, weak
        # in the linear relaxation, and rarely binding (the points favour whole groups)
        m.guards[g] = [(p, split) for p in m.whole_homes[g]]
        # parts beyond the first: homes used, plus members left waiting, minus one
        m.extra_parts.append((g, sum(uses.values()) + (k - 1) * split - sum(alone)))
