"""Ranked, explained matches for one child or one sibling group.

:func:`rank` answers the coordinator's question "a child needs a home tonight: which homes,
in what order, and why?". The order is:

1. kin homes of these children, before every other home (kin first: even when further
   away or only provisionally approved, which the candidate shows);
2. within kin and within non-kin, homes that take the whole group before homes that take
   a part of it (``takes_all_siblings: false``);
3. then by score, highest first; ties by home id.

Every candidate carries its factors (value, weight, contribution, reason), split into what
speaks for the home and what counts against it, and the result says how many homes each
hard rule removed, which near misses are closest (kin homes first), and for every child how
long they have waited, whether they turn 18 soon and, under ICWA, the best tier on offer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from matching.eligibility import Eligibility, eligibility
from matching.factors import Scores, score
from matching.inputs import Child, Communities, InputError
from matching.messages import Message
from matching.near_miss import near_misses
from matching.pairing import Pairing
from matching.policy import Policy
from matching.rank_result import Candidate, FactorScore, RankResult, Waiting
from matching.request import PlacementRequest
from matching.rules import RULES, IcwaOrder
from matching.snapshot import HomeSnapshot

__all__ = ["check_communities", "factor_scores", "icwa_vs_siblings", "rank", "why_none"]

GOOD_CAUSE_SHOWN = 3  # alternatives below an ICWA child's tier shown, best by score


def rank(
    children: Sequence[Child],
    snapshot: HomeSnapshot,
    communities: Communities,
    policy: Policy,
    *,
    limit: int = 10,
) -> RankResult:
    """Rank the homes for one child or one whole sibling group.

    Parameters
    ----------
    children
        One child, or every child of a sibling group (placed together when a home can take
        them all, else in parts).
    snapshot
        The homes.
    communities
        Community names and adjacency (every community of the homes and children).
    policy
        Weights, radius and the jurisdiction profile.
    limit
        How many candidates to return (>= 0); counts cover every home regardless.

    Returns
    -------
    RankResult
        Candidates in rank order (kin first, then whole-group homes, then score, then id),
        the exclusion counts, near misses and, when nothing qualifies, why.

    Raises
    ------
    InputError
        A child or home names a community ``communities`` does not know.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be a whole number >= 0, got {limit!r}")
    request = PlacementRequest(children)
    check_communities(request.children, snapshot, communities)
    found = eligibility(request, snapshot, policy)
    pairing = Pairing(found.context, communities, found.positions, found.takes)
    scores = score(pairing)
    order = _top(found, scores.score, limit)
    candidates = tuple(
        _candidate(found, pairing, scores, int(j), place) for place, j in enumerate(order, start=1)
    )
    listed, suggestions = near_misses(found)
    notes = _notes(request)
    alternatives = _good_cause(found, communities)
    waiting = _waiting(found, scores)
    return RankResult(
        children=request.ids,
        homes=len(snapshot),
        eligible_homes=found.count,
        whole_group_homes=int(np.count_nonzero(found.whole)),
        excluded=found.excluded,
        not_whole=found.not_whole,
        icwa_tier=found.best_tier,
        candidates=candidates,
        near_misses=tuple(listed),
        suggestions=tuple(suggestions),
        notes=notes,
        message=why_none(found, suggestions),
        alternatives=alternatives,
        conflicts=tuple(icwa_vs_siblings(found).values()),
        icwa_best={request.ids[i]: t for i, t in enumerate(found.child_tiers) if t is not None},
        waiting=waiting,
        as_of=snapshot.as_of,
    )


def _top(found: Eligibility, score: NDArray[np.float64], limit: int) -> NDArray[np.intp]:
    """Indices of the best ``limit`` candidates, in rank order.

    The order is kin, then whole group, then score, then home id. With thousands of
    candidates only the best few need sorting: a partial selection on one combined key
    (the band, then the score) keeps every candidate that could be in the top ``limit``,
    ties included, and only those are sorted by all the keys.
    """
    chosen = np.arange(len(found.positions))
    if len(chosen) > 4 * limit:
        key = 2.0 * (2 * found.kin + found.whole) + score  # score is in 0..1: bands stay apart
        cut = np.partition(key, len(key) - limit)[len(key) - limit] if limit else np.inf
        chosen = np.flatnonzero(key >= cut)
    ids = found.context.snapshot.id_order[found.positions[chosen]]
    order = np.lexsort((ids, -score[chosen], ~found.whole[chosen], ~found.kin[chosen]))
    return chosen[order][:limit]


def check_communities(
    children: Sequence[Child], snapshot: HomeSnapshot, communities: Communities
) -> None:
    """Every child's removal community and every home's community is one ``communities``
    knows (``InputError`` naming the first that is not)."""
    for child in children:
        if child.removal_community is not None and child.removal_community not in communities:
            raise InputError(
                "Child",
                child.id,
                "removal_community",
                f"unknown community {child.removal_community!r}",
            )
    unknown = set(snapshot.community_ids) - communities.ids
    if unknown:
        home = next(h for h in snapshot.homes if h.community in unknown)
        raise InputError("Home", home.id, "community", f"unknown community {home.community!r}")


def factor_scores(scores: Scores, pairing: Pairing, column: int) -> tuple[FactorScore, ...]:
    """Every factor's value, weight, contribution and reason for one scored pair (a column)."""
    return tuple(
        FactorScore(
            name=factor.name,
            label=factor.label,
            value=float(scores.values[row, column]),
            weight=float(scores.weights[row]),
            contribution=float(scores.values[row, column] * scores.weights[row]),
            reason=factor.reason(pairing, column, float(scores.values[row, column])),
        )
        for row, factor in enumerate(scores.factors)
    )


def _icwa_tiers(found: Eligibility, pairing: Pairing, j: int) -> dict[str, int]:
    """Per ICWA child the candidate at column ``j`` takes: her tier there."""
    request = found.context.request
    icwa = [i for i, t in enumerate(found.child_tiers) if t is not None]
    taken = set(pairing.taken_ids(j))
    if not icwa or not taken & set(icwa):
        return {}
    tiers = IcwaOrder().tiers(found.context, pairing.positions[j : j + 1])[:, 0]
    return {request.ids[i]: int(tiers[i]) for i in icwa if i in taken}


def _good_cause(found: Eligibility, communities: Communities) -> tuple[Candidate, ...]:
    """The best homes that would take the whole group but for an ICWA child's order."""
    positions = found.good_cause
    if not len(positions):
        return ()
    k = found.context.request.size
    pairing = Pairing(found.context, communities, positions, np.ones((k, len(positions)), bool))
    scores = score(pairing)
    ids = found.context.snapshot.id_order[positions]
    order = np.lexsort((ids, -scores.score))[:GOOD_CAUSE_SHOWN]
    out = []
    for place, j in enumerate(order, start=1):
        home = pairing.snapshot.homes[int(positions[j])]
        tiers = _icwa_tiers(found, pairing, int(j))
        below = {
            c: t
            for c, t in tiers.items()
            if t > (found.child_tiers[found.context.request.ids.index(c)] or 0)
        }
        out.append(
            Candidate(
                rank=place,
                home_id=home.id,
                score=float(scores.score[j]),
                points=float(scores.points[j]),
                takes_all_siblings=True,
                children=found.context.request.ids,
                distance_km=round(float(pairing.distance_km[j]), 1),
                community=None if home.community is None else communities.name(home.community),
                community_id=home.community,
                kin=bool(found.context.kin[positions[j]]),
                licensed=home.licensed,
                icwa_tier=max(tiers.values()) if tiers else None,
                factors=factor_scores(scores, pairing, int(j)),
                icwa_tiers=tiers,
                good_cause_required=True,
                good_cause_reason=Message(
                    "good_cause.keeps_siblings",
                    ids=sorted(below),
                    tiers=[f"{t}" for t in below.values()],
                    size=k,
                ),
            )
        )
    return tuple(out)


def icwa_vs_siblings(found: Eligibility) -> dict[int, Message]:
    """Per ICWA child of a group (by index in the request) whom keeping the group together
    would place below her best tier: the conflict, in a sentence (none without such homes)."""
    request = found.context.request
    if not len(found.good_cause):
        return {}
    return {
        i: Message(
            "conflict.icwa_vs_siblings",
            id=request.ids[i],
            tier=best,
            siblings=[x for x in request.ids if x != request.ids[i]],
            homes=len(found.good_cause),
        )
        for i, best in enumerate(found.child_tiers)
        if best is not None
    }


def _candidate(
    found: Eligibility, pairing: Pairing, scores: Scores, j: int, place: int
) -> Candidate:
    position = int(found.positions[j])
    home = pairing.snapshot.homes[position]
    factors = factor_scores(scores, pairing, j)
    tier = int(found.tiers[j])
    return Candidate(
        rank=place,
        home_id=home.id,
        score=float(scores.score[j]),
        points=float(scores.points[j]),
        takes_all_siblings=bool(found.whole[j]),
        children=tuple(pairing.request.ids[i] for i in pairing.taken_ids(j)),
        distance_km=round(float(pairing.distance_km[j]), 1),
        community=None if home.community is None else pairing.communities.name(home.community),
        community_id=home.community,
        kin=bool(found.kin[j]),
        licensed=home.licensed,
        icwa_tier=tier if tier > 0 else None,
        factors=factors,
        icwa_tiers=_icwa_tiers(found, pairing, j),
    )


def _waiting(found: Eligibility, scores: Scores) -> tuple[Waiting, ...]:
    """Per child: days waited, a coming 18th birthday, and under ICWA the best tier on offer.

    The tier is the child's own (ICWA binds per child, also inside a sibling group), among
    the candidate homes that take this child; its home is the best-scoring one.
    """
    ctx = found.context
    as_of = ctx.snapshot.as_of
    icwa = next(r for r in RULES if isinstance(r, IcwaOrder))
    tiers = None
    if icwa.applies(ctx.policy) and any(c.under_icwa for c in ctx.request.children):
        tiers = icwa.tiers(ctx, found.positions)
    rows = []
    for i, child in enumerate(ctx.request.children):
        tier: int | None = None
        home: str | None = None
        if tiers is not None and child.under_icwa:
            offered = np.flatnonzero(found.takes[i] & (tiers[i] > 0))
            if len(offered):
                tier = int(tiers[i, offered].min())
                best = offered[tiers[i, offered] == tier]
                ids = ctx.snapshot.id_order[found.positions[best]]
                pick = int(best[np.lexsort((ids, -scores.score[best]))[0]])
                home = ctx.snapshot.ids[int(found.positions[pick])]
        rows.append(
            Waiting(
                child_id=child.id,
                waited_days=child.waited_days(as_of),
                turns_18_on=child.turns_18_on(as_of),
                icwa=child.under_icwa,
                best_icwa_tier=tier,
                best_icwa_home=home,
            )
        )
    return tuple(rows)


def _notes(request: PlacementRequest) -> tuple[Message, ...]:
    return tuple(
        Message("rank.separation_note", a=request.ids[i], b=request.ids[j])
        for i, j in request.separated
    )


def why_none(found: Eligibility, suggestions: Sequence[Message]) -> Message | None:
    """Why nothing (or no home for the whole group) qualifies, in a sentence or two."""
    request = found.context.request
    n = found.context.n

    def near(message: Message) -> Message:
        if not suggestions:
            return message
        return Message("rank.near", message=message, suggestions=list(suggestions))

    if found.count == 0:
        if n == 0:
            return Message("rank.no_homes", ids=list(request.ids))
        # "not active" is rarely the useful answer (closed homes may be in the snapshot):
        # name it only when nothing else removed a home
        counts = {k: v for k, v in found.excluded.items() if v}
        pick = {k: v for k, v in counts.items() if k != "inactive"} or counts
        worst = max(pick, key=lambda k: pick[k])
        rule = Message(f"rule.{worst}")
        return near(
            Message("rank.none", ids=list(request.ids), rule=rule, removed=pick[worst], homes=n)
        )
    if request.size > 1 and not found.whole.any():
        if request.separated:
            pairs = [
                Message("rank.kept_apart", a=request.ids[i], b=request.ids[j])
                for i, j in request.separated
            ]
            return Message("rank.separated", size=request.size, pairs=pairs)
        blockers = [
            Message("rank.blocker", rule=Message(f"rule.{k}"), homes=v)
            for k, v in found.not_whole.items()
        ]
        return near(Message("rank.not_whole", size=request.size, blockers=blockers))
    return None
