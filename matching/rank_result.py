"""A ranking's result: the candidate homes with their factors, the waiting children, the
near misses and the ICWA alternatives, as a readable summary and as JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from matching.factors import factor_named
from matching.messages import Message
from matching.near_miss import NearMiss
from matching.request import join_words
from matching.rules import rule_named

__all__ = ["Candidate", "FactorScore", "RankResult", "Waiting", "said_once"]

WHY_SHOWN = 3  # reasons for a home in the summary's one-line "why" (the JSON has them all)


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
        """As in the ranking JSON (README, "Ranked matches"), with ``reason_i18n``: the
        reason as a key and values."""
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
        """The candidate as in the ranking JSON (with ``children``, ``licensed``, ``points``)."""
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
        return said_once(sorted(chosen, key=lambda f: -f.contribution))

    @property
    def reasons_against(self) -> tuple[FactorScore, ...]:
        """The factors that count against the home, the most points lost first."""
        chosen = [f for f in self.factors if f.counts_against]
        return said_once(sorted(chosen, key=lambda f: -f.points_lost))


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
        """The JSON of README, "Ranked matches", plus a few keys of our own."""
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


def said_once(factors: Sequence[FactorScore]) -> tuple[FactorScore, ...]:
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
