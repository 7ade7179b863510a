"""The placement plan: every waiting child at once, one CP-SAT model.

:func:`plan` answers the coordinator's question "these children are waiting tonight: which
home for each, so that as many as possible get a family, and the best families?". It reuses
the engine's eligibility (every hard rule, vectorised) and scoring (every factor, with its
reasons); the model only decides who goes where among the eligible pairs.

The model reads in the usual order:

data
    Per sibling group (or single child): :func:`~matching.eligibility.eligibility` gives the
    homes each child may go to (every hard rule, the child's own ICWA tier) and the homes
    that take the group whole; every such home is scored for each child alone. The lawful
    baseline (:func:`matching.greedy.lawful_baseline`) is placed over all of them; then each
    child keeps their own best ``keep`` homes, every kin home, the best homes that take
    their group whole, and the baseline's home (:func:`cut_table`).
variables
    One boolean per (sibling group, home that takes it whole): every member goes there. One
    boolean per (child, candidate home): the child goes there on their own (a single child,
    or a member of a split group).
constraints
    A child in at most one home; never more children in a home than its free beds; never
    more of one sibling group than the home's ``max_siblings``; children with a safety
    separation never in the same home; kin first (a single child goes to a home not named
    for them only when every kin home named for them is full); a home of an ICWA child's
    tier goes to a sibling of hers on their own only while she is placed; a sibling group
    is whole in one home or split, and split (over several homes, or some members left
    waiting) only when no home that takes it whole still has the beds for it (added for a
    group only once a solution breaks it: written for every group it makes the linear
    relaxation weak and the search slow, and it rarely binds); never behind the baseline on
    sibling groups whole, own-community and kin placements, and long-waiting children placed
    (:class:`Floors`).
objective
    Lexicographic: first the most children placed (ties broken toward fewer groups split);
    then, with that count fixed, the most score points (integer-scaled by
    :func:`integer_points`): each child's points scored alone, less the far-placement cost,
    plus the waiting priority of every child placed, plus the "siblings together" weight
    per child of a group kept whole, minus ``policy.split_penalty`` per extra part of a
    split group (a home beyond the first, or a member left waiting).
solve
    Two CP-SAT stages sharing a time limit: the first hinted with the baseline; the second,
    without presolve, with the first's plan improved by every lawful move its linear
    relaxation favours (:mod:`matching.relaxation`). Each is solved again when its solution
    splits a group unlawfully (when time runs out first, such groups are moved whole into
    the home with room, if the floors still hold). The reported bound and gap are those of
    the score stage, so they measure the quality of the score once the number placed is at
    its maximum. If the first stage finds nothing in time, the plan
    is the lawful baseline and says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from matching.eligibility import Eligibility, eligibility
from matching.factors import Pairing, Scores, score
from matching.inputs import Child, Communities, InputError
from matching.messages import Message
from matching.near_miss import near_misses
from matching.policy import Policy
from matching.rank import (
    FactorScore,
    _message,
    check_communities,
    factor_scores,
    icwa_vs_siblings,
)
from matching.relaxation import relaxed_values
from matching.request import Context, Request
from matching.rules import IcwaOrder
from matching.snapshot import HomeSnapshot
from matching.validate import Violation, validate

__all__ = [
    "Assignment",
    "Conflict",
    "PlanResult",
    "Unplaced",
    "checked",
    "figures",
    "integer_points",
    "plan",
    "withdraw",
]

DEFAULT_KEEP = 30  # candidate homes kept per child (kin homes always kept)
POINTS_SCALE = 1000  # score points enter CP-SAT as thousandths
DEFAULT_WORKERS = 8  # a fixed worker count: the same seed gives the same plan on any machine
WALL_GUARD = 5.0  # a deterministic plan still stops after this many times its limit in seconds
LONG_WAIT_DAYS = 365  # "waited over a year", a headline measure (docs/matching-rules.md)
FINISH_RESERVE_S = 0.4  # kept from the time limit to explain the result (0.2 s at 2,000 children)
FINISH_RESERVE_PER_CHILD_S = 0.0007  # and more for a large plan (the solver's stop included)
LP_VARIABLES_PER_S = (
    10_000  # the linear relaxation built per second (measured here: 2.7 s at 26,887)
)

Progress = Callable[[str], None]


def integer_points(points: float) -> int:
    """Score points as the integers CP-SAT optimises: thousandths of a point, rounded."""
    return round(points * POINTS_SCALE)


# -- the result ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assignment:
    """One child placed in one home, with the explanation of that pairing."""

    child_id: str
    home_id: str
    score: float
    points: float
    distance_km: float
    kin: bool
    own_community: bool
    factors: tuple[FactorScore, ...]
    waited_days: int | None = None
    good_cause_required: bool = False
    good_cause_reason: Message | None = None

    def to_json(self) -> dict[str, Any]:
        reason = self.good_cause_reason
        return {
            "child_id": self.child_id,
            "home_id": self.home_id,
            "score": round(self.score, 3),
            "points": round(self.points, 3),
            "distance_km": self.distance_km,
            "kin": self.kin,
            "own_community": self.own_community,
            "waited_days": self.waited_days,
            "good_cause_required": self.good_cause_required,
            "good_cause_reason": None if reason is None else str(reason),
            "good_cause_reason_i18n": None if reason is None else reason.to_json(),
            "factors": [f.to_json() for f in self.factors],
        }


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A child the plan could not place, with the reasons that bind."""

    child_id: str
    reasons: tuple[Message, ...]
    waited_days: int | None = None

    def to_json(self) -> dict[str, Any]:
        """As in DESIGN.md §12, with ``reasons_i18n``: the reasons as keys and values."""
        return {
            "child_id": self.child_id,
            "waited_days": self.waited_days,
            "reasons": [str(r) for r in self.reasons],
            "reasons_i18n": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two rules that cannot both hold for one family, and how the plan resolved it.

    ``kind``: ``icwa_vs_siblings`` (keeping the group together would place an ICWA child
    below her best tier), ``icwa_vs_kin`` (a home is both an ICWA child's best tier and a
    sibling's kin home), ``rule_broken`` (the solver's answer broke a rule for this group:
    it was taken out of the plan, to be decided by hand).
    """

    child_ids: tuple[str, ...]
    kind: str
    message: Message

    def to_json(self) -> dict[str, Any]:
        return {
            "child_ids": list(self.child_ids),
            "kind": self.kind,
            "message": str(self.message),
            "message_i18n": self.message.to_json(),
        }


@dataclass(frozen=True, slots=True)
class PlanResult:
    """A placement plan and its evidence.

    Attributes
    ----------
    method
        ``cp-sat`` or ``greedy``.
    status
        ``optimal``, ``feasible``, ``infeasible`` or ``unknown``.
    objective, bound
        The score stage's objective (integer points, see :func:`integer_points`, minus the
        split penalties) and CP-SAT's bound on it; None when not solved (greedy: no bound).
    gap
        ``(bound - objective) / max(1, objective)`` on the score stage, None without a bound.
    runtime_s, seed
        Wall-clock seconds; the solver seed.
    assignments, unplaced
        Every waiting child is in exactly one of them; the unplaced longest-waiting first.
    summary_figures
        ``children``, ``placed``, ``sibling_groups``, ``sibling_groups_whole``,
        ``own_community``, ``mean_distance_km``, ``kin``, ``long_waiting`` (``children``
        who waited over a year, and how many of them are ``placed``),
        ``non_kin_mean_distance_km``.
    conflicts
        Families where two rules could not both hold, and what the plan did.
    notes
        What the reader must know about how the plan was made (e.g. it is the baseline).
    baseline, baseline_assignments
        The lawful greedy baseline's summary figures and placements (``child_id``,
        ``home_id``, ``distance_km``, ``kin``, ``own_community``), for a cp-sat plan.
    """

    method: str
    status: str
    objective: int | None
    bound: int | None
    gap: float | None
    runtime_s: float
    seed: int
    assignments: tuple[Assignment, ...]
    unplaced: tuple[Unplaced, ...]
    summary_figures: dict[str, Any] = field(default_factory=dict)
    conflicts: tuple[Conflict, ...] = ()
    notes: tuple[Message, ...] = ()
    baseline: dict[str, Any] | None = None
    baseline_assignments: tuple[dict[str, Any], ...] = ()

    def placement(self) -> dict[str, str]:
        """Child id -> home id."""
        return {a.child_id: a.home_id for a in self.assignments}

    def to_json(self) -> dict[str, Any]:
        """The plan as in DESIGN.md section 12 ("Placement plan")."""
        return {
            "method": self.method,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": None if self.gap is None else round(self.gap, 6),
            "runtime_s": round(self.runtime_s, 3),
            "seed": self.seed,
            "assignments": [a.to_json() for a in self.assignments],
            "unplaced": [u.to_json() for u in self.unplaced],
            "summary": {
                **self.summary_figures,
                "conflicts": [c.to_json() for c in self.conflicts],
            },
            "notes": [str(n) for n in self.notes],
            "notes_i18n": [n.to_json() for n in self.notes],
            "baseline": self.baseline,
            "baseline_assignments": list(self.baseline_assignments),
        }

    def summary(self) -> str:
        """A readable report: the figures, then every assignment and every unplaced child."""
        f = self.summary_figures
        gap = "" if self.gap is None else f", gap {self.gap:.4%}"
        lines = [
            f"Plan ({self.method}): {self.status}{gap}, {self.runtime_s:.2f} s, seed {self.seed}",
            f"  {_figures_line(f)}",
        ]
        if self.baseline is not None:
            lines.append(f"  baseline (greedy, lawful): {_figures_line(self.baseline)}")
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  conflict ({c.kind}): {c.message}" for c in self.conflicts]
        for a in self.assignments:
            why = "; ".join(x.reason for x in sorted(a.factors, key=lambda x: -x.contribution)[:2])
            lines.append(
                f"  {a.child_id} -> {a.home_id}  score {a.score:.2f}  {a.distance_km:.1f} km"
                f"{'  kin' if a.kin else ''}  {why}"
            )
        for u in self.unplaced:
            waited = "" if u.waited_days is None else f" (waiting {u.waited_days} days)"
            lines.append(f"  {u.child_id}{waited} not placed: {' '.join(u.reasons)}")
        return "\n".join(lines)


def _figures_line(f: Mapping[str, Any]) -> str:
    """The headline measures in one line."""
    long = f["long_waiting"]
    return (
        f"placed {f['placed']} of {f['children']} children; sibling groups kept whole "
        f"{f['sibling_groups_whole']} of {f['sibling_groups']}; own community "
        f"{f['own_community']}; kin {f['kin']}; waited over a year placed {long['placed']} "
        f"of {long['children']}; mean distance {f['mean_distance_km']} km "
        f"(not kin {f['non_kin_mean_distance_km']} km)"
    )


# -- the data: candidates per child, from eligibility and scoring ----------------------------


@dataclass(eq=False)
class _Child:
    """One waiting child's options: candidate homes, each scored for this child alone."""

    child: Child
    group: int
    positions: np.ndarray  # snapshot positions of the options
    points: np.ndarray  # weighted factor sum per option
    pairing: Pairing
    scores: Scores
    eligible: int  # every home eligible for the child, before any was left out
    waited_days: int | None
    priority: int  # integer points for placing the child at all: the longest-waiting first
    icwa_tier: int | None  # the child's best ICWA tier (the only one proposed), or None

    @property
    def long_waiting(self) -> bool:
        """Waited over a year (the headline measure "children who waited over a year placed")."""
        return self.waited_days is not None and self.waited_days > LONG_WAIT_DAYS

    def kin_at(self, o: int, snapshot: HomeSnapshot) -> bool:
        """The option is a kin home named for this child."""
        return self.child.id in snapshot.homes[int(self.positions[o])].kin_of

    def own_community_at(self, o: int, snapshot: HomeSnapshot) -> bool:
        """The option is in the child's removal community."""
        home = snapshot.homes[int(self.positions[o])]
        return home.community is not None and home.community == self.child.removal_community


class Options:
    """A child's options looked up by home: snapshot position -> option index.

    The positions are ascending (eligibility's order), so a lookup is a binary search: at
    state scale a child has over a thousand eligible homes, and a dictionary per child cost
    seconds to build.
    """

    __slots__ = ("positions",)

    def __init__(self, positions: np.ndarray) -> None:
        self.positions = positions

    def get(self, position: int, default: int | None = None) -> int | None:
        """The option index of the home at ``position``, or ``default``."""
        i = int(np.searchsorted(self.positions, position))
        if i < len(self.positions) and int(self.positions[i]) == position:
            return i
        return default

    def __getitem__(self, position: int) -> int:
        found = self.get(position)
        if found is None:
            raise KeyError(position)
        return found

    def __contains__(self, position: object) -> bool:
        return isinstance(position, (int, np.integer)) and self.get(int(position)) is not None


@dataclass(eq=False)
class _Group:
    """A sibling group (or a single child) and its eligibility as one request."""

    members: list[int]  # indices into Table.children
    found: Eligibility
    whole_positions: np.ndarray  # homes taking the whole group
    whole_distance_km: np.ndarray  # per such home: km for the farthest member


@dataclass(eq=False)
class Table:
    """Every waiting child's candidate homes: the data the plan and the greedy baseline share."""

    snapshot: HomeSnapshot
    communities: Communities
    policy: Policy
    children: list[_Child]
    groups: list[_Group]
    index: dict[str, int]

    def option_of(self) -> list[Options]:
        """Per child: snapshot position -> option index."""
        return [Options(e.positions) for e in self.children]


def waiting_order(children: Sequence[Child]) -> list[Child]:
    """Children in waiting order: longest waiting first (unknown last), then by id."""
    return sorted(children, key=lambda c: (c.waiting_since or date.max, c.id))


def waiting_points(policy: Policy, waited_days: int | None) -> int:
    """Integer points for placing a child who has waited this long (the waiting priority)."""
    if not waited_days:
        return 0
    years = min(waited_days / 365.0, policy.waiting_priority_cap_years)
    return integer_points(policy.waiting_priority * years)


def build_table(
    children: Sequence[Child],
    snapshot: HomeSnapshot,
    communities: Communities,
    policy: Policy,
) -> Table:
    """Every eligible home of every waiting child, each scored for that child alone.

    A sibling group is one eligibility request (so a kin home of one sibling may take the
    others, and the homes that take it whole are known); each member keeps every home they
    may go to on their own, and is scored there alone: keeping them together is the
    "siblings together" points of a whole group and the split penalty.
    """
    seen: set[str] = set()
    for child in children:
        if child.id in seen:
            raise InputError("Child", child.id, "id", "passed twice in one plan")
        seen.add(child.id)
    check_communities(children, snapshot, communities)  # once: the snapshot is shared
    ordered = sorted(children, key=lambda c: c.id)
    by_group: dict[str, list[Child]] = {}
    units: list[list[Child]] = []
    for child in ordered:
        if child.sibling_group is None:
            units.append([child])
        elif child.sibling_group in by_group:
            by_group[child.sibling_group].append(child)
        else:
            by_group[child.sibling_group] = [child]
            units.append(by_group[child.sibling_group])
    table = Table(snapshot, communities, policy, [], [], {})
    for unit in units:
        request = Request(unit)
        found = eligibility(request, snapshot, policy)
        group_pairing = Pairing(found.context, communities, found.positions, found.takes)
        g = len(table.groups)
        members: list[int] = []
        for i, child in enumerate(request.children):
            cols = np.flatnonzero(found.allowed[i])
            positions = found.positions[cols]
            ctx = (
                found.context if request.size == 1 else Context(Request([child]), snapshot, policy)
            )
            pairing = Pairing(ctx, communities, positions, np.ones((1, len(cols)), np.bool_))
            scores = score(pairing)
            points = scores.points - _far_cost(pairing, policy)
            waited = child.waited_days(snapshot.as_of)
            table.index[child.id] = len(table.children)
            members.append(len(table.children))
            table.children.append(
                _Child(
                    child,
                    g,
                    positions,
                    points,
                    pairing,
                    scores,
                    eligible=len(cols),
                    waited_days=waited,
                    priority=waiting_points(policy, waited),
                    icwa_tier=found.child_tiers[i],
                )
            )
        whole = np.flatnonzero(found.whole)
        table.groups.append(
            _Group(members, found, found.positions[whole], group_pairing.distance_km[whole])
        )
    return table


def _far_cost(pairing: Pairing, policy: Policy) -> np.ndarray:
    """Points a plan loses per home for a far placement (kin homes exempt): zero near home,
    growing with the square of the km beyond ``policy.far_km``."""
    if not policy.far_penalty:
        return np.zeros(pairing.distances_by_child.shape[1])
    beyond = np.maximum(pairing.distances_by_child[0] - policy.far_km, 0.0) / 10.0
    return policy.far_penalty * beyond**2 * ~pairing.context.kin[pairing.positions]


def cut_table(
    table: Table, keep: int | None, always: Mapping[int, int]
) -> tuple[Table, dict[int, int]]:
    """Each child's ``keep`` best homes by their own score, and the homes that must stay.

    Kept for every child: kin homes named for them, the ``keep`` best homes that take their
    whole group (by the members' points together), and the home of ``always`` (child index
    -> option index: the baseline's placement, so that it stays a solution of the model).
    Returns the smaller table and ``always`` in its option indices.
    """
    if keep is None:
        return table, dict(always)
    s = table.snapshot
    out = Table(s, table.communities, table.policy, [], table.groups, table.index)
    whole_kept: list[set[int]] = []
    for group in table.groups:
        if len(group.members) < 2 or not len(group.whole_positions):
            whole_kept.append(set())
            continue
        together = np.zeros(len(group.whole_positions))
        for c in group.members:  # every member may go to each such home: all are options
            entry = table.children[c]
            together += entry.points[np.searchsorted(entry.positions, group.whole_positions)]
        ids = s.id_order[group.whole_positions]
        order = np.lexsort((ids, -together))
        whole_kept.append({int(group.whole_positions[w]) for w in order[:keep]})
    moved: dict[int, int] = {}
    for c, entry in enumerate(table.children):
        m = len(entry.positions)
        chosen = np.zeros(m, dtype=np.bool_)
        if m > keep:
            ids = s.id_order[entry.positions]
            chosen[np.lexsort((ids, -entry.points))[:keep]] = True
        else:
            chosen[:] = True
        chosen |= np.isin(entry.positions, s.kin_positions(entry.child.id))
        if whole_kept[entry.group]:
            kept = np.fromiter(whole_kept[entry.group], dtype=np.intp)
            chosen[np.searchsorted(entry.positions, kept)] = True
        if c in always:
            chosen[always[c]] = True
        cols = np.flatnonzero(chosen)
        if c in always:
            moved[c] = int(np.searchsorted(cols, always[c]))
        pairing = entry.pairing
        out.children.append(
            _Child(
                entry.child,
                entry.group,
                entry.positions[cols],
                entry.points[cols],
                Pairing(
                    pairing.context,
                    pairing.communities,
                    entry.positions[cols],
                    pairing.takes[:, cols],
                ),
                _columns(entry.scores, cols),
                eligible=entry.eligible,
                waited_days=entry.waited_days,
                priority=entry.priority,
                icwa_tier=entry.icwa_tier,
            )
        )
    return out, moved


def _columns(scores: Scores, cols: np.ndarray) -> Scores:
    """The scores of some of the homes."""
    return Scores(
        scores.factors,
        scores.weights,
        scores.values[:, cols],
        scores.points[cols],
        scores.total_weight,
        scores.score[cols],
    )


# -- the model ----------------------------------------------------------------------------------


class _Progress(cp_model.CpSolverSolutionCallback):
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
class _Layout:
    """A table with its options indexed by home, and the homes each group may take whole:
    enough to check and repair a placement without a solver (the baseline uses it too)."""

    table: Table
    # child index -> snapshot position -> option index
    option_of: list[Options]
    # group index -> the homes that may take it whole
    whole_homes: list[list[int]]

    @classmethod
    def of(cls, table: Table) -> _Layout:
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
                    x.id in table.children[c].child.separate_from or x.separate_from & ids
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


@dataclass(eq=False)
class _Model(_Layout):
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

    def improved(self, start: dict[int, int], values: np.ndarray) -> dict[int, int] | None:
        """A lawful placement near the relaxed values, as good in count as ``start``.

        From a lawful placement, each move the relaxation favours (value above one half,
        largest first) is made when it keeps every rule: a group moved whole into a home
        with the beds, a child on their own moved to a home with a bed (never out of a
        group placed whole, never away from a kin home named for them, never freeing a bed
        in a kin home whose child lives elsewhere). No child loses a home, so the count
        never drops. Groups then split unlawfully are moved whole; None if that fails.
        """
        table, s = self.table, self.table.snapshot
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
            child = table.children[c].child
            return not any(
                other in child.separate_from
                or child.id in table.children[table.index[other]].child.separate_from
                for other in living.get(p, set()) - moving
            )

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
            chosen[c] = self.option_of[c][p]

        def whole_at(g: int) -> int | None:
            members = table.groups[g].members
            homes = {at.get(m) for m in members}
            return homes.pop() if len(members) > 1 and len(homes) == 1 else None

        moves = sorted(
            [(-values[v.index], 0, g, p) for (g, p), v in self.whole.items()]
            + [(-values[v.index], 1, c, o) for (c, o), v in self.place.items()]
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
            if single and not kin_of(c, p) and any(beds[k] > 0 for k in self._kin_homes(c)):
                continue  # kin first: not elsewhere while their kin home has a bed
            if self._claimed_by_icwa_sibling(c, p, at):
                continue  # her tier's home, while she waits
            move(c, p)
        return self.repair(chosen)

    def best_options(self) -> np.ndarray:
        """A value per model variable that :meth:`improved` follows without a relaxation:
        1 for each child's best-scored home on their own and each group's best home whole,
        0 elsewhere (a cheap stand-in when there is no time to build the relaxation)."""
        values = np.zeros(len(self.model.proto.variables))
        for c, entry in enumerate(self.table.children):
            mine = [o for o in range(len(entry.positions)) if (c, o) in self.place]
            if mine:
                best = max(mine, key=lambda o: (entry.points[o], -o))
                values[self.place[c, best].index] = 1.0
        for g in range(len(self.table.groups)):
            homes = [p for p in self.whole_homes[g] if (g, p) in self.whole]
            if homes:
                best_home = max(
                    homes, key=lambda p: (whole_points(self.table, g, p, self.option_of), -p)
                )
                values[self.whole[g, best_home].index] = 1.0
        return values

    def _claimed_by_icwa_sibling(self, c: int, p: int, at: Mapping[int, int]) -> bool:
        """Home ``p`` is of the best tier of an ICWA sibling of ``c`` who is not placed (a
        child not under ICWA takes such a home on their own only while she is placed)."""
        if self.table.children[c].icwa_tier is not None:
            return False
        group = self.table.groups[self.table.children[c].group]
        return any(
            self.table.children[m].icwa_tier is not None and m not in at and p in self.option_of[m]
            for m in group.members
            if m != c
        )

    def _kin_homes(self, c: int) -> list[int]:
        entry = self.table.children[c]
        snapshot = self.table.snapshot
        return [int(p) for p in entry.positions if entry.child.id in snapshot.homes[int(p)].kin_of]

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
        self.model.clear_hints()
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


def _build(table: Table) -> _Model:
    model = cp_model.CpModel()
    s = table.snapshot
    layout = _Layout.of(table)
    option_of, whole_homes = layout.option_of, layout.whole_homes

    # a group may be split only when, whatever the others take, no home taking it whole
    # could be left with its beds: otherwise it is never split (and has no split variables)
    demand: dict[int, int] = {}
    for entry in table.children:
        for position in entry.positions:
            demand[int(position)] = demand.get(int(position), 0) + 1
    may_split = []
    for g, group in enumerate(table.groups):
        k = len(group.members)
        sure = any(int(s.free_beds[p]) - (demand[p] - k) >= k for p in whole_homes[g])
        may_split.append(k < 2 or not sure)

    # variables: a child alone in a home; a sibling group whole in a home
    place: dict[tuple[int, int], cp_model.IntVar] = {}
    whole: dict[tuple[int, int], cp_model.IntVar] = {}
    # position -> (variable, children it puts there, group)
    at_home: dict[int, list[tuple[cp_model.IntVar, int, int]]] = {}
    # (child, position) -> the variables that put the child in that home
    child_at: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    for c, entry in enumerate(table.children):
        if not may_split[entry.group]:
            continue
        for o, position in enumerate(entry.positions):
            p = int(position)
            var = model.new_bool_var(f"place_{entry.child.id}_{s.ids[p]}")
            place[c, o] = var
            at_home.setdefault(p, []).append((var, 1, entry.group))
            child_at.setdefault((c, p), []).append(var)
    for g, group in enumerate(table.groups):
        for p in whole_homes[g]:
            var = model.new_bool_var(f"group{g}_whole_in_{s.ids[p]}")
            whole[g, p] = var
            at_home.setdefault(p, []).append((var, len(group.members), g))
            for c in group.members:
                child_at.setdefault((c, p), []).append(var)

    def load(p: int, *, besides: int | None = None) -> cp_model.LinearExprT:
        """Children placed in the home at ``p`` (leaving out one group's)."""
        here = [(var, n) for var, n, g in at_home.get(p, []) if g != besides]
        return cp_model.LinearExpr.weighted_sum([v for v, _ in here], [n for _, n in here])

    # a child is placed in at most one home (alone or with the whole group)
    for c, entry in enumerate(table.children):
        if len(table.groups[entry.group].members) < 2:
            model.add_at_most_one(place[c, o] for o in range(len(entry.positions)))

    # a home never takes more children than it has free beds
    for p, entries in at_home.items():
        if sum(n for _, n, _ in entries) > s.free_beds[p]:
            model.add(load(p) <= int(s.free_beds[p]))

    # children with a recorded safety separation never live in the same home
    for (c, p), variables in child_at.items():
        for other in table.children[c].child.separate_from:
            d = table.index.get(other)
            if d is not None and other > table.children[c].child.id and (d, p) in child_at:
                model.add(sum(variables) + sum(child_at[d, p]) <= 1)

    elsewhere_of: dict[int, tuple[cp_model.IntVar, frozenset[int]]] = {}
    # kin first: a single child goes to a home not named for them only when every kin home
    # named for them is full (for a sibling group, keeping it together comes first and
    # kinship is a weight: a rule here would often leave one sibling without a home)
    for c, entry in enumerate(table.children):
        if len(table.groups[entry.group].members) > 1:
            continue
        own = [
            o
            for o, position in enumerate(entry.positions)
            if entry.child.id in s.homes[int(position)].kin_of
        ]
        others = [place[c, o] for o in range(len(entry.positions)) if o not in own]
        if not own or not others:
            continue
        elsewhere = model.new_bool_var(f"{entry.child.id}_not_with_kin")
        elsewhere_of[c] = (elsewhere, frozenset(own))
        model.add(sum(others) == elsewhere)
        for o in own:
            p = int(entry.positions[o])
            model.add(load(p) >= int(s.free_beds[p])).only_enforce_if(elsewhere)

    # ICWA binds for the ICWA child, kin first for her siblings is policy: a home in her
    # (best) tier goes to a sibling of hers on their own only while she too is placed
    for group in table.groups:
        if len(group.members) < 2:
            continue
        for c in group.members:
            if table.children[c].icwa_tier is None:
                continue
            g = table.children[c].group
            placed_c = [
                place[c, o] for o in range(len(table.children[c].positions)) if (c, o) in place
            ]
            placed_c += [whole[g, p] for p in whole_homes[g]]
            for j in group.members:
                if j == c or table.children[j].icwa_tier is not None:
                    continue
                for position in table.children[c].positions:
                    theirs = option_of[j].get(int(position))
                    if theirs is not None and (j, theirs) in place:
                        model.add(place[j, theirs] <= sum(placed_c))

    # a sibling group goes whole to one home, or is split (members on their own, some maybe
    # left waiting) only while no home that takes it whole still has the beds for it
    extra_parts: list[tuple[int, cp_model.LinearExprT]] = []
    guards: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    split_of: dict[int, cp_model.IntVar] = {}
    uses_of: dict[tuple[int, int], cp_model.IntVar] = {}
    for g, group in enumerate(table.groups):
        k = len(group.members)
        if k < 2:
            continue
        wholes = [whole[g, p] for p in whole_homes[g]]
        if not may_split[g]:
            model.add_at_most_one(wholes)
            continue
        split = model.new_bool_var(f"group{g}_split")
        split_of[g] = split
        model.add_at_most_one([*wholes, split])
        alone = []
        uses: dict[int, cp_model.IntVar] = {}
        for c in group.members:
            mine = [place[c, o] for o in range(len(table.children[c].positions))]
            # a member is placed on their own only when the group is split
            model.add(sum(mine) <= split)
            alone += mine
            for o, position in enumerate(table.children[c].positions):
                p = int(position)
                if p not in uses:
                    uses[p] = uses_of[g, p] = model.new_bool_var(f"group{g}_uses_{s.ids[p]}")
                model.add_implication(place[c, o], uses[p])
        # never more of the group in one home than its sibling limit
        for p in uses:
            here = [place[c, option_of[c][p]] for c in group.members if p in option_of[c]]
            if len(here) > s.max_siblings[p]:
                model.add(sum(here) <= int(s.max_siblings[p]))
        # split only while every home taking it whole is left with fewer than k free beds:
        # added when a solution breaks it (see _Model.guard), as the constraints are many,
        # weak in the linear relaxation, and rarely binding (the points favour whole groups)
        guards[g] = [(p, split) for p in whole_homes[g]]
        # parts beyond the first: homes used, plus members left waiting, minus one
        extra_parts.append((g, sum(uses.values()) + (k - 1) * split - sum(alone)))

    return _Model(
        table=table,
        option_of=option_of,
        whole_homes=whole_homes,
        model=model,
        place=place,
        whole=whole,
        extra_parts=extra_parts,
        guards=guards,
        at_home=at_home,
        split_of=split_of,
        uses_of=uses_of,
        elsewhere_of=elsewhere_of,
    )


@dataclass(eq=False)
class _Budget:
    """What is left of the time limit: wall-clock seconds, or, for a repeatable plan,
    CP-SAT's deterministic time (work units that do not depend on the machine's load)."""

    limit: float
    deterministic: bool
    seed: int
    workers: int | None
    started: float = field(default_factory=time.perf_counter)
    spent: float = 0.0  # deterministic time used by the solves so far

    def left(self) -> float:
        if self.deterministic:
            return self.limit - self.spent
        return self.limit - (time.perf_counter() - self.started)

    def solver(self) -> cp_model.CpSolver:
        """A solver for what is left."""
        solver = cp_model.CpSolver()
        solver.parameters.random_seed = self.seed
        solver.parameters.num_workers = self.workers or DEFAULT_WORKERS
        if self.deterministic:
            # interleaved search is repeatable when stopped by deterministic time; the wall
            # clock only guards against a runaway (it would make the run unrepeatable)
            solver.parameters.interleave_search = True
            solver.parameters.max_deterministic_time = max(self.left(), 0.01)
            solver.parameters.max_time_in_seconds = WALL_GUARD * self.limit + 10.0
        else:
            # CP-SAT's parallel search is repeatable for a fixed seed and worker count when
            # it ends by proof, not by the time limit; it finds better plans in the same
            # time than interleaved search (measured at 2,000 children x 10,000 homes, 10 s:
            # 0.004-0.3% from the bound against 0.7%)
            solver.parameters.interleave_search = False
            solver.parameters.max_time_in_seconds = max(self.left(), 0.01)
        return solver

    def spend(self, solver: cp_model.CpSolver) -> None:
        """Count a finished solve's work against a deterministic budget."""
        self.spent += solver.response_proto.deterministic_time


_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "unknown",
    cp_model.UNKNOWN: "unknown",
}


def plan(
    children: Sequence[Child],
    snapshot: HomeSnapshot,
    communities: Communities,
    policy: Policy,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    keep: int = DEFAULT_KEEP,
    deterministic: bool = False,
) -> PlanResult:
    """Place every waiting child at once: most children first, then the best score.

    Parameters
    ----------
    children
        The waiting children; siblings share ``sibling_group``.
    snapshot, communities, policy
        The homes, community names and adjacency, and the matching policy.
    time_limit_s
        Wall-clock seconds for both solver stages together; with ``deterministic``, units
        of CP-SAT's deterministic time instead (on this project's 2-core benchmark machine
        one unit took about 3 s).
    seed, workers
        CP-SAT's random seed and worker count (default 8). The same input, seed and worker
        count give the same plan when the plan is proven optimal, and always with
        ``deterministic``.
    progress
        Called with a line of text at each improving solution.
    keep
        Candidate homes kept per child, best by score (kin homes always kept).
    deterministic
        Repeatable even when the time limit stops the search: CP-SAT's interleaved search,
        stopped by deterministic time. It finds somewhat worse plans in the same time.

    Returns
    -------
    PlanResult
        With ``method="cp-sat"``.
    """
    if time_limit_s <= 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s!r}")
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep!r}")
    started = time.perf_counter()
    say = progress or (lambda _: None)
    # the baseline (today's practice, made lawful) from every eligible home; the model keeps
    # each child's best homes and always the baseline's, so the baseline is one of its plans
    from matching.greedy import lawful_baseline  # greedy imports this module

    full = build_table(children, snapshot, communities, policy)
    baseline = lawful_baseline(full)
    floors = Floors.of(full, baseline)
    table, start = cut_table(full, keep, baseline)
    built = _build(table)
    say(f"model: {len(table.children)} children, {len(built.place)} candidate pairs")

    def finished(
        status: str,
        chosen: dict[int, int],
        objective: int | None,
        bound: int | None,
        notes: tuple[Message, ...] = (),
    ) -> PlanResult:
        result = finish(table, "cp-sat", status, chosen, objective, bound, started, seed, notes)
        return with_baseline(result, full, baseline)

    # the solver stops early enough for the result to be explained within the time limit
    explain = max(FINISH_RESERVE_S, FINISH_RESERVE_PER_CHILD_S * len(table.children))
    reserve = 0.0 if deterministic else min(explain, 0.15 * time_limit_s)
    budget = _Budget(time_limit_s - reserve, deterministic, seed, workers, started)

    # never behind the baseline on the headline measures: the floors bind both stages
    built.hold_floors(floors)
    meets = partial(floors.met_by, table)
    # objective, stage 1: the most children placed, then the fewest groups split, starting
    # from the baseline (a hint: on large, dense instances the solver may
    # otherwise find no plan in the time limit)
    siblings_first = policy.plan_first == "sibling_groups_whole"
    if siblings_first:  # the policy asks for the most groups kept whole before the count
        built.model.maximize(built.whole_then_placed())
        weights = (built.per_group(), built.per_child())
    else:
        built.model.maximize(built.placed_then_whole())
        weights = (0, built.per_child())
    status1, chosen, _, _ = _solve_stage(
        built, start, "children placed", budget, say, meets, weights
    )
    if status1 == cp_model.UNKNOWN:  # no plan within the time limit: the baseline, no bound
        say("stage 1 found no plan in the time limit: the lawful baseline is returned")
        note = Message("plan.is_baseline")
        return finished("feasible", chosen, score_points(table, chosen), None, (note,))
    most = len(chosen)
    if siblings_first:
        held = sum(  # groups the first stage placed through their whole-group variable
            1
            for g, group in enumerate(table.groups)
            if any(
                all(c in chosen and built.option_of[c].get(p) == chosen[c] for c in group.members)
                for p in built.whole_homes[g]
            )
        )
        built.model.add(built.groups_whole() >= held)

    # objective, stage 2: with that many placed, the most score points; a split group's
    # extra homes cost the split penalty, more than anything one child gains from a home
    # of its own (the policy refuses less), so a group that must be split goes to the
    # fewest homes. (Holding the count by a dominating weight instead of this constraint
    # avoids a second presolve of a global sum, but measured worse at 2,000 children: the
    # solver lost the count.)
    built.model.add(built.placed() >= most)
    built.model.maximize(built.points())
    # (out of time before the solver's first plan: the first stage's plan moved toward the
    # linear relaxation, still lawful, with the solver's bound if it has one)
    status2, chosen, objective, bound = _solve_stage(
        built, chosen, "score", budget, say, meets, relax=True, presolve=False
    )
    both = status1 == cp_model.OPTIMAL and status2 == cp_model.OPTIMAL
    return finished("optimal" if both else "feasible", chosen, objective, bound)


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


def _solve_stage(
    built: _Model,
    hint: dict[int, int],
    stage: str,
    budget: _Budget,
    say: Progress,
    meets: Callable[[dict[int, int]], bool],
    weights: tuple[int, int] = (0, 0),
    relax: bool = False,
    presolve: bool = True,
) -> tuple[Any, dict[int, int], int, int | None]:
    """Solve the model's current objective from a lawful placement; when the solution splits
    a sibling group that a home could still take whole, add that group's split rule and
    solve again.

    Returns (status, placement, objective, bound). The status is CP-SAT's; UNKNOWN when no
    lawful solution came from the solver in the time left, the placement then being the
    best lawful one known (the hint, its improvement toward the linear relaxation, or a
    solution with its unlawfully split groups moved whole), and the bound the tightest
    that a solve which found a solution proved, if any. A placement made outside the
    solver is used only when it ``meets`` the floors.
    """
    lawful = hint
    bound: int | None = None
    status: Any = cp_model.UNKNOWN
    # the first solve starts near the linear relaxation, when GLOP solves it in a third of
    # the time left (it is not worth more: the solver also starts from the first stage's plan)
    # (building the relaxation in Python takes about 1 s per 10,000 variables here: worth it
    # only with time to spare for the search that follows)
    lp_cost_s = len(built.model.proto.variables) / LP_VARIABLES_PER_S
    relax = relax and budget.left() > 3 * lp_cost_s
    relaxed = relaxed_values(built.model, budget.left() / 3) if relax else None
    if relaxed is not None:
        start = built.improved(hint, relaxed)
        if start is not None and meets(start):
            hint = lawful = start
        say(f"{stage}: the start moved toward the linear relaxation")
    elif not presolve:  # no time for the relaxation: each child toward their best home
        start = built.improved(hint, built.best_options())
        if start is not None and meets(start):
            hint = lawful = start
            say(f"{stage}: the start moved each child toward their best free home")
    while budget.left() > 0:
        built.hint(hint)
        solver = budget.solver()
        if not presolve:
            # the score stage starts from a complete, lawful plan: without presolve the
            # solver reports it at once and improves on it; with presolve (the floors and
            # the count are global sums) its first solution came after 6 s at 2,000
            # children x 10,000 homes, and a 10 s plan often had none (measured here)
            solver.parameters.cp_model_presolve = False
        solved = solver.solve(built.model, _Progress(stage, say, weights))
        budget.spend(solver)
        if solved not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break  # (a search stopped before its first solution reports no usable bound)
        # each solve's model holds more of the split rule than the last: a tighter bound
        found = math.floor(solver.best_objective_bound + 1e-6)
        bound = found if bound is None else min(bound, found)
        chosen = built.extract(solver)
        broken = built.split_while_room(chosen)
        if not broken:
            return solved, chosen, round(solver.objective_value), bound
        say(f"{stage}: {len(broken)} sibling groups split while a home had room: solving again")
        built.guard(broken)
        # start again from the solution with those groups moved whole, when that is lawful
        repaired = built.repair(chosen)
        if repaired is not None and meets(repaired):  # lawful, and near-optimal
            hint = lawful = repaired
            status = cp_model.FEASIBLE
        else:
            hint = chosen
    if status == cp_model.FEASIBLE:
        say(f"{stage}: out of time; the split groups were moved whole into the homes with room")
    return status, lawful, score_points(built.table, lawful), bound


# -- from a placement to a result (shared with the greedy baseline) ---------------------------


def together_points(table: Table, g: int) -> int:
    """Points for a sibling group placed whole in one home: the "siblings together" factor
    at its full value, for every member (the members are scored alone, without it)."""
    k = len(table.groups[g].members)
    return integer_points(table.policy.weights.siblings_together * k) if k > 1 else 0


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


def _rows(table: Table, chosen: Mapping[int, int]) -> list[dict[str, Any]]:
    """Per placed child: where, how far, kin, own community (cheap: no reasons)."""
    s = table.snapshot
    rows = []
    for c, o in sorted(chosen.items(), key=lambda item: table.children[item[0]].child.id):
        entry = table.children[c]
        rows.append(
            {
                "child_id": entry.child.id,
                "home_id": s.ids[int(entry.positions[o])],
                "distance_km": round(float(entry.pairing.distances_by_child[0, o]), 1),
                "kin": entry.kin_at(o, s),
                "own_community": entry.own_community_at(o, s),
            }
        )
    return rows


def figures(table: Table, chosen: Mapping[int, int]) -> dict[str, Any]:
    """The headline measures of a placement (the plan JSON's ``summary``)."""
    rows = _rows(table, chosen)
    distances = [r["distance_km"] for r in rows]
    far = [r["distance_km"] for r in rows if not r["kin"]]
    long = [e for e in table.children if e.long_waiting]
    return {
        "children": len(table.children),
        "placed": len(rows),
        "sibling_groups": sum(1 for g in table.groups if len(g.members) > 1),
        "sibling_groups_whole": whole_groups(table, chosen),
        "own_community": sum(r["own_community"] for r in rows),
        "mean_distance_km": round(float(np.mean(distances)), 2) if distances else 0.0,
        "kin": sum(r["kin"] for r in rows),
        "long_waiting": {
            "children": len(long),
            "placed": sum(1 for c in chosen if table.children[c].long_waiting),
        },
        "non_kin_mean_distance_km": round(float(np.mean(far)), 2) if far else 0.0,
    }


def with_baseline(result: PlanResult, table: Table, chosen: Mapping[int, int]) -> PlanResult:
    """The result with the baseline's figures and placements beside it."""
    return replace(
        result,
        baseline=figures(table, chosen),
        baseline_assignments=tuple(_rows(table, chosen)),
    )


def finish(
    table: Table,
    method: str,
    status: str,
    chosen: dict[int, int],
    objective: int | None,
    bound: int | None,
    started: float,
    seed: int,
    notes: tuple[Message, ...] = (),
) -> PlanResult:
    """The result for a placement: assignments explained, reasons for the unplaced, figures."""
    s = table.snapshot
    assignments: list[Assignment] = []
    unplaced: list[Unplaced] = []
    living: dict[int, list[str]] = {}
    for c, o in chosen.items():
        living.setdefault(int(table.children[c].positions[o]), []).append(
            table.children[c].child.id
        )
    for c, entry in enumerate(table.children):
        child = entry.child
        if c not in chosen:
            unplaced.append(Unplaced(child.id, _reasons(table, c, living), entry.waited_days))
            continue
        o = chosen[c]
        home = s.homes[int(entry.positions[o])]
        scores, pairing = entry.scores, entry.pairing
        below = _below_tier(table, c, o)
        assignments.append(
            Assignment(
                child_id=child.id,
                home_id=home.id,
                score=float(scores.score[o]),
                points=float(scores.points[o]),
                distance_km=round(float(pairing.distances_by_child[0, o]), 1),
                kin=entry.kin_at(o, s),
                own_community=entry.own_community_at(o, s),
                factors=factor_scores(scores, pairing, o),
                waited_days=entry.waited_days,
                good_cause_required=below is not None,
                good_cause_reason=below,
            )
        )
    gap = None
    if objective is not None and bound is not None:
        gap = max(bound - objective, 0) / max(1, objective)
    return PlanResult(
        method=method,
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        runtime_s=time.perf_counter() - started,
        seed=seed,
        assignments=tuple(sorted(assignments, key=lambda a: a.child_id)),
        # the longest-waiting first (unknown last), then by id
        unplaced=tuple(sorted(unplaced, key=_longest_waiting_first)),
        summary_figures=figures(table, chosen),
        conflicts=tuple(_conflicts(table, chosen)),
        notes=notes,
    )


def _longest_waiting_first(u: Unplaced) -> tuple[int, str]:
    """Sort key: the longest-waiting first, unknown waiting last, then by id."""
    return (-1 if u.waited_days is None else -u.waited_days, u.child_id)


def _below_tier(table: Table, c: int, o: int) -> Message | None:
    """Why good cause is needed, when an ICWA child is placed below her best tier."""
    entry = table.children[c]
    if entry.icwa_tier is None:
        return None
    ctx = Context(Request([entry.child]), table.snapshot, table.policy)
    tier = int(IcwaOrder().tiers(ctx, entry.positions[o : o + 1])[0, 0])
    if tier <= entry.icwa_tier:
        return None
    return Message("good_cause.below_tier", id=entry.child.id, tier=tier, best=entry.icwa_tier)


def _conflicts(table: Table, chosen: Mapping[int, int]) -> list[Conflict]:
    """ICWA against siblings together, and against a sibling's kin home, family by family."""
    s = table.snapshot
    out: list[Conflict] = []
    for group in table.groups:
        if len(group.members) < 2:
            continue
        members = [table.children[c] for c in group.members]
        homes = {int(table.children[c].positions[chosen[c]]) for c in group.members if c in chosen}
        whole = len(homes) == 1 and all(c in chosen for c in group.members)
        together = icwa_vs_siblings(group.found)  # members are in the request's order
        for i, c in enumerate(group.members):
            entry = table.children[c]
            if entry.icwa_tier is None:
                continue
            ids = (entry.child.id, *(m.child.id for m in members if m is not entry))
            if i in together and not whole:
                out.append(Conflict(ids, "icwa_vs_siblings", together[i]))
            if c not in chosen:
                continue
            p = int(entry.positions[chosen[c]])
            for m in members:
                mine = m.child.id in s.homes[p].kin_of
                there = (
                    table.index[m.child.id] in chosen
                    and int(m.positions[chosen[table.index[m.child.id]]]) == p
                )
                if m is not entry and m.icwa_tier is None and mine and not there:
                    out.append(
                        Conflict(
                            ids,
                            "icwa_vs_kin",
                            Message(
                                "conflict.icwa_vs_kin",
                                home=s.ids[p],
                                id=entry.child.id,
                                tier=entry.icwa_tier,
                                sibling=m.child.id,
                            ),
                        )
                    )
    return out


def checked(
    result: PlanResult,
    children: Sequence[Child],
    snapshot: HomeSnapshot,
    communities: Communities,
    policy: Policy,
) -> tuple[PlanResult, list[Violation]]:
    """The plan as the solver-free checks accept it: each family whose placement breaks a
    rule is taken out and reported (:func:`withdraw`), every other child's plan kept.

    Returns the plan and the violations that remain (none, unless taking families out
    broke a rule for another; then the caller must not serve the plan).
    """
    groups = {c.id: c.sibling_group or c.id for c in children}
    family: dict[str, list[str]] = {}
    for c in children:
        family.setdefault(groups[c.id], []).append(c.id)
    for _ in range(3):  # taking a family out frees beds, which rarely breaks another rule
        violations = validate(children, snapshot, communities, policy, result)
        if not violations:
            return result, []
        broken: dict[str, list[str]] = {}
        for v in violations:
            for child_id in v.child_ids:
                if child_id in groups:
                    broken.setdefault(groups[child_id], []).append(v.message)
        if not broken:
            return result, violations
        result = withdraw(
            result,
            [family[g] for g in broken],
            ["; ".join(sorted(set(m))) for m in broken.values()],
        )
    return result, validate(children, snapshot, communities, policy, result)


def withdraw(result: PlanResult, groups: Sequence[Sequence[str]], why: Sequence[str]) -> PlanResult:
    """The plan without these families' placements: each is reported, never the whole plan
    lost for one family (the solver-free checks found a rule broken for them).

    ``groups``: the children of each family to take out (a sibling group whole); ``why``:
    per family, the broken rules in a sentence each.
    """
    out = {child_id for family in groups for child_id in family}
    kept = tuple(a for a in result.assignments if a.child_id not in out)
    removed = [a for a in result.assignments if a.child_id in out]
    unplaced = list(result.unplaced)
    for a in removed:
        unplaced.append(Unplaced(a.child_id, (Message("unplaced.withdrawn"),), a.waited_days))
    conflicts = list(result.conflicts)
    for family, sentence in zip(groups, why, strict=True):
        ids = tuple(sorted(family))
        conflicts.append(
            Conflict(
                ids, "rule_broken", Message("conflict.rule_broken", ids=list(ids), why=sentence)
            )
        )
    figures = dict(result.summary_figures)
    if figures:  # the measures of what is left
        where = {a.child_id: a.home_id for a in removed}
        whole = sum(
            1 for family in groups if len(family) > 1 and len({where.get(c) for c in family}) == 1
        )
        near = [a.distance_km for a in kept]
        far = [a.distance_km for a in kept if not a.kin]
        figures.update(
            placed=len(kept),
            own_community=sum(a.own_community for a in kept),
            kin=sum(a.kin for a in kept),
            sibling_groups_whole=figures["sibling_groups_whole"] - whole,
            mean_distance_km=round(float(np.mean(near)), 2) if near else 0.0,
            non_kin_mean_distance_km=round(float(np.mean(far)), 2) if far else 0.0,
            long_waiting={
                "children": figures["long_waiting"]["children"],
                "placed": sum(
                    1 for a in kept if a.waited_days is not None and a.waited_days > LONG_WAIT_DAYS
                ),
            },
        )
    return replace(
        result,
        assignments=kept,
        unplaced=tuple(sorted(unplaced, key=_longest_waiting_first)),
        conflicts=tuple(conflicts),
        summary_figures=figures,
    )


def _reasons(table: Table, c: int, living: dict[int, list[str]]) -> tuple[Message, ...]:
    """Why a child is not placed: no eligible home (the rule that removed most), or taken.

    ``living``: snapshot position -> the children the placement puts there.
    """
    entry = table.children[c]
    found = table.groups[entry.group].found
    count = entry.eligible  # every eligible home, also those the model left out
    if len(entry.positions):
        # the home that would have suited the child best, and who has its beds now
        o = int(np.argmax(entry.points))
        p = int(entry.positions[o])
        km = float(entry.pairing.distances_by_child[0, o])
        which = "unplaced.only_home" if count == 1 else "unplaced.best_home"
        home = Message(which, home=table.snapshot.ids[p], km=km)
        taken = sorted(living.get(p, []))
        if not taken:
            return (Message("unplaced.free", home=home),)
        if count == 1:
            return (Message("unplaced.taken", home=home, ids=taken),)
        return (Message("unplaced.all_taken", count=count, home=home, ids=taken),)
    if found.count == 0:
        _, suggestions = near_misses(found)
        message = _message(found, suggestions)
        if message:
            return (message,)
    return (Message("unplaced.none"),)
