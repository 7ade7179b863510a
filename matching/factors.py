"""The scoring factors: how well a home fits, each a value in 0..1 with a plain-language reason.

One factor, one unit. Each has a ``name`` (its weight's key in the policy), a ``label``,
``kind = "soft"``, :meth:`Factor.applies` (does it say anything about these children: no
school on record, no school factor), vectorised :meth:`Factor.values` over the candidate
homes of a :class:`Pairing`, and :meth:`Factor.reason` for one home, in words a caseworker
reads. Reasons are built only for the homes shown.

A home's score is the weighted sum of the values of the factors that apply (``points``),
divided by their total weight (``score``, always in 0..1). Because the same factors apply to
every home of a request, dividing changes no order; it makes scores comparable between
children.

Per-child factors are averaged over the children the home would take; a home that takes
none of the children a factor applies to (a part of a group) gets a neutral 0.5 from it.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from matching.inputs import MAX_AGE, PlacedSibling
from matching.languages import LANGUAGE_NAMES
from matching.messages import Message, age_range
from matching.pairing import NEUTRAL, Pairing
from matching.policy import Policy
from matching.request import PlacementRequest

__all__ = [
    "FACTORS",
    "Acceptance",
    "AgeFit",
    "CapacityFit",
    "Distance",
    "Factor",
    "FaithCulture",
    "Freshness",
    "Kinship",
    "Language",
    "LoadSpreading",
    "SameCommunity",
    "SchoolContinuity",
    "Scores",
    "SiblingsTogether",
    "factor_named",
    "score",
]

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
Positions = NDArray[np.intp]

AGE_WINDOW = 3  # years either side of the child's age that count as "close" (age fit)
OLDEST_CHILD = 17  # an open-ended age range counts as 0-17 for the age fit of a minor


class Factor(ABC):
    """A soft criterion: a value in 0..1 per home, weighted by the policy."""

    name: ClassVar[str]
    label: ClassVar[str]
    kind: ClassVar[str] = "soft"
    # a low value is a reason against the home (shown beside the reasons for it); False for
    # a factor whose low value is the ordinary case, not a flaw of the home
    counts_against: ClassVar[bool] = True

    def applies(self, request: PlacementRequest) -> bool:
        """False when the factor has nothing to say about these children."""
        return True

    def weight(self, policy: Policy) -> float:
        """The factor's weight in the policy."""
        return policy.weights.of(self.name)

    @abstractmethod
    def values(self, pairing: Pairing) -> FloatArray:
        """The factor's value in 0..1 for every home of the pairing."""

    @abstractmethod
    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        """Why home ``j`` of the pairing gets ``value``, in plain language."""

    def __repr__(self) -> str:
        return f"<factor {self.name}: {self.label}>"


# -- the factors -------------------------------------------------------------------------------


class Kinship(Factor):
    """1 for a kin home of any of the children (licensed or provisionally approved), else 0."""

    name = "kinship"
    label = "Kinship"
    counts_against = False  # most homes are not kin; kin homes already come first

    def values(self, pairing: Pairing) -> FloatArray:
        return pairing.context.kin[pairing.positions].astype(np.float64)

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        if not value:
            return Message("kinship.none")
        position = int(pairing.positions[j])
        kin = pairing.context.kin_by_child[:, position]
        if pairing.request.size == 1:
            named = Message("kinship.named.child")
        elif kin.all():
            named = Message("kinship.named.all", count=pairing.request.size)
        else:
            ids = [pairing.request.ids[i] for i in np.flatnonzero(kin)]
            named = Message("kinship.named.some", ids=ids)
        relationship = pairing.snapshot.homes[position].kin_relationship
        if relationship:  # "kin: maternal aunt, named for this child"
            named = Message("kinship.relationship", relationship=relationship, named=named)
        if pairing.snapshot.licensed[position]:
            return Message("kinship.licensed", named=named)
        return Message("kinship.provisional", named=named)


class SiblingsTogether(Factor):
    """Siblings kept together: 1 when the home takes the whole group, less for a part; and 1
    where a brother or sister already lives.

    The value is ``(children taken - 1) / (group size - 1)``: a home taking one child of a
    group of three scores 0, two of three 0.5. A home where a sibling of a child it takes
    already lives (a placed sibling, not matched with the child) scores 1, so the factor
    applies to a child ranked alone too when a sibling is settled in a family home; the other
    homes then score 0 (they keep the child apart from that sibling).
    """

    name = "siblings_together"
    label = "Siblings together"

    def applies(self, request: PlacementRequest) -> bool:
        return request.size > 1 or any(c.placed_siblings for c in request.children)

    def values(self, pairing: Pairing) -> FloatArray:
        together = (pairing.taken - 1) / max(pairing.request.size - 1, 1)
        joins = (pairing.sibling_here & pairing.takes).any(axis=0)
        return np.where(joins, 1.0, together)

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        request = pairing.request
        k, taken = request.size, int(pairing.taken[j])
        children = pairing.taken_ids(j)
        parts = []
        if k > 1:
            if taken == k:
                parts.append(Message("siblings.all", count=k))
            else:
                ids = [request.ids[i] for i in children]
                parts.append(Message("siblings.part", taken=taken, count=k, ids=ids))
        home_id = pairing.snapshot.ids[int(pairing.positions[j])]
        here = placed_siblings(request, children, home_id)
        if here:
            parts.append(siblings_said(request, here, "here"))
        elif k == 1:  # a child alone whose sibling lives elsewhere: why this home scores 0
            away = placed_siblings(request, children)
            homes = sorted({s.home_id for s in away})
            parts.append(siblings_said(request, away, "elsewhere", homes=homes))
        return parts[0] if len(parts) == 1 else Message("parts", parts=parts)


def placed_siblings(
    request: PlacementRequest, children: Sequence[int] | None = None, home_id: str | None = None
) -> list[PlacedSibling]:
    """Brothers and sisters of these children (indices; None: all) settled in a family home
    (in ``home_id`` only, when given), each once, by id."""
    chosen = range(request.size) if children is None else children
    found = {
        s.id: s
        for i in chosen
        for s in request.children[i].placed_siblings
        if home_id is None or s.home_id == home_id
    }
    return [found[k] for k in sorted(found)]


def siblings_said(
    request: PlacementRequest,
    siblings: Sequence[PlacedSibling],
    where: str,
    homes: Sequence[str] = (),
) -> Message:
    """ "her sister C1 already lives here" (``where``: ``here``, ``there``, or ``elsewhere``
    naming their ``homes``).

    Siblings of one sex are named together ("his brothers C2 and C3"). The possessive is the
    child's ("her", "his"), or "their" for a group or a child of unrecorded sex.
    """
    owner = request.children[0].sex if request.size == 1 else "unknown"
    whose, whose_many = Message(f"possessive.{owner}"), Message(f"possessive.{owner}.many")
    by_sex: dict[str, list[str]] = {}
    for sibling in siblings:
        by_sex.setdefault(sibling.sex, []).append(sibling.id)
    named = [
        Message("sibling.named", whose=whose, sibling=Message(f"sibling.{sex}"), id=ids[0])
        if len(ids) == 1
        else Message(
            "siblings.named", whose=whose_many, siblings=Message(f"siblings.{sex}"), ids=ids
        )
        for sex, ids in sorted(by_sex.items())
    ]
    count = "one" if len(siblings) == 1 else "many"
    if where != "elsewhere":
        return Message(f"siblings.{where}.{count}", siblings=named)
    if len(homes) > 1:
        return Message("siblings.elsewhere.homes", siblings=named, homes=list(homes))
    return Message(f"siblings.elsewhere.{count}", siblings=named, home=homes[0])


class SameCommunity(Factor):
    """The home is in the removal community (1), a neighbouring one (partial) or another (0)."""

    name = "same_community"
    label = "Same community"

    def applies(self, request: PlacementRequest) -> bool:
        return any(c.removal_community is not None for c in request.children)

    def _relation(self, pairing: Pairing) -> FloatArray:
        s, p = pairing.snapshot, pairing.policy
        home_community = s.community[pairing.positions]
        out = np.zeros((pairing.request.size, len(pairing.positions)))
        for i, child in enumerate(pairing.request.children):
            if child.removal_community is None:
                continue
            neighbours = [
                s.community_code(c) for c in pairing.communities.neighbours(child.removal_community)
            ]
            # a lookup table by community code (shifted past the "none" and "unknown" codes)
            credit = np.zeros(len(s.community_ids) + 2)
            known = [c for c in neighbours if c >= 0]
            credit[np.array(known, dtype=np.intp) + 2] = p.neighbour_partial
            own = s.community_code(child.removal_community)
            if own >= 0:
                credit[own + 2] = 1.0
            out[i] = credit[home_community + 2]
        return out

    def values(self, pairing: Pairing) -> FloatArray:
        applies = [c.removal_community is not None for c in pairing.request.children]
        return pairing.mean_over_taken(self._relation(pairing), applies)

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        position = int(pairing.positions[j])
        distance = Message("distance.removal", km=float(pairing.distance_km[j]))
        home = pairing.snapshot.homes[position].community
        removal = [
            community
            for i in pairing.taken_ids(j)
            if (community := pairing.request.children[i].removal_community) is not None
        ]
        if not removal:
            return Message("community.unknown", distance=distance)
        if home is None:
            return Message("community.outside", distance=distance)
        name = pairing.communities.name(home)
        if home in removal:
            return Message("community.same", distance=distance, name=name)
        if any(home in pairing.communities.neighbours(r) for r in removal):
            return Message("community.neighbour", distance=distance, name=name)
        removed_in = list(dict.fromkeys(pairing.communities.name(r) for r in removal))
        return Message("community.other", distance=distance, name=name, removed_in=removed_in)


class Distance(Factor):
    """Near the removal address: ``0.5 ** (km / distance_half_km)``."""

    name = "distance"
    label = "Near the removal address"

    def values(self, pairing: Pairing) -> FloatArray:
        return 0.5 ** (pairing.distance_km / pairing.policy.distance_half_km)

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        distance = float(pairing.distance_km[j])
        text = Message("distance.removal", km=distance)
        if distance > pairing.policy.radius_km:
            return Message("distance.beyond", distance=text, radius=pairing.policy.radius_km)
        return text


class SchoolContinuity(Factor):
    """Near the school of origin: ``0.5 ** (km / school_half_km)``, when a school is known."""

    name = "school"
    label = "School continuity"

    def applies(self, request: PlacementRequest) -> bool:
        return any(c.school is not None for c in request.children)

    def values(self, pairing: Pairing) -> FloatArray:
        applies = [c.school is not None for c in pairing.request.children]
        closeness = 0.5 ** (
            np.nan_to_num(pairing.school_distances_km) / pairing.policy.school_half_km
        )
        return pairing.mean_over_taken(closeness, applies)

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        children = [i for i in pairing.taken_ids(j) if pairing.request.children[i].school]
        if not children:
            return Message("school.none")
        distances = pairing.school_distances_km[:, j]
        if pairing.request.size == 1:
            return Message("school.child", km=float(distances[0]))
        parts = [
            Message("school.of", km=float(distances[i]), whose=pairing.whose(i)) for i in children
        ]
        return parts[0] if len(parts) == 1 else Message("parts", parts=parts)


_Phrase = tuple[str, tuple[Message, ...], tuple[Message, ...]]


class Language(Factor):
    """Speaks the child's first language (1), another of their languages (partial), none (0)."""

    name = "language"
    label = "Language"

    def applies(self, request: PlacementRequest) -> bool:
        return any(c.languages for c in request.children)

    def values(self, pairing: Pairing) -> FloatArray:
        s, partial = pairing.snapshot, pairing.policy.language_partial
        out = np.zeros((pairing.request.size, len(pairing.positions)))
        for i, child in enumerate(pairing.request.children):
            if not child.languages:
                continue
            other = np.zeros(len(pairing.positions), dtype=np.bool_)
            for code in child.languages[1:]:
                other |= s.speaks(code)[pairing.positions]
            first = s.speaks(child.languages[0])[pairing.positions]
            out[i] = np.where(first, 1.0, np.where(other, partial, 0.0))
        return pairing.mean_over_taken(out, [bool(c.languages) for c in pairing.request.children])

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        home = pairing.snapshot.homes[int(pairing.positions[j])]
        # (key, first language, languages named) -> children it describes
        parts: dict[_Phrase, list[str]] = {}
        for i in pairing.taken_ids(j):
            child = pairing.request.children[i]
            if not child.languages:
                continue
            first = (_language(child.languages[0]),)
            others = tuple(_language(c) for c in child.languages[1:] if c in home.languages)
            phrase: _Phrase
            if child.languages[0] in home.languages:
                phrase = ("language.first", first, ())
            elif others:
                phrase = ("language.other", first, others)
            elif len(child.languages) == 1:  # "does not speak Spanish, the child's first language"
                phrase = ("language.not_first", first, ())
            else:
                phrase = ("language.neither", (), tuple(_language(c) for c in child.languages))
            parts.setdefault(phrase, []).append(pairing.request.ids[i])

        def said(phrase: _Phrase, whose: Message) -> Message:
            key, first, named = phrase
            if key in ("language.first", "language.not_first"):
                return Message(key, first=first[0], whose=whose)
            if key == "language.other":
                return Message(key, spoken=list(named), first=first[0], whose=whose)
            return Message(key, names=list(named), whose=whose)

        if not parts:
            return Message("language.none")
        if len(parts) == 1:
            phrase, ids = next(iter(parts.items()))
            if pairing.request.size == 1:
                return said(phrase, Message("whose.child"))
            if len(ids) == 1:
                return said(phrase, Message("whose.id", id=ids[0]))
            return said(phrase, Message("whose.children"))
        return Message(
            "parts",
            parts=[
                Message("for_children", ids=ids, phrase=said(p, Message("whose.their")))
                for p, ids in parts.items()
            ],
        )


class FaithCulture(Factor):
    """Share of the child's faith and named cultural needs that the home meets."""

    name = "faith_culture"
    label = "Faith and cultural needs"

    def applies(self, request: PlacementRequest) -> bool:
        return any(c.religion or c.cultural_needs for c in request.children)

    def values(self, pairing: Pairing) -> FloatArray:
        s = pairing.snapshot
        out = np.zeros((pairing.request.size, len(pairing.positions)))
        applies = []
        for i, child in enumerate(pairing.request.children):
            items = len(child.cultural_needs) + (child.religion is not None)
            applies.append(items > 0)
            if not items:
                continue
            met = np.zeros(len(pairing.positions))
            if child.religion is not None:
                met += s.religion[pairing.positions] == s.religion_code(child.religion)
            for need in child.cultural_needs:
                met += s.offers(need)[pairing.positions]
            out[i] = met / items
        return pairing.mean_over_taken(out, applies)

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        home = pairing.snapshot.homes[int(pairing.positions[j])]
        children = [pairing.request.children[i] for i in pairing.taken_ids(j)]
        whose = Message("whose.child" if pairing.request.size == 1 else "whose.children")
        faiths = sorted({c.religion for c in children if c.religion})
        needs = sorted({n for c in children for n in c.cultural_needs})
        parts = []
        for faith in faiths:
            shared = "faith.shares" if faith == home.religion else "faith.differs"
            parts.append(Message(shared, whose=whose, faith=faith))
        offered = [n for n in needs if n in home.cultural_offers]
        missing = [n for n in needs if n not in home.cultural_offers]
        if offered:
            parts.append(Message("culture.offers", needs=offered))
        if missing:
            parts.append(Message("culture.lacks", needs=missing))
        if not parts:
            return Message("faith.none")
        return parts[0] if len(parts) == 1 else Message("parts", parts=parts)


class AgeFit(Factor):
    """How much of the home's age range is close to the child's age (within 3 years).

    A home taking ages 11-17 has chosen teenagers; one taking 0-17 has no preference. The
    value is the share of the whole years in the home's range that lie within 3 years of
    the child's age: 6/7 = 0.86 for a 15-year-old in an 11-17 home, 6/18 = 0.33 in a 0-17
    home. An open upper limit counts as 17 (21 for a young adult).
    """

    name = "age_fit"
    label = "Age fit"

    def values(self, pairing: Pairing) -> FloatArray:
        s = pairing.snapshot
        ages = pairing.request.ages[:, None]
        low = s.age_min[pairing.positions][None, :]
        open_end = np.where(ages > OLDEST_CHILD, MAX_AGE, OLDEST_CHILD)
        high = np.minimum(s.age_max[pairing.positions][None, :], open_end)
        close = np.minimum(high, ages + AGE_WINDOW) - np.maximum(low, ages - AGE_WINDOW) + 1
        # (a child of a group that this home does not take may be outside its range: the
        # clips keep that harmless, and mean_over_taken ignores the value anyway)
        share = np.clip(close, 0, None) / np.maximum(high - low + 1, 1)
        return pairing.mean_over_taken(share.astype(np.float64), [True] * pairing.request.size)

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        position = int(pairing.positions[j])
        low = int(pairing.snapshot.age_min[position])
        high = int(pairing.snapshot.age_max[position])
        ages = [int(pairing.request.ages[i]) for i in pairing.taken_ids(j)]
        takes = age_range(low, high)
        # a low value counts against the home: say that the child's age is not what it chose
        far = ".far" if value < NEUTRAL else ""
        if pairing.request.size == 1:
            return Message(f"age_fit{far}.child", takes=takes, age=ages[0])
        return Message(f"age_fit{far}.children", takes=takes, ages=ages)


class CapacityFit(Factor):
    """The share of the home's free beds the children would use (keep big homes for groups)."""

    name = "capacity_fit"
    label = "Capacity fit"

    def values(self, pairing: Pairing) -> FloatArray:
        free = pairing.snapshot.free_beds[pairing.positions]
        return pairing.taken / np.maximum(free, 1)

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        free = int(pairing.snapshot.free_beds[int(pairing.positions[j])])
        taken = int(pairing.taken[j])
        if free == taken:
            if free == 1:
                return Message("capacity.only_bed")
            return Message("capacity.all_beds", free=free)
        if value < NEUTRAL:  # counts against the home: most of its beds would stay empty
            return Message("capacity.spare_beds", taken=taken, free=free)
        return Message("capacity.some_beds", taken=taken, free=free)


def _ago(days: float) -> Message:
    if days < 14:
        return Message("ago.day" if int(days) == 1 else "ago.days", n=int(days))
    if days < 60:
        return Message("ago.weeks", n=int(days // 7))
    if days < 730:
        months = int(days // 30.44)
        return Message("ago.month" if months == 1 else "ago.months", n=months)
    return Message("ago.years", n=int(days // 365.25))


def _language(code: str) -> Message:
    """A language's name as a message ("es" -> Spanish); an unknown code as itself."""
    if code in LANGUAGE_NAMES:
        return Message(f"language.{code}")
    return Message("language.code", code=code)


class Freshness(Factor):
    """Recently active homes answer: ``0.5 ** (days since the last placement / half-life)``.

    A home with no placement on record gets 0.5, as if its last placement were one half-life
    ago: it may be new and keen, or dormant.
    """

    name = "freshness"
    label = "Availability freshness"

    def values(self, pairing: Pairing) -> FloatArray:
        days = pairing.snapshot.days_since_placed[pairing.positions]
        fresh = 0.5 ** (days / pairing.policy.freshness_half_life_days)
        return np.where(np.isnan(days), NEUTRAL, fresh)

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        days = float(pairing.snapshot.days_since_placed[int(pairing.positions[j])])
        if math.isnan(days):
            return Message("freshness.never")
        return Message("freshness.last", ago=_ago(days))


class LoadSpreading(Factor):
    """Spread children over many families: ``exp(-strength * placements in the last year)``."""

    name = "load_spreading"
    label = "Load spreading"

    def values(self, pairing: Pairing) -> FloatArray:
        recent = pairing.snapshot.placements_last_year[pairing.positions]
        values: FloatArray = np.exp(-pairing.policy.load_spreading * recent)
        return values

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        recent = int(pairing.snapshot.placements_last_year[int(pairing.positions[j])])
        if recent == 0:
            return Message("load.none")
        return Message("load.one") if recent == 1 else Message("load.many", count=recent)


class Acceptance(Factor):
    """Says yes when called: the share of its last calls the home accepted, with a prior.

    ``(accepted + n0 * p0) / (calls + n0)``: the mean of a Beta prior worth ``n0`` calls
    (``acceptance_prior_calls``) at the rate ``p0`` (``acceptance_prior_rate``), updated by
    the home's last calls (up to :data:`~matching.inputs.ACCEPTANCE_CALLS`). A home never
    called gets the prior rate; one call moves it a little, ten calls a lot. Homes that keep
    saying no sink, so coordinators stop calling the same unwilling families first.
    """

    name = "acceptance"
    label = "Says yes when called"

    def values(self, pairing: Pairing) -> FloatArray:
        s, p = pairing.snapshot, pairing.policy
        calls = s.calls[pairing.positions]
        accepted = s.calls_accepted[pairing.positions]
        prior = p.acceptance_prior_calls
        values: FloatArray = (accepted + prior * p.acceptance_prior_rate) / (calls + prior)
        return values

    def reason(self, pairing: Pairing, j: int, value: float) -> Message:
        position = int(pairing.positions[j])
        calls = int(pairing.snapshot.calls[position])
        accepted = int(pairing.snapshot.calls_accepted[position])
        if calls == 0:
            return Message("acceptance.none")
        if calls == 1:
            return Message("acceptance.only.yes" if accepted else "acceptance.only.no")
        return Message("acceptance.last", accepted=accepted, calls=calls)


FACTORS: tuple[Factor, ...] = (
    Kinship(),
    SiblingsTogether(),
    SameCommunity(),
    Distance(),
    SchoolContinuity(),
    Language(),
    FaithCulture(),
    AgeFit(),
    CapacityFit(),
    Freshness(),
    LoadSpreading(),
    Acceptance(),
)


def factor_named(name: str) -> Factor:
    """The factor with this name (``KeyError`` listing the names when unknown)."""
    for factor in FACTORS:
        if factor.name == name:
            return factor
    raise KeyError(f"no factor {name!r}; the factors are {', '.join(f.name for f in FACTORS)}")


@dataclass(frozen=True, eq=False)
class Scores:
    """Factor values and scores for the homes of a pairing.

    Attributes
    ----------
    factors
        The factors that apply to the request, in :data:`FACTORS` order.
    weights
        Their weights.
    values
        ``(factors, homes)``: each factor's value in 0..1.
    points
        Per home: the weighted sum of the values.
    total_weight
        The sum of the weights (the most points a home can get).
    score
        Per home: ``points / total_weight``, in 0..1 (0 when every weight is 0).
    """

    factors: tuple[Factor, ...]
    weights: FloatArray
    values: FloatArray
    points: FloatArray
    total_weight: float
    score: FloatArray


def score(pairing: Pairing) -> Scores:
    """Every applicable factor for every home of the pairing, weighted and summed."""
    factors = tuple(f for f in FACTORS if f.applies(pairing.request))
    weights = np.array([f.weight(pairing.policy) for f in factors], dtype=np.float64)
    m = len(pairing.positions)
    values = np.zeros((len(factors), m))
    for row, factor in enumerate(factors):
        # clip guards the 0..1 promise against rounding (0.5 ** tiny, 7/7.0000001)
        values[row] = np.clip(factor.values(pairing), 0.0, 1.0)
    points = weights @ values if m else np.zeros(0)
    total = float(weights.sum())
    normalised = points / total if total > 0 else np.zeros(m)
    return Scores(factors, weights, values, points, total, np.clip(normalised, 0.0, 1.0))
