"""The hard rules: a home failing any of them is not proposed.

One rule, one unit. Each has a ``name`` used in results (``"no_free_bed"``), a ``label`` a
person reads ("Enough free beds"), ``kind = "hard"``, a ``scope`` saying what it looks at,
and a vectorised :meth:`HardRule.mask` over every home of a snapshot: True where the home may
take *all* the children of the request together, as far as this rule is concerned.

Scopes
------
home
    Only the home (and whether it is kin of these children): active, kin of others.
child
    Each child separately (``child_masks`` gives a children x homes array): excluded
    homes, sex, age, needs, radius. A home takes a child only if every child rule allows.
size
    How many of the children the home has room for (``room`` per home): free beds, the
    largest sibling group it takes.
group
    Which children may live together at all: safety separations.
order
    Depends on the other homes: the ICWA placement preference order.

:data:`RULES` lists them in the fixed order used to count removals: a home is counted under
the first rule in this order that leaves it unable to take any of the children, so the
counts add up to the number of homes minus the eligible ones. Rules that never remove a home
on their own (the group size, separations) still decide whether a home takes the *whole*
group.

The relaxable rules (radius, age, free beds, sibling-group size, sex, a decline of these
children, a family's hold after "no capacity now") also explain near misses: how far a home
is from qualifying, in words.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from datetime import timedelta
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from matching.inputs import Child, Decline
from matching.messages import Message, age_range, day_said
from matching.policy import Policy
from matching.request import Context, PlacementRequest
from matching.snapshot import CAPABILITY_BITS, HomeSnapshot

__all__ = [
    "RULES",
    "AgeRange",
    "Declined",
    "ExcludedHome",
    "FreeBeds",
    "HardRule",
    "HomeActive",
    "IcwaOrder",
    "KinOfOthers",
    "MaxSiblings",
    "NeedsMet",
    "OnHold",
    "Radius",
    "SafetySeparation",
    "SexAccepted",
    "rule_named",
]

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
Positions = NDArray[np.intp]
Scope = Literal["home", "child", "size", "group", "order"]

INFANT = CAPABILITY_BITS["infant"]
_SEX_WORDS = {1: "sex.female", 2: "sex.male", 3: "sex.unknown"}


def _many(key: str, count: int) -> str:
    """``key.one`` for one, ``key.many`` for more (or none)."""
    return f"{key}.one" if count == 1 else f"{key}.many"


def _would(ctx: Context, count: int) -> Message:
    """The start of a suggestion: "3 homes would qualify", "1 home would take all 3 children"."""
    if ctx.request.size == 1:
        return Message(_many("would.qualify", count), count=count)
    return Message(_many("would.take", count), count=count, size=ctx.request.size)


def _who(ctx: Context, i: int) -> Message | str:
    return Message("who.child") if ctx.request.size == 1 else ctx.request.ids[i]


def _refusing(ctx: Context, homes_of: Callable[[Child], Collection[str]]) -> BoolArray:
    """``(children, homes)``: False where the home is among ``homes_of(child)``; ``(1, homes)``
    all True when no child refuses a home (the usual case, kept cheap)."""
    if not any(homes_of(child) for child in ctx.request.children):
        return np.ones((1, ctx.n), dtype=np.bool_)
    out = np.ones((ctx.request.size, ctx.n), dtype=np.bool_)
    for i, child in enumerate(ctx.request.children):
        refused = homes_of(child)
        if refused:
            out[i, ctx.snapshot.positions(refused)] = False
    return out


class HardRule(ABC):
    """A rule every proposed home must pass."""

    name: ClassVar[str]
    label: ClassVar[str]
    kind: ClassVar[str] = "hard"
    scope: ClassVar[Scope]
    relaxable: ClassVar[bool] = False

    def applies(self, policy: Policy) -> bool:
        """False when the policy switches this rule off (then it allows every home)."""
        return True

    def mask(
        self, request: PlacementRequest | Sequence[Child], snapshot: HomeSnapshot, policy: Policy
    ) -> BoolArray:
        """Homes that may take all the children of ``request`` together, by this rule alone.

        Parameters
        ----------
        request
            A :class:`~matching.request.Request`, or the children themselves.
        snapshot, policy
            The homes, and the policy (radius, switches).

        Returns
        -------
        numpy.ndarray
            Boolean, one per home of ``snapshot``, in snapshot order.
        """
        if not isinstance(request, PlacementRequest):
            request = PlacementRequest(request)
        return self.evaluate(Context(request, snapshot, policy))

    def evaluate(self, ctx: Context) -> BoolArray:
        """:meth:`mask` on a prepared context (shares the kin and radius arrays)."""
        if not self.applies(ctx.policy):
            return np.ones(ctx.n, dtype=np.bool_)
        return self._evaluate(ctx)

    @abstractmethod
    def _evaluate(self, ctx: Context) -> BoolArray: ...

    def __repr__(self) -> str:
        return f"<rule {self.name}: {self.label}>"


class ChildRule(HardRule):
    """A rule decided child by child (or for the home alone, the same for every child)."""

    scope: ClassVar[Scope] = "child"

    @abstractmethod
    def child_masks(self, ctx: Context) -> BoolArray:
        """``(children, homes)`` or ``(1, homes)``: the home may take that child."""

    def masks(self, ctx: Context) -> BoolArray:
        """:meth:`child_masks`, computed once per context (near misses read them again)."""
        found = ctx.memo.get(self.name)
        if found is None:
            found = ctx.memo[self.name] = self.child_masks(ctx)
        return found

    def _evaluate(self, ctx: Context) -> BoolArray:
        return np.asarray(self.masks(ctx).all(axis=0), dtype=np.bool_)

    def refused(self, ctx: Context, positions: Positions) -> BoolArray:
        """``(children, len(positions))``: the rule refuses that child at that home."""
        masks = np.broadcast_to(self.masks(ctx), (ctx.request.size, ctx.n))
        return ~masks[:, positions]

    def refused_at(self, ctx: Context, position: int) -> list[int]:
        """Indices of the children the rule refuses at one home."""
        return [int(i) for i in np.flatnonzero(self.refused(ctx, np.array([position]))[:, 0])]


class SizeRule(HardRule):
    """A rule on how many of the children a home has room for."""

    scope: ClassVar[Scope] = "size"

    @abstractmethod
    def room(self, ctx: Context) -> IntArray:
        """How many children each home can take under this rule."""

    def _evaluate(self, ctx: Context) -> BoolArray:
        return self.room(ctx) >= ctx.request.size


class RelaxableRule(HardRule):
    """A rule a coordinator could ask a family to relax; near misses are explained with it."""

    relaxable: ClassVar[bool] = True

    @abstractmethod
    def shortfall(self, ctx: Context, positions: Positions) -> FloatArray:
        """How far each home is from passing (km, years, beds ...): smaller is nearer."""

    @abstractmethod
    def detail(self, ctx: Context, position: int) -> Message:
        """Why one home fails, with the numbers ("27.3 km; the radius is 25 km")."""

    @abstractmethod
    def suggestion(self, ctx: Context, positions: Positions, shortfall: FloatArray) -> Message:
        """What would make the nearest of these homes qualify, as a sentence fragment.

        ``positions`` are every home that fails only this rule (in no particular order)
        and ``shortfall`` their :meth:`shortfall`.
        """


# -- the rules, in the order removals are counted --------------------------------------------


class HomeActive(ChildRule):
    """The home is active, and licensed (or only provisionally approved, as kin)."""

    name = "inactive"
    label = "Home active (licensed, or kin provisionally approved)"
    scope = "home"

    def child_masks(self, ctx: Context) -> BoolArray:
        s = ctx.snapshot
        # a provisionally approved home is a relative not yet licensed: it can take the
        # children it is named for (kin first), no one else
        return (s.active & (s.licensed | ctx.kin))[None, :]


class KinOfOthers(ChildRule):
    """A kin home takes the children it is named for, not other children."""

    name = "kin_of_others"
    label = "Kin home named for these children"
    scope = "home"

    def applies(self, policy: Policy) -> bool:
        return policy.kin_homes_only_for_their_kin

    def child_masks(self, ctx: Context) -> BoolArray:
        # kin approval is child-specific: a grandmother approved for her grandchildren is
        # not a foster home for the agency; a relative who is also a general foster home is
        # recorded with kind "foster" and kin_of set
        return (~ctx.snapshot.kin_kind | ctx.kin)[None, :]


class ExcludedHome(ChildRule):
    """The home is not in any of the children's ``excluded_homes``."""

    name = "excluded_home"
    label = "Home not excluded for the child"

    def child_masks(self, ctx: Context) -> BoolArray:
        return _refusing(ctx, lambda child: child.excluded_homes)


class Declined(ChildRule, RelaxableRule):
    """The home has not declined one of these children in their current episode.

    A family that said no to this child is not proposed to her again: it would come first
    again otherwise, and the coordinator would call it again. It stays visible among the
    near misses, with the day and the reason ("declined on 3 March: no capacity now").
    """

    name = "declined"
    label = "Not declined the child in this episode"

    def child_masks(self, ctx: Context) -> BoolArray:
        return _refusing(ctx, lambda child: [d.home_id for d in child.declined])

    def shortfall(self, ctx: Context, positions: Positions) -> FloatArray:
        # the most recent decline is the least likely to have changed: list the oldest first
        out = np.zeros(len(positions))
        for j, position in enumerate(positions):
            last = self._last(ctx, int(position))
            if last is not None:
                out[j] = -float((ctx.snapshot.as_of - last[1].on).days)
        return out

    def _last(self, ctx: Context, position: int) -> tuple[int, Decline] | None:
        """The most recent decline of a child of the request at this home (child index)."""
        home_id = ctx.snapshot.ids[position]
        found = [
            (d.on, i, d)
            for i, child in enumerate(ctx.request.children)
            for d in child.declined
            if d.home_id == home_id
        ]
        if not found:
            return None
        _on, i, decline = max(found, key=lambda item: (item[0], -item[1]))
        return i, decline

    def detail(self, ctx: Context, position: int) -> Message:
        last = self._last(ctx, position)
        assert last is not None  # only homes this rule refuses are explained
        i, decline = last
        said = Message(
            "declined.detail",
            day=day_said(decline.on, ctx.snapshot.as_of),
            reason=Message(f"decline.{decline.reason}"),
        )
        if ctx.request.size == 1:
            return said
        return Message("for_children", ids=[ctx.request.ids[i]], phrase=said)

    def suggestion(self, ctx: Context, positions: Positions, shortfall: FloatArray) -> Message:
        return Message(_many("declined.suggest", len(positions)), count=len(positions))


class OnHold(ChildRule, RelaxableRule):
    """The family has not said "no capacity now" within the policy's hold, or has confirmed
    since that it has room.

    A family that declined a call because it has no room now is not offered other children
    either, for ``no_capacity_hold_days`` days: calling it for every child would waste the
    coordinators' calls and the family's patience. A home that declined one of these
    children is left to the ``declined`` rule, which says more.
    """

    name = "on_hold"
    label = "Not on hold after saying it has no room now"
    scope = "home"

    def applies(self, policy: Policy) -> bool:
        return policy.no_capacity_hold_days > 0

    def child_masks(self, ctx: Context) -> BoolArray:
        held = ctx.snapshot.on_hold(ctx.policy.no_capacity_hold_days)
        if any(c.declined for c in ctx.request.children):
            mine = [d.home_id for c in ctx.request.children for d in c.declined]
            held = held.copy()
            held[ctx.snapshot.positions(mine)] = False
        return ~held[None, :]

    def shortfall(self, ctx: Context, positions: Positions) -> FloatArray:
        # days left on hold: the nearest to the end of its hold first
        days: FloatArray = (
            ctx.policy.no_capacity_hold_days - ctx.snapshot.days_since_no_capacity[positions]
        )
        return days

    def detail(self, ctx: Context, position: int) -> Message:
        said = ctx.snapshot.homes[position].no_capacity_on
        assert said is not None  # only held homes are explained
        until = said + timedelta(days=ctx.policy.no_capacity_hold_days)
        return Message(
            "on_hold.detail",
            said=day_said(said, ctx.snapshot.as_of),
            until=day_said(until, ctx.snapshot.as_of),
        )

    def suggestion(self, ctx: Context, positions: Positions, shortfall: FloatArray) -> Message:
        return Message(_many("on_hold.suggest", len(positions)), would=_would(ctx, len(positions)))


class FreeBeds(SizeRule, RelaxableRule):
    """Enough free beds: for the whole group, or for at least one child when splitting."""

    name = "no_free_bed"
    label = "Enough free beds"

    def room(self, ctx: Context) -> IntArray:
        return ctx.snapshot.free_beds

    def shortfall(self, ctx: Context, positions: Positions) -> FloatArray:
        return (ctx.request.size - ctx.snapshot.free_beds[positions]).astype(np.float64)

    def detail(self, ctx: Context, position: int) -> Message:
        free = int(ctx.snapshot.free_beds[position])
        beds = Message("beds.none") if free == 0 else Message(_many("beds", free), count=free)
        if ctx.request.size == 1:
            return Message("free_beds.child", beds=beds)
        return Message("free_beds.group", beds=beds, size=ctx.request.size)

    def suggestion(self, ctx: Context, positions: Positions, shortfall: FloatArray) -> Message:
        least = int(shortfall.min())
        count = int((shortfall == least).sum())
        if ctx.request.size == 1:
            return Message("free_beds.suggest.child", would=_would(ctx, count))
        key = _many("free_beds.suggest", least)
        return Message(key, would=_would(ctx, count), more=least)


class MaxSiblings(SizeRule, RelaxableRule):
    """The group is no larger than the largest sibling group the home takes."""

    name = "max_siblings"
    label = "Sibling group within the home's limit"

    def room(self, ctx: Context) -> IntArray:
        return ctx.snapshot.max_siblings

    def shortfall(self, ctx: Context, positions: Positions) -> FloatArray:
        return (ctx.request.size - ctx.snapshot.max_siblings[positions]).astype(np.float64)

    def detail(self, ctx: Context, position: int) -> Message:
        limit = int(ctx.snapshot.max_siblings[position])
        key = _many("max_siblings.detail", limit)
        return Message(key, limit=limit, size=ctx.request.size)

    def suggestion(self, ctx: Context, positions: Positions, shortfall: FloatArray) -> Message:
        key = _many("max_siblings.suggest", len(positions))
        return Message(key, would=_would(ctx, len(positions)), size=ctx.request.size)


class SexAccepted(ChildRule, RelaxableRule):
    """The home accepts the child's sex (a child of unrecorded sex needs a home taking any)."""

    name = "sex"
    label = "Sex accepted"

    def child_masks(self, ctx: Context) -> BoolArray:
        return ctx.snapshot.takes_sex[ctx.request.sexes]

    def shortfall(self, ctx: Context, positions: Positions) -> FloatArray:
        return np.zeros(len(positions))

    def detail(self, ctx: Context, position: int) -> Message:
        accepts = Message(_SEX_WORDS[int(ctx.snapshot.accepts[position])])
        refused = self.refused_at(ctx, position)
        who = [
            Message("sex.is", who=_who(ctx, i), sex=Message(_SEX_WORDS[int(ctx.request.sexes[i])]))
            for i in refused
        ]
        return Message("sex.detail", accepts=accepts, who=who)

    def suggestion(self, ctx: Context, positions: Positions, shortfall: FloatArray) -> Message:
        refused = self.refused(ctx, positions).any(axis=1)
        codes = sorted({int(s) for s in ctx.request.sexes[refused]})
        sexes = [Message(_SEX_WORDS[code]) for code in codes]
        key = _many("sex.suggest", len(positions))
        return Message(key, would=_would(ctx, len(positions)), sexes=sexes)


class AgeRange(ChildRule, RelaxableRule):
    """Each child's age is within the home's range; a child under 1 needs an infant home.

    The ``infant`` capability is defined as "the home takes children under 1", so a baby
    needs it even where the age range starts at 0: safe sleep and newborn care are what the
    capability records, and a range of 0-17 often just means "no lower limit". It applies to
    kin homes too (the sample county gives a relative's home the capability when it takes a
    baby).
    """

    name = "age_range"
    label = "Age within the home's range"

    def child_masks(self, ctx: Context) -> BoolArray:
        return ctx.snapshot.takes_age[ctx.request.ages]

    def shortfall(self, ctx: Context, positions: Positions) -> FloatArray:
        s = ctx.snapshot
        ages = ctx.request.ages[:, None]
        below = np.maximum(s.age_min[positions][None, :] - ages, 0)
        above = np.maximum(ages - s.age_max[positions][None, :], 0)
        # a baby refused only for want of the infant capability is one step away
        steps: FloatArray = np.maximum((below + above).max(axis=0), 1).astype(np.float64)
        return steps

    def detail(self, ctx: Context, position: int) -> Message:
        parts = []
        low, high = int(ctx.snapshot.age_min[position]), int(ctx.snapshot.age_max[position])
        for i in self.refused_at(ctx, position):
            age = int(ctx.request.ages[i])
            if age == 0 and low <= age <= high:
                parts.append(Message("age.infant", who=_who(ctx, i)))
            else:
                parts.append(
                    Message("age.outside", takes=age_range(low, high), who=_who(ctx, i), age=age)
                )
        return parts[0] if len(parts) == 1 else Message("parts", parts=parts)

    def suggestion(self, ctx: Context, positions: Positions, shortfall: FloatArray) -> Message:
        # which children each home refuses, as bits; then the most common set of refused
        # children (on a tie, the set whose nearest home is nearest)
        refused = self.refused(ctx, positions)
        pattern = (refused.astype(np.int64) << np.arange(ctx.request.size)[:, None]).sum(axis=0)
        kinds, inverse, counts = np.unique(pattern, return_inverse=True, return_counts=True)
        nearest = np.full(len(kinds), np.inf)
        np.minimum.at(nearest, inverse, shortfall)
        pick = np.lexsort((kinds, nearest, -counts))[0]
        count = int(counts[pick])
        ages = tuple(
            int(ctx.request.ages[i]) for i in range(ctx.request.size) if int(kinds[pick]) >> i & 1
        )
        if ages == (0,):
            return Message(_many("age.suggest.infant", count), would=_would(ctx, count))
        words = Message(_many("age", len(ages)), ages=list(ages))
        return Message(_many("age.suggest", count), would=_would(ctx, count), ages=words)


class NeedsMet(ChildRule):
    """Every need of each child is within the home's capabilities."""

    name = "needs"
    label = "Needs within the home's capabilities"

    def child_masks(self, ctx: Context) -> BoolArray:
        return ctx.snapshot.meets_needs[ctx.request.needs]


class SafetySeparation(HardRule):
    """Children with a recorded safety separation are never placed together.

    A group with a separation inside it cannot go whole to any home; each home may still
    take a part of it in which no two children are separated. Separations from children
    *outside* the request (already placed elsewhere) are the caller's to express as
    ``excluded_homes``.
    """

    name = "separation"
    label = "Safety separations respected"
    scope = "group"

    def _evaluate(self, ctx: Context) -> BoolArray:
        return np.full(ctx.n, not ctx.request.internally_separated, dtype=np.bool_)


class Radius(ChildRule, RelaxableRule):
    """Within the search radius of the removal address; kin homes of these children are exempt."""

    name = "radius"
    label = "Within the search radius (kin exempt)"

    def child_masks(self, ctx: Context) -> BoolArray:
        return ctx.within_radius | ctx.kin[None, :]

    def _distance(self, ctx: Context, positions: Positions) -> FloatArray:
        distances: FloatArray = ctx.distances_km(positions).max(axis=0)
        return distances

    def shortfall(self, ctx: Context, positions: Positions) -> FloatArray:
        return self._distance(ctx, positions) - ctx.policy.radius_km

    def detail(self, ctx: Context, position: int) -> Message:
        distance = float(self._distance(ctx, np.array([position], dtype=np.intp))[0])
        key = "radius.detail"
        if float(f"{distance:.1f}") <= ctx.policy.radius_km:  # "25.0 km; the radius is 25 km"
            key = "radius.detail.close"
        return Message(key, km=distance, radius=ctx.policy.radius_km)

    def suggestion(self, ctx: Context, positions: Positions, shortfall: FloatArray) -> Message:
        distances = shortfall + ctx.policy.radius_km
        # the radius that takes in the three nearest, in whole km, and every home it takes in
        third = min(3, len(distances)) - 1
        needed = math.ceil(float(np.partition(distances, third)[third]))
        count = int((distances <= needed).sum())
        return Message("radius.suggest", would=_would(ctx, count), km=needed)


class IcwaOrder(HardRule):
    """The ICWA placement preference order, as a rule (not a weight).

    For a child with ``icwa`` yes or reason_to_know, each home is in a tier: 1 the child's
    extended family (a kin home of the child), 2 a home of the child's tribe licensed or
    approved by it, 3 another Indian home (any tribe), 4 any other home. A home taking
    several such children is in the worst of their tiers. Only the best tier that has an
    eligible home is proposed; homes of lower tiers are removed by this rule. Homes taking
    no child under ICWA are not affected. Switched off by ``jurisdiction = "generic"``.

    Its :meth:`mask` depends on the other rules: it removes the homes that pass every other
    rule for the whole request but sit in a lower tier than the best such home.
    """

    name = "icwa_order"
    label = "ICWA placement preference order"
    scope = "order"

    def applies(self, policy: Policy) -> bool:
        return policy.icwa

    def tiers(self, ctx: Context, positions: Positions) -> IntArray:
        """``(children, len(positions))``: each ICWA child's tier at each home, 0 otherwise."""
        s = ctx.snapshot
        kin = ctx.kin_by_child[:, positions]
        tribe = s.tribe[positions]
        licensed = s.tribe_licensed[positions]
        out = np.zeros((ctx.request.size, len(positions)), dtype=np.int64)
        for i, child in enumerate(ctx.request.children):
            if not child.under_icwa:
                continue
            own_tribe = (tribe == s.tribe_code(child.tribe)) & licensed
            out[i] = np.select([kin[i], own_tribe, tribe >= 0], [1, 2, 3], default=4)
        return out

    def _evaluate(self, ctx: Context) -> BoolArray:
        pool = np.ones(ctx.n, dtype=np.bool_)
        for rule in RULES:
            if rule is not self:
                pool &= rule.evaluate(ctx)
        positions = np.flatnonzero(pool)
        tier = self.tiers(ctx, positions).max(axis=0, initial=0)
        out = np.ones(ctx.n, dtype=np.bool_)
        if (tier > 0).any():
            best = tier[tier > 0].min()
            out[positions[tier > best]] = False
        return out


RULES: tuple[HardRule, ...] = (
    HomeActive(),
    KinOfOthers(),
    ExcludedHome(),
    Declined(),
    OnHold(),
    FreeBeds(),
    MaxSiblings(),
    SexAccepted(),
    AgeRange(),
    NeedsMet(),
    SafetySeparation(),
    Radius(),
    IcwaOrder(),
)


def rule_named(name: str) -> HardRule:
    """The rule with this name (``KeyError`` listing the names when unknown)."""
    for rule in RULES:
        if rule.name == name:
            return rule
    raise KeyError(f"no rule {name!r}; the rules are {', '.join(r.name for r in RULES)}")
