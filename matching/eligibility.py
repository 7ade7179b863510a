"""Which homes can take which of the children: every hard rule, applied once, vectorised.

:func:`eligibility` runs the rules of :data:`matching.rules.RULES` in their fixed order over
every home, and returns the candidate homes with the children each one takes (all of them,
or for a sibling group that no single home can take whole, the largest part it can), the
ICWA tier of each, and how many homes each rule removed. It is the shared first step of
ranking and, later, of the placement plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from matching.policy import Policy
from matching.request import Context, PlacementRequest
from matching.rules import RULES, ChildRule, IcwaOrder, SizeRule
from matching.snapshot import HomeSnapshot

__all__ = ["Eligibility", "eligibility"]

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
Positions = NDArray[np.intp]

# Parts of a sibling group are found by trying every sub-group, largest first. Groups larger
# than this (almost never seen) take their part greedily instead: still valid, maybe smaller.
MAX_ENUMERATED_GROUP = 12


@dataclass(frozen=True, eq=False)
class Eligibility:
    """The homes that can take some or all of a request's children, and why the others can't.

    Attributes
    ----------
    context
        The request, snapshot and policy.
    positions
        Snapshot positions of the candidate homes, ascending.
    takes
        ``(children, candidates)``: the children each candidate would take. A candidate
        takes all of them, or (for a group) the largest part it can, separations respected;
        among parts of the same size, the one with the most children it is kin of.
    whole
        Per candidate: it takes every child of the request.
    allowed
        ``(children, candidates)``: each child on their own may go to the candidate (every
        child rule, a free bed, and the child's own ICWA order). A home may take another
        part of a group than ``takes`` says; the plan chooses which.
    kin
        Per candidate: it is a kin home of any of the request's children.
    tiers
        Per candidate: ICWA tier 1-4 of the children it takes (the worst of them), 0 when
        it takes no child under ICWA or the rule is off.
    best_tier
        The worst of the tiers proposed to the children under ICWA, or None.
    child_tiers
        Per child of the request: the best ICWA tier with an eligible home (the only tier
        proposed to that child), None for a child not under ICWA or without a home.
    good_cause
        Snapshot positions of the homes that would take the whole group but for the ICWA
        order: keeping the group together there places an ICWA child below her best tier,
        which only a court's finding of good cause allows (proposed as alternatives only).
    excluded
        Rule name -> homes it removed, every rule in order; the counts add up to the number
        of homes minus the candidates.
    not_whole
        For a group: rule name -> candidates kept from taking the whole group by it (the
        first such rule in order).
    passes
        Rule name -> which homes pass it for the whole request (every rule but ICWA's).
    """

    context: Context
    positions: Positions
    takes: BoolArray
    whole: BoolArray
    allowed: BoolArray
    kin: BoolArray
    tiers: IntArray
    best_tier: int | None
    child_tiers: tuple[int | None, ...]
    good_cause: Positions
    excluded: Mapping[str, int]
    not_whole: Mapping[str, int]
    passes: Mapping[str, BoolArray]

    @property
    def count(self) -> int:
        """Number of candidate homes."""
        return len(self.positions)


def eligibility(request: PlacementRequest, snapshot: HomeSnapshot, policy: Policy) -> Eligibility:
    """Apply every hard rule to every home for one request.

    A home is a candidate when it can take at least one of the children: every child rule
    allows that child there, it has a free bed, and the ICWA order keeps it. A home is
    counted as removed by the first rule (in :data:`~matching.rules.RULES` order) after which
    it can take none of the children.
    """
    ctx = Context(request, snapshot, policy)
    k, n = request.size, len(snapshot)
    alive = np.ones((k, n), dtype=np.bool_)  # (child, home) pairs every rule so far allows
    room = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    has_room = np.ones(n, dtype=np.bool_)
    home_alive = np.ones(n, dtype=np.bool_)
    alive_count = n
    excluded: dict[str, int] = {}
    passes: dict[str, BoolArray] = {}
    icwa = None
    for rule in RULES:
        if isinstance(rule, IcwaOrder):
            icwa = rule
            continue
        if not rule.applies(policy):
            excluded[rule.name] = 0
            passes[rule.name] = np.ones(n, dtype=np.bool_)
            continue
        if isinstance(rule, ChildRule):
            masks = rule.masks(ctx)
            alive &= masks
            passes[rule.name] = np.asarray(
                masks[0] if masks.shape[0] == 1 else masks.all(axis=0), dtype=np.bool_
            )
        elif isinstance(rule, SizeRule):
            rule_room = rule.room(ctx)
            room = np.minimum(room, rule_room)
            has_room = room >= 1
            passes[rule.name] = rule_room >= k
        else:  # a group rule decides which children may live together, not which homes
            passes[rule.name] = rule.evaluate(ctx)
        # homes only ever drop out, so the removed are the difference of two counts
        home_alive = (alive[0] if k == 1 else alive.any(axis=0)) & has_room
        still = int(np.count_nonzero(home_alive))
        excluded[rule.name] = alive_count - still
        alive_count = still

    # ICWA, per child: each child under ICWA is proposed only homes of the best tier that
    # has an eligible home for her; her siblings are not bound by her order
    assert icwa is not None
    whole_before = alive.all(axis=0) & (room >= k) & (not request.internally_separated)
    child_tiers: list[int | None] = [None] * k
    if icwa.applies(policy) and any(c.under_icwa for c in request.children):
        pool = np.flatnonzero(home_alive)
        tiers_all = icwa.tiers(ctx, pool)
        for i, child in enumerate(request.children):
            mine = alive[i, pool]
            if not child.under_icwa or not mine.any():
                continue
            best = int(tiers_all[i][mine].min())
            child_tiers[i] = best
            alive[i, pool[mine & (tiers_all[i] > best)]] = False
        still_alive = (alive[0] if k == 1 else alive.any(axis=0)) & has_room
        excluded[icwa.name] = int(np.count_nonzero(home_alive & ~still_alive))
        home_alive = still_alive
    else:
        excluded[icwa.name] = 0

    positions = np.flatnonzero(home_alive)
    alive_c = alive[:, positions]
    room_c = room[positions]
    kin_by_child = ctx.kin_by_child[:, positions]
    whole = alive_c.all(axis=0) & (room_c >= k) & (not request.internally_separated)
    takes = alive_c.copy()
    if k > 1 and not whole.all():
        part = ~whole
        icwa_children = np.array([t is not None for t in child_tiers], dtype=np.bool_)
        takes[:, part] = _largest_parts(
            request, alive_c[:, part], room_c[part], kin_by_child[:, part], icwa_children
        )
    tiers = np.zeros(len(positions), dtype=np.int64)
    if any(t is not None for t in child_tiers):
        tiers = np.where(takes, icwa.tiers(ctx, positions), 0).max(axis=0, initial=0)
    proposed = [t for t in child_tiers if t is not None]
    whole_after = np.zeros(n, dtype=np.bool_)
    whole_after[positions[whole]] = True
    # (for one child, a home below her tier is not an alternative: nothing else is gained)
    together = proposed and k > 1
    good_cause = np.flatnonzero(whole_before & ~whole_after) if together else positions[:0]

    not_whole: dict[str, int] = {}
    if k > 1:
        blocked = ~whole
        for rule in RULES:
            if rule.name in passes:
                stops = blocked & ~passes[rule.name][positions]
                if stops.any():
                    not_whole[rule.name] = int(np.count_nonzero(stops))
                blocked &= ~stops

    return Eligibility(
        context=ctx,
        positions=positions,
        takes=takes,
        whole=whole,
        allowed=alive_c,
        kin=ctx.kin[positions],
        tiers=tiers,
        best_tier=max(proposed) if proposed else None,
        child_tiers=tuple(child_tiers),
        good_cause=good_cause.astype(np.intp),
        excluded=MappingProxyType(excluded),
        not_whole=MappingProxyType(not_whole),
        passes=MappingProxyType(passes),
    )


def _largest_parts(
    request: PlacementRequest, alive: BoolArray, room: IntArray, kin: BoolArray, icwa: BoolArray
) -> BoolArray:
    """For homes that cannot take the whole group: the largest part each can take.

    Sub-groups are tried largest first; within a size, the one with the most children
    under ICWA wins (the home is in their best tier, as ``alive`` already says, and their
    order binds where kin first for a sibling is policy), then the one with the most
    children the home is kin of, then the first in id order. A sub-group qualifies at a home when
    every child in it may go there, the home has room for all of them, and no two of them
    are separated. Every home passed in can take at least one child, so every home gets a
    part.
    """
    k, m = alive.shape
    takes = np.zeros((k, m), dtype=np.bool_)
    if k > MAX_ENUMERATED_GROUP:
        return _greedy_parts(request, alive, room)
    todo = np.ones(m, dtype=np.bool_)
    for size in range(min(k, int(room.max())), 0, -1):
        best_kin = np.full(m, -1, dtype=np.int64)
        best = np.full(m, -1, dtype=np.int64)
        tried: list[tuple[int, ...]] = []
        for combo in combinations(range(k), size):
            if not request.separation_free(combo):
                continue
            members = np.array(combo, dtype=np.intp)
            ok = todo & (room >= size) & alive[members].all(axis=0)
            if not ok.any():
                continue
            # ICWA children count above any number of kin (at most k per home)
            kin_count = kin[members].sum(axis=0) + (k + 1) * int(icwa[members].sum())
            better = ok & (kin_count > best_kin)
            best_kin[better] = kin_count[better]
            best[better] = len(tried)
            tried.append(combo)
        for index, combo in enumerate(tried):
            takes[np.ix_(np.array(combo, dtype=np.intp), np.flatnonzero(best == index))] = True
        todo &= best < 0
        if not todo.any():
            break
    return takes


def _greedy_parts(request: PlacementRequest, alive: BoolArray, room: IntArray) -> BoolArray:
    """Parts for very large groups: children in id order, skipping separated ones."""
    k, m = alive.shape
    takes = np.zeros((k, m), dtype=np.bool_)
    for j in range(m):
        chosen: list[int] = []
        for i in range(k):
            if len(chosen) < room[j] and alive[i, j] and request.separation_free([*chosen, i]):
                chosen.append(i)
        takes[chosen, j] = True
    return takes
