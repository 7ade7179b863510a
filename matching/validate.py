"""Solver-free checks of a placement: the specification the plan is tested against.

:func:`validate` lists every violation in a placement at once: over capacity, a child rule
broken (home not active, kin home of other children, excluded home, sex, age, needs,
radius), more of a sibling group than a home's limit, a safety separation, kin first (a
single child in a non-kin home while a kin home named for them had a free bed), the ICWA order,
and a sibling group split while a home could still have taken it whole. It reads the hard
rules' own masks, pair by pair, and never imports the solver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from matching.eligibility import eligibility
from matching.inputs import Child, Communities
from matching.policy import Policy
from matching.request import Context, PlacementRequest
from matching.rules import RULES, ChildRule, IcwaOrder
from matching.snapshot import HomeSnapshot

__all__ = ["Violation", "validate"]


class Placement(Protocol):
    """A result that says where each child goes (a :class:`~matching.plan.PlanResult`)."""

    def placement(self) -> dict[str, str]: ...


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: its kind, the children and home involved, and a sentence.

    ``kind`` is a hard rule's name (``age_range``, ``radius``, ...) or one of ``capacity``,
    ``max_siblings``, ``separation``, ``kin_first``, ``icwa_order``, ``siblings_split``,
    ``unknown_child``, ``unknown_home``.
    """

    kind: str
    child_ids: tuple[str, ...]
    home_id: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """The violation as the plan's JSON lists it (``children`` for ``child_ids``)."""
        return {
            "kind": self.kind,
            "children": list(self.child_ids),
            "home_id": self.home_id,
            "message": self.message,
        }


@dataclass(eq=False)
class _Placed:
    """A placement resolved against the snapshot: what every check reads."""

    children: Sequence[Child]
    snapshot: HomeSnapshot
    policy: Policy
    by_id: dict[str, Child]
    known: dict[str, int]  # child id -> snapshot position, for the children and homes known
    load: np.ndarray  # children placed per home
    living: dict[int, list[str]]  # position -> the children placed there
    groups: dict[str, list[Child]]  # sibling group -> its waiting members
    icwa: IcwaOrder

    @classmethod
    def of(
        cls,
        children: Sequence[Child],
        snapshot: HomeSnapshot,
        policy: Policy,
        placement: Mapping[str, str],
    ) -> tuple[_Placed, list[Violation]]:
        """The resolved placement, and a violation per unknown child or home."""
        by_id = {c.id: c for c in children}
        out: list[Violation] = []
        known: dict[str, int] = {}
        for child_id, home_id in sorted(placement.items()):
            if child_id not in by_id:
                out.append(
                    Violation("unknown_child", (child_id,), home_id, f"{child_id} is not waiting")
                )
            elif home_id not in snapshot.ids:
                out.append(Violation("unknown_home", (child_id,), home_id, f"{home_id} is no home"))
            else:
                known[child_id] = snapshot.position(home_id)
        load = np.zeros(len(snapshot), dtype=np.int64)
        living: dict[int, list[str]] = {}
        for child_id, position in known.items():
            load[position] += 1
            living.setdefault(position, []).append(child_id)
        groups: dict[str, list[Child]] = {}
        for child in children:
            if child.sibling_group is not None:
                groups.setdefault(child.sibling_group, []).append(child)
        icwa = next(r for r in RULES if isinstance(r, IcwaOrder))
        placed = cls(children, snapshot, policy, by_id, known, load, living, groups, icwa)
        return placed, out

    def home(self, position: int) -> str:
        return self.snapshot.ids[position]


def validate(
    children: Sequence[Child],
    snapshot: HomeSnapshot,
    communities: Communities,
    policy: Policy,
    result: Placement | Mapping[str, str],
) -> list[Violation]:
    """Every violation in a placement (a plan's result, or child id -> home id).

    ``communities`` is accepted for symmetry with :func:`~matching.plan.plan`; no rule
    reads it.
    """
    del communities
    # the plan's module is not imported here: it loads the solver, and this is solver-free
    placement = dict(result) if isinstance(result, Mapping) else result.placement()
    placed, out = _Placed.of(children, snapshot, policy, placement)
    out += _capacity(placed)
    # each child is judged with its sibling group, as eligibility does: a kin home of one
    # sibling may take the others
    contexts: dict[str, Context] = {}
    for child_id, position in sorted(placed.known.items()):
        child = placed.by_id[child_id]
        key = child.sibling_group or f"\0{child.id}"
        if key not in contexts:
            members = placed.groups[child.sibling_group] if child.sibling_group else [child]
            contexts[key] = Context(PlacementRequest(members), snapshot, policy)
        ctx = contexts[key]
        found, allowed = _child_rules(placed, ctx, child_id, position)
        out += found
        out += _kin_first(placed, ctx, child_id, position, allowed)
        out += _icwa_order(placed, ctx, child, position, allowed)
    out += _icwa_siblings(placed)
    out += _separations(placed)
    for name, members in sorted(placed.groups.items()):
        out += _sibling_limit(placed, name, members)
        out += _siblings_split(placed, name, members)
    return out


def _capacity(placed: _Placed) -> list[Violation]:
    """Never more children than free beds."""
    out = []
    for position, ids in sorted(placed.living.items()):
        free = int(placed.snapshot.free_beds[position])
        if len(ids) > free:
            home = placed.home(position)
            out.append(
                Violation(
                    "capacity",
                    tuple(sorted(ids)),
                    home,
                    f"{len(ids)} children placed in {home}, "
                    f"which has {free} free {'bed' if free == 1 else 'beds'}",
                )
            )
    return out


def _child_rules(
    placed: _Placed, ctx: Context, child_id: str, position: int
) -> tuple[list[Violation], np.ndarray]:
    """Every child rule for the pair (child, home); and the homes the rules allow the child."""
    out = []
    row = ctx.request.ids.index(child_id)
    allowed = np.ones(len(placed.snapshot), dtype=np.bool_)
    for rule in RULES:
        if not isinstance(rule, ChildRule) or not rule.applies(placed.policy):
            continue
        masks = rule.masks(ctx)
        mask = masks[row if masks.shape[0] > 1 else 0]
        allowed &= mask
        if not mask[position]:
            home = placed.home(position)
            out.append(
                Violation(
                    rule.name,
                    (child_id,),
                    home,
                    f'{child_id} in {home} breaks the rule "{rule.label}"',
                )
            )
    return out, allowed


def _open_beds(placed: _Placed) -> np.ndarray:
    free: np.ndarray = placed.snapshot.free_beds - placed.load >= 1
    return free


def _kin_first(
    placed: _Placed, ctx: Context, child_id: str, position: int, allowed: np.ndarray
) -> list[Violation]:
    """A single child is not in a non-kin home while a kin home named for them had a bed
    (kin first binds single children, as in the plan)."""
    s = placed.snapshot
    if len(ctx.request.ids) != 1 or s.ids[position] in _kin_ids(s, child_id):
        return []
    open_beds = _open_beds(placed)
    waiting = [p for p in s.kin_positions(child_id) if allowed[p] and open_beds[p]]
    if not waiting:
        return []
    home = s.ids[int(waiting[0])]
    return [
        Violation(
            "kin_first",
            (child_id,),
            s.ids[position],
            f"{child_id} placed in {s.ids[position]} while {home}, "
            "a kin home named for the child, was eligible with a free bed",
        )
    ]


def _icwa_order(
    placed: _Placed, ctx: Context, child: Child, position: int, allowed: np.ndarray
) -> list[Violation]:
    """An ICWA child is in the best tier that had an eligible home with a free bed."""
    if not placed.icwa.applies(placed.policy) or not child.under_icwa:
        return []
    s = placed.snapshot
    row = ctx.request.ids.index(child.id)
    tiers = placed.icwa.tiers(ctx, np.arange(len(s), dtype=np.intp))[row]
    mine = int(tiers[position])
    better = np.flatnonzero(allowed & _open_beds(placed) & (tiers < mine))
    if not len(better):
        return []
    home = s.ids[int(better[0])]
    return [
        Violation(
            "icwa_order",
            (child.id,),
            s.ids[position],
            f"{child.id} (ICWA) placed in a tier-{mine} home while {home}, "
            f"tier {int(tiers[better[0]])}, was eligible with a free bed",
        )
    ]


def _icwa_siblings(placed: _Placed) -> list[Violation]:
    """ICWA binds for the ICWA child, kin first for her siblings is policy: a home of her best
    tier goes to a sibling of hers on their own only while she too is placed."""
    if not placed.icwa.applies(placed.policy):
        return []
    out = []
    for name, members in sorted(placed.groups.items()):
        waiting = [c for c in members if c.under_icwa and c.id not in placed.known]
        if not waiting:
            continue
        found = eligibility(PlacementRequest(members), placed.snapshot, placed.policy)
        for child in waiting:
            row = found.context.request.ids.index(child.id)
            hers = set(found.positions[found.allowed[row]].tolist())
            for sibling in members:
                p = placed.known.get(sibling.id)
                if sibling.under_icwa or p is None or p not in hers:
                    continue
                out.append(
                    Violation(
                        "icwa_order",
                        (sibling.id, child.id),
                        placed.home(p),
                        f"{sibling.id} placed in {placed.home(p)}, a home of {child.id}'s "
                        f"best ICWA tier, while {child.id} (ICWA, sibling group {name}) waits",
                    )
                )
    return out


def _separations(placed: _Placed) -> list[Violation]:
    """Children with a safety separation never in the same home."""
    out = []
    for position, ids in sorted(placed.living.items()):
        present = sorted(ids)
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                if placed.by_id[a].kept_apart_from(placed.by_id[b]):
                    home = placed.home(position)
                    out.append(
                        Violation(
                            "separation",
                            (a, b),
                            home,
                            f"{a} and {b} must not live together, but both are in {home}",
                        )
                    )
    return out


def _group_homes(placed: _Placed, members: Sequence[Child]) -> dict[int, list[str]]:
    """Position -> the members of a sibling group placed there."""
    at: dict[int, list[str]] = {}
    for child_id in sorted(c.id for c in members):
        if child_id in placed.known:
            at.setdefault(placed.known[child_id], []).append(child_id)
    return at


def _sibling_limit(placed: _Placed, name: str, members: Sequence[Child]) -> list[Violation]:
    """Never more of a sibling group in one home than its limit."""
    out = []
    for position, here in sorted(_group_homes(placed, members).items()):
        limit = int(placed.snapshot.max_siblings[position])
        if len(here) > limit:
            home = placed.home(position)
            out.append(
                Violation(
                    "max_siblings",
                    tuple(here),
                    home,
                    f"{len(here)} of sibling group {name} in {home}, which takes at most {limit}",
                )
            )
    return out


def _siblings_split(placed: _Placed, name: str, members: Sequence[Child]) -> list[Violation]:
    """A sibling group is split only when no home could take all of it."""
    at = _group_homes(placed, members)
    count = sum(len(here) for here in at.values())
    if len(members) < 2 or not at or (len(at) == 1 and count == len(members)):
        return []  # not split: whole in one home, or every member waiting
    s = placed.snapshot
    found = eligibility(PlacementRequest(members), s, placed.policy)
    for position in found.positions[found.whole]:
        p = int(position)
        room = int(s.free_beds[p]) - int(placed.load[p]) + len(at.get(p, []))
        if room >= len(members):
            return [
                Violation(
                    "siblings_split",
                    tuple(sorted(c.id for c in members)),
                    s.ids[p],
                    f"sibling group {name} is split ({_parts(len(at), count, len(members))}), "
                    f"but {s.ids[p]} could have taken all {len(members)}",
                )
            ]
    return []


def _parts(homes: int, placed: int, size: int) -> str:
    """How a group is split, in words: "over 2 homes", "1 placed, 2 waiting"."""
    where = f"over {homes} homes" if homes > 1 else "in 1 home"
    return where if placed == size else f"{placed} placed {where}, {size - placed} waiting"


def _kin_ids(snapshot: HomeSnapshot, child_id: str) -> set[str]:
    return {snapshot.ids[int(p)] for p in snapshot.kin_positions(child_id)}
