"""Near misses: homes that fail exactly one relaxable rule, and what would make them qualify.

When no home qualifies (or no home takes a whole sibling group), the coordinator's next
question is "what is closest?": a family 27 km away when the radius is 25, a home that
takes ages 0-11 for a 12-year-old, one bed short. A near miss fails exactly one of the
non-ICWA rules for the whole request, and that rule is relaxable (radius, age, free beds,
sibling-group size, sex). A home the ICWA order would remove even if the rule were relaxed
is not a near miss, and a radius near miss lies within twice the radius.

A kin home named for one of these children comes first, whatever its distance or
shortfall: a grandmother's home that is one bed short is the first one to call. Its detail
says how the family is related. Next come the homes where a brother or sister of these
children already lives (never cut by the per-rule limit either), and every near miss says
when a sibling lives there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matching.eligibility import Eligibility
from matching.factors import placed_siblings, siblings_said
from matching.messages import Message
from matching.request import Context
from matching.rules import RULES, IcwaOrder, RelaxableRule

__all__ = ["NearMiss", "near_misses"]

PER_RULE = 3  # near misses listed per rule (the nearest); the suggestion counts them all
RADIUS_REACH = 2.0  # a home beyond this many radii is not "near"


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A home that fails one relaxable rule only.

    Attributes
    ----------
    home_id
        The home.
    rule
        The rule it fails (its name, e.g. ``"radius"``).
    detail
        The numbers, e.g. ``"27.3 km; the radius is 25 km"`` (a :class:`Message`).
    shortfall
        How far from passing, in the rule's unit (km, years, beds, siblings).
    kin
        A kin home named for one of these children (listed before every other near miss).
    """

    home_id: str
    rule: str
    detail: Message
    shortfall: float
    kin: bool = False

    def to_json(self) -> dict[str, object]:
        """``{"home_id", "rule", "detail", "kin", "detail_i18n"}`` (the detail as key, values)."""
        return {
            "home_id": self.home_id,
            "rule": self.rule,
            "detail": str(self.detail),
            "kin": self.kin,
            "detail_i18n": self.detail.to_json(),
        }


def near_misses(found: Eligibility) -> tuple[list[NearMiss], list[Message]]:
    """The nearest near misses per relaxable rule, and a suggestion sentence per rule.

    Returns
    -------
    (near misses, suggestions)
        Kin homes of these children first (in rule order, the nearest three within a rule),
        then homes where a sibling of theirs lives (the same way), then the others in rule
        order, nearest first within a rule (at most three per rule); suggestions like
        ``"3 homes would qualify with a 31 km radius"``.
    """
    ctx = found.context
    passes = found.passes
    relaxable = [r for r in RULES if isinstance(r, RelaxableRule) and r.name in passes]
    # Every near miss is within twice the radius (or kin): one failing another rule passes
    # the radius, one failing the radius is near by definition. So look only there, then
    # keep the homes that pass every rule that cannot be relaxed and fail exactly one that can.
    reach = ctx.within(RADIUS_REACH * ctx.policy.radius_km).all(axis=0) | ctx.kin
    strict = [mask for name, mask in passes.items() if all(r.name != name for r in relaxable)]
    if np.count_nonzero(reach) * 4 > ctx.n:  # most homes: whole-array masks are cheapest
        for mask in strict:
            np.logical_and(reach, mask, out=reach)
        kept = np.flatnonzero(reach)
    else:  # a few homes: follow their positions
        kept = np.flatnonzero(reach)
        for mask in strict:
            kept = kept[mask[kept]]
    fails = np.zeros(len(kept), dtype=np.int8)
    for rule in relaxable:
        fails += ~passes[rule.name][kept]
    once = kept[fails == 1]
    icwa = next(r for r in RULES if isinstance(r, IcwaOrder))
    kin_listed: list[NearMiss] = []
    sibling_listed: list[NearMiss] = []
    listed: list[NearMiss] = []
    sibling_home = np.zeros(ctx.n, dtype=np.bool_)
    sibling_home[ctx.snapshot.positions(s.home_id for s in placed_siblings(ctx.request))] = True
    suggestions: list[Message] = []
    for rule in relaxable:
        homes: NDArray[np.intp] = once[~passes[rule.name][once]]
        if not len(homes):
            continue
        if found.best_tier is not None:
            tier = icwa.tiers(ctx, homes).max(axis=0, initial=0)
            homes = homes[(tier == 0) | (tier <= found.best_tier)]
        if not len(homes):
            continue
        shortfall = rule.shortfall(ctx, homes)
        suggestions.append(rule.suggestion(ctx, homes, shortfall))
        # kin homes of these children, then homes where a sibling lives, listed before the
        # others (the nearest few of each: a child has few, but a record may name many)
        for first, into in ((ctx.kin, kin_listed), (sibling_home, sibling_listed)):
            mask = first[homes]
            order = np.lexsort((ctx.snapshot.id_order[homes[mask]], shortfall[mask]))[:PER_RULE]
            for position, short in zip(homes[mask][order], shortfall[mask][order], strict=True):
                into.append(_near_miss(ctx, rule, int(position), float(short)))
            homes, shortfall = homes[~mask], shortfall[~mask]
        # the nearest few, ties by id; a partial sort, since thousands may fail by a little
        if len(homes) > PER_RULE:
            near = shortfall <= np.partition(shortfall, PER_RULE - 1)[PER_RULE - 1]
            homes, shortfall = homes[near], shortfall[near]
        order = np.lexsort((ctx.snapshot.id_order[homes], shortfall))[:PER_RULE]
        for position, short in zip(homes[order], shortfall[order], strict=True):
            listed.append(_near_miss(ctx, rule, int(position), float(short)))
    return kin_listed + sibling_listed + listed, suggestions


def _near_miss(ctx: Context, rule: RelaxableRule, position: int, shortfall: float) -> NearMiss:
    """One near miss; a kin home's detail starts with the relationship ("grandmother; ..."),
    and any detail ends with the siblings who already live there."""
    kin = bool(ctx.kin[position])
    home = ctx.snapshot.homes[position]
    detail = rule.detail(ctx, position)
    if kin:
        relationship = home.kin_relationship or Message("near_miss.kin_home")
        detail = Message("near_miss.kin", relationship=relationship, detail=detail)
    living = placed_siblings(ctx.request, home_id=home.id)
    if living:
        detail = Message(
            "near_miss.siblings",
            detail=detail,
            siblings=siblings_said(ctx.request, living, "there"),
        )
    return NearMiss(home_id=home.id, rule=rule.name, detail=detail, shortfall=shortfall, kin=kin)
