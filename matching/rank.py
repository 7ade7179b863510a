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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.eligibility import Eligibility, eligibility
from matching.factors import Pairing, Scores, factor_named, score
from matching.inputs import Child, Communities, InputError
from matching.messages import Message
from matching.near_miss import NearMiss, near_misses
from matching.policy import Policy
from matching.request import Request, join_words
from matching.rules import RULES, IcwaOrder, rule_named
from matching.snapshot import HomeSnapshot

__all__ = ["Candidate", "FactorScore", "RankResult", "Waiting", "rank"]

WHY_SHOWN = 3  # reasons for a home in the summary's one-line "why" (the JSON has them all)

GOOD_CAUSE_SHOWN = 3  # alternatives below an ICWA child's tier shown, best by score


@dataclass(frozen=True, slots=True)
class FactorScore:
    """One factor's part in a candidate's score: ``contribution = value * weight``."""

    name: str
    label: str
    value: float
    weight: float
    contribution: float
    reason: Message

    @property
    def speaks_for(self) -> bool:
        """The factor is a reason to choose the home: valued above one half, and weighed."""
        return self.value > 0.5 and self.contribution > 0

    @property
    def counts_against(self) -> bool:
        """The factor counts against the home: valued below one half where more was possible.

        Kinship is the exception: not being kin is the ordinary case, not a flaw of a home.
        """
        return self.value < 0.5 and self.weight > 0 and factor_named(self.name).counts_against

    @property
    def points_lost(self) -> float:
        """Points the home misses on this factor: ``(1 - value) * weight``."""
        return (1.0 - self.value) * self.weight

    def to_json(self) -> dict[str, Any]:
        """As in DESIGN.md §12, with ``reason_i18n``: the reason as a key and values."""
        return {
            "name": self.name,
            "value": round(self.value, 3),
            "weight": self.weight,
            "contribution": round(self.contribution, 3),
            "reason": str(self.reason),
            "reason_i18n": self.reason.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposed home.

    Attributes
    ----------
    rank
        1 for the first.
    home_id
        The home.
    score
        Weighted factor sum divided by the total weight, 0..1.
    points
        The weighted factor sum itself.
    takes_all_siblings
        The home takes every child of the request (always True for one child).
    children
        Ids of the children it would take.
    distance_km
        Haversine km from the removal address (of the farthest child it takes), to 0.1 km.
    community, community_id
        The home's community (name and id), or None outside every community.
    kin
        A kin home of any of these children.
    licensed
        False: provisionally approved only (a kin home).
    icwa_tier
        ICWA tier 1-4 for a child under ICWA, else None (the worst of the ICWA children
        it takes).
    factors
        Every applicable factor, in a fixed order.
    icwa_tiers
        Per ICWA child it takes: that child's tier here.
    good_cause_required, good_cause_reason
        An alternative below an ICWA child's best tier: only a court's finding of good
        cause allows it, and why it is shown (e.g. it keeps the siblings together).

    :attr:`reasons_for` and :attr:`reasons_against` split the factors into what speaks for
    the home and what counts against it.
    """

    rank: int
    home_id: str
    score: float
    points: float
    takes_all_siblings: bool
    children: tuple[str, ...]
    distance_km: float
    community: str | None
    community_id: str | None
    kin: bool
    licensed: bool
    icwa_tier: int | None
    factors: tuple[FactorScore, ...]
    icwa_tiers: Mapping[str, int] = field(default_factory=dict)
    good_cause_required: bool = False
    good_cause_reason: Message | None = None

    def to_json(self) -> dict[str, Any]:
        """The candidate as in DESIGN.md §12 (with ``children``, ``licensed``, ``points``)."""
        return {
            "rank": self.rank,
            "home_id": self.home_id,
            "score": round(self.score, 3),
            "points": round(self.points, 3),
            "takes_all_siblings": self.takes_all_siblings,
            "children": list(self.children),
            "distance_km": self.distance_km,
            "community": self.community,
            "community_id": self.community_id,
            "kin": self.kin,
            "licensed": self.licensed,
            "icwa_tier": self.icwa_tier,
            "icwa_tiers": dict(self.icwa_tiers),
            "good_cause_required": self.good_cause_required,
            "good_cause_reason": None
            if self.good_cause_reason is None
            else str(self.good_cause_reason),
            "good_cause_reason_i18n": None
            if self.good_cause_reason is None
            else self.good_cause_reason.to_json(),
            "factors": [f.to_json() for f in self.factors],
            "for": [str(f.reason) for f in self.reasons_for],
            "against": [str(f.reason) for f in self.reasons_against],
            "for_i18n": [f.reason.to_json() for f in self.reasons_for],
            "against_i18n": [f.reason.to_json() for f in self.reasons_against],
        }

    @property
    def reasons_for(self) -> tuple[FactorScore, ...]:
        """The factors that speak for the home, the largest contribution first."""
        chosen = [f for f in self.factors if f.speaks_for]
        return _said_once(sorted(chosen, key=lambda f: -f.contribution))

    @property
    def reasons_against(self) -> tuple[FactorScore, ...]:
        """The factors that count against the home, the most points lost first."""
        chosen = [f for f in self.factors if f.counts_against]
        return _said_once(sorted(chosen, key=lambda f: -f.points_lost))


@dataclass(frozen=True, slots=True)
class Waiting:
    """One child of a ranking: how long they have waited and what a coordinator must weigh.

    Attributes
    ----------
    child_id
        The child.
    waited_days
        Days from ``waiting_since`` to the snapshot's date, or None when not on record.
    turns_18_on
        The 18th birthday when it falls within 180 days of the snapshot's date, else None.
    icwa
        The child is under ICWA.
    best_icwa_tier
        For a child under ICWA: the best (lowest) tier among the candidate homes that take
        this child; None otherwise, or when no candidate takes them.
    best_icwa_home
        The best-scoring home in that tier (ties by id), or None.
    """

    child_id: str
    waited_days: int | None
    turns_18_on: date | None
    icwa: bool
    best_icwa_tier: int | None
    best_icwa_home: str | None

    def to_json(self) -> dict[str, Any]:
        """The row of the ranking's ``waiting`` list; the date as ``YYYY-MM-DD``."""
        return {
            "child_id": self.child_id,
            "waited_days": self.waited_days,
            "turns_18_on": None if self.turns_18_on is None else self.turns_18_on.isoformat(),
            "icwa": self.icwa,
            "best_icwa_tier": self.best_icwa_tier,
            "best_icwa_home": self.best_icwa_home,
        }

    def said(self, as_of: date) -> Message:
        """ "C1: waiting 412 days; turns 18 on 2026-06-09 (in 100 days); ICWA: best tier 2 (H5)"."""
        parts = [
            Message("waiting.unknown")
            if self.waited_days is None
            else Message("waiting.days", days=self.waited_days)
        ]
        if self.turns_18_on is not None:
            days = (self.turns_18_on - as_of).days
            parts.append(Message("waiting.turns_18", date=self.turns_18_on.isoformat(), days=days))
        if self.icwa and self.best_icwa_tier is not None and self.best_icwa_home is not None:
            parts.append(
                Message("waiting.icwa", tier=self.best_icwa_tier, home=self.best_icwa_home)
            )
        elif self.icwa:
            parts.append(Message("waiting.icwa.none"))
        return Message("waiting.line", id=self.child_id, parts=parts)


@dataclass(frozen=True, slots=True)
class RankResult:
    """Ranked matches for one request, with the evidence for them.

    Attributes
    ----------
    children
        The children asked about, by id.
    homes
        Homes considered (the snapshot's size).
    eligible_homes
        Homes that can take all or part of the children.
    whole_group_homes
        Of those, homes that take every child.
    excluded
        Rule name -> homes it removed (every rule, in order; they add up to
        ``homes - eligible_homes``).
    not_whole
        For a group: rule name -> eligible homes that this rule kept from taking the whole
        group.
    icwa_tier
        The ICWA tier proposed, or None.
    candidates
        The best ``limit`` candidates, in rank order.
    near_misses
        The nearest homes failing one relaxable rule.
    suggestions
        What would make near misses qualify, one sentence per rule.
    notes
        Facts the coordinator must know (a safety separation inside the group).
    message
        When nothing qualifies, or no home takes the whole group: why, in a sentence.
    waiting
        One row per child, in id order: days waited, a coming 18th birthday, ICWA.
    as_of
        The snapshot's date, from which days and birthdays are counted.
    alternatives
        Homes that would keep the group together below an ICWA child's best tier: shown
        only as alternatives, each ``good_cause_required``.
    conflicts
        Where ICWA and keeping siblings together (or a sibling's kin home) cannot both hold.
    icwa_best
        Per child under ICWA with an eligible home: the best tier, the only one proposed.
    """

    children: tuple[str, ...]
    homes: int
    eligible_homes: int
    whole_group_homes: int
    excluded: Mapping[str, int]
    not_whole: Mapping[str, int]
    icwa_tier: int | None
    candidates: tuple[Candidate, ...]
    near_misses: tuple[NearMiss, ...]
    suggestions: tuple[Message, ...]
    notes: tuple[Message, ...]
    message: Message | None
    waiting: tuple[Waiting, ...]
    as_of: date
    alternatives: tuple[Candidate, ...] = ()
    conflicts: tuple[Message, ...] = ()
    icwa_best: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md §12 "Ranked matches" shape, plus a few keys of our own."""
        return {
            "children": list(self.children),
            "eligible_homes": self.eligible_homes,
            "excluded": dict(self.excluded),
            "near_misses": [m.to_json() for m in self.near_misses],
            "candidates": [c.to_json() for c in self.candidates],
            "homes": self.homes,
            "whole_group_homes": self.whole_group_homes,
            "not_whole": dict(self.not_whole),
            "icwa_tier": self.icwa_tier,
            "suggestions": [str(s) for s in self.suggestions],
            "notes": [str(n) for n in self.notes],
            "message": None if self.message is None else str(self.message),
            "waiting": [w.to_json() for w in self.waiting],
            "as_of": self.as_of.isoformat(),
            # the same sentences as keys and values, for translation (matching.messages)
            "suggestions_i18n": [s.to_json() for s in self.suggestions],
            "notes_i18n": [n.to_json() for n in self.notes],
            "message_i18n": None if self.message is None else self.message.to_json(),
            "alternatives": [a.to_json() for a in self.alternatives],
            "conflicts": [str(c) for c in self.conflicts],
            "conflicts_i18n": [c.to_json() for c in self.conflicts],
        }

    def summary(self) -> str:
        """A readable report for a terminal: the candidates table, then the evidence."""
        who = join_words(self.children)
        lines = [
            f"Matches for {who}: {self.eligible_homes} of {self.homes} homes eligible"
            + (
                f", {self.whole_group_homes} take all {len(self.children)}"
                if len(self.children) > 1
                else ""
            )
            + (f"; ICWA tier {self.icwa_tier}" if self.icwa_tier is not None else ""),
        ]
        lines += [f"  {w.said(self.as_of)}" for w in self.waiting]
        lines += [f"  {note}" for note in self.notes]
        lines += [f"  ICWA conflict: {c}" for c in self.conflicts]
        if self.message:
            lines.append(f"  {self.message}")
        if self.candidates:
            header = (
                "#",
                "home",
                "score",
                "all",
                "km",
                "community",
                "kin",
                "tier",
                "why",
                "against",
            )
            rows = [header]
            for c in self.candidates:
                kin = ("kin" if c.licensed else "kin*") if c.kin else ""
                # the strongest few reasons for; every reason against (none is hidden)
                reasons = "; ".join(f.reason for f in c.reasons_for[:WHY_SHOWN]) or "-"
                against = "; ".join(f.reason for f in c.reasons_against) or "-"
                rows.append(
                    (
                        str(c.rank),
                        c.home_id,
                        f"{c.score:.2f}",
                        "yes" if c.takes_all_siblings else f"{len(c.children)}",
                        f"{c.distance_km:.1f}",
                        c.community or "-",
                        kin,
                        str(c.icwa_tier) if c.icwa_tier is not None else "",
                        reasons,
                        against,
                    )
                )
            widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
            right = {0, 2, 4}
            for r in rows:
                cells = [
                    r[i].rjust(widths[i]) if i in right else r[i].ljust(widths[i])
                    for i in range(len(widths))
                ]
                lines.append("  " + "  ".join(cells) + "  " + r[-1])
            if any(c.kin and not c.licensed for c in self.candidates):
                lines.append("  kin* = provisionally approved, not yet licensed")
        removed = {k: v for k, v in self.excluded.items() if v}
        if removed:
            lines.append(
                "Excluded: " + ", ".join(f"{rule_named(k).label} {v}" for k, v in removed.items())
            )
        if self.alternatives:
            lines.append("Alternatives that need good cause (ICWA):")
            lines += [
                f"  {a.home_id}  {a.distance_km:.1f} km  tiers "
                + ", ".join(f"{k} {v}" for k, v in a.icwa_tiers.items())
                + f": {a.good_cause_reason}"
                for a in self.alternatives
            ]
        if self.near_misses:
            lines.append("Near misses:")
            lines += [
                f"  {m.home_id}{' (kin)' if m.kin else ''}: {m.detail}" for m in self.near_misses
            ]
        return "\n".join(lines)


def _said_once(factors: Sequence[FactorScore]) -> tuple[FactorScore, ...]:
    """The factors in order, leaving out a reason already said inside another one kept.

    "2.1 km from the removal address" is within "2.1 km from the removal address, same
    community: ...": saying it twice in one list adds nothing.
    """
    shown: list[FactorScore] = []
    for factor in factors:
        if not any(
            factor.reason in other.reason or other.reason in factor.reason for other in shown
        ):
            shown.append(factor)
    return tuple(shown)


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
    request = Request(children)
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


def _notes(request: Request) -> tuple[Message, ...]:
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
