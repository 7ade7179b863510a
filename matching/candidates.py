"""The plan's data: every waiting child's candidate homes, each scored for that child alone.

The plan and the greedy baseline share this table: eligibility (every hard rule, the child's
own ICWA tier) gives the homes each child may go to and the homes that take a sibling group
whole; scoring gives each child's points per home. :func:`cut_table` keeps each child's best
homes for the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from matching.eligibility import Eligibility, eligibility
from matching.factors import Scores, score
from matching.inputs import Child, Communities, InputError
from matching.pairing import Pairing
from matching.policy import Policy
from matching.rank import check_communities
from matching.request import Context, PlacementRequest
from matching.snapshot import HomeSnapshot

__all__ = [
    "DEFAULT_KEEP",
    "LONG_WAIT_DAYS",
    "ChildRow",
    "GroupRow",
    "Options",
    "Table",
    "build_table",
    "cut_table",
    "far_cost",
    "integer_points",
    "scored_alone",
    "waiting_order",
    "waiting_points",
]

DEFAULT_KEEP = 30  # candidate homes kept per child (kin homes always kept)
POINTS_SCALE = 1000  # score points enter CP-SAT as thousandths


LONG_WAIT_DAYS = 365  # "waited over a year", a headline measure (docs/matching-rules.md)


def integer_points(points: float) -> int:
    """Score points as the integers CP-SAT optimises: thousandths of a point, rounded."""
    return round(points * POINTS_SCALE)


@dataclass(eq=False)
class ChildRow:
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
class GroupRow:
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
    children: list[ChildRow]
    groups: list[GroupRow]
    index: dict[str, int]

    def apart(self, c: int, others: Iterable[str]) -> bool:
        """Child ``c`` may live with these children: no safety separation from any of them."""
        child = self.children[c].child
        return not any(
            child.kept_apart_from(self.children[self.index[other]].child) for other in others
        )

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
        request = PlacementRequest(unit)
        found = eligibility(request, snapshot, policy)
        group_pairing = Pairing(found.context, communities, found.positions, found.takes)
        g = len(table.groups)
        members: list[int] = []
        for i, child in enumerate(request.children):
            cols = np.flatnonzero(found.allowed[i])
            positions = found.positions[cols]
            ctx = found.context if request.size == 1 else None
            pairing, scores, points = scored_alone(
                child, positions, snapshot, communities, policy, ctx
            )
            waited = child.waited_days(snapshot.as_of)
            table.index[child.id] = len(table.children)
            members.append(len(table.children))
            table.children.append(
                ChildRow(
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
            GroupRow(members, found, found.positions[whole], group_pairing.distance_km[whole])
        )
    return table


def scored_alone(
    child: Child,
    positions: np.ndarray,
    snapshot: HomeSnapshot,
    communities: Communities,
    policy: Policy,
    context: Context | None = None,
) -> tuple[Pairing, Scores, np.ndarray]:
    """One child scored alone at the homes at ``positions``: the pairing, the factor scores
    and the plan's points per home (weighted factor sum minus :func:`far_cost`).

    ``context`` is the child's own request against the snapshot, when the caller has it.
    Eligibility is not checked: the caller chooses the homes (the plan's table passes the
    eligible ones; a replay also scores the homes the records say a child went to).
    """
    ctx = context or Context(PlacementRequest([child]), snapshot, policy)
    pairing = Pairing(ctx, communities, positions, np.ones((1, len(positions)), np.bool_))
    scores = score(pairing)
    return pairing, scores, scores.points - far_cost(pairing, policy)


def far_cost(pairing: Pairing, policy: Policy) -> np.ndarray:
    """Points a plan loses per home for a far placement (kin homes exempt): zero near home,
    growing with the square of the km beyond ``policy.far_km``."""
    if not policy.far_penalty:
        return np.zeros(pairing.distances_by_child.shape[1])
    beyond = np.maximum(pairing.distances_by_child[0] - policy.far_km, 0.0) / 10.0
    cost: np.ndarray = policy.far_penalty * beyond**2 * ~pairing.context.kin[pairing.positions]
    return cost


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
            ChildRow(
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
