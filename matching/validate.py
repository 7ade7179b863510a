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
from typing import Protocol

import numpy as np

from matching.eligibility import eligibility
from matching.inputs import Child, Communities
from matching.policy import Policy
from matching.request import Context, Request
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

    # capacity: never more children than free beds
    for position, ids in sorted(living.items()):
        free = int(snapshot.free_beds[position])
        if len(ids) > free:
            out.append(
                Violation(
                    "capacity",
                    tuple(sorted(ids)),
                    snapshot.ids[position],
                    f"{len(ids)} children placed in {snapshot.ids[position]}, "
                    f"which has {free} free {'bed' if free == 1 else 'beds'}",
                )
            )

    # every child rule, for the pair (child, home), and the ICWA order
    # (a child is judged with its sibling group, as eligibility does: a kin home of one
    # sibling may take the others)
    icwa = next(r for r in RULES if isinstance(r, IcwaOrder))
    groups: dict[str, list[Child]] = {}
    for child in children:
        if child.sibling_group is not None:
            groups.setdefault(child.sibling_group, []).append(child)
    contexts: dict[str, Context] = {}
    for child_id, position in sorted(known.items()):
        child = by_id[child_id]
        key = child.sibling_group or f"\0{child.id}"
        if key not in contexts:
            members = groups[child.sibling_group] if child.sibling_group else [child]
            contexts[key] = Context(Request(members), snapshot, policy)
        ctx = contexts[key]
        row = ctx.request.ids.index(child_id)
        allowed = np.ones(len(snapshot), dtype=np.bool_)
        for rule in RULES:
            if not isinstance(rule, ChildRule) or not rule.applies(policy):
                continue
            masks = rule.masks(ctx)
            mask = masks[row if masks.shape[0] > 1 else 0]
            allowed &= mask
            if not mask[position]:
                out.append(
                    Violation(
                        rule.name,
                        (child_id,),
                        snapshot.ids[position],
                        f'{child_id} in {snapshot.ids[position]} breaks the rule "{rule.label}"',
                    )
                )
        open_beds = snapshot.free_beds - load >= 1
        alone = len(ctx.request.ids) == 1  # kin first binds single children (see plan)
        if alone and snapshot.ids[position] not in _kin_ids(snapshot, child_id):
            waiting = [p for p in snapshot.kin_positions(child_id) if allowed[p] and open_beds[p]]
            if waiting:
                home = snapshot.ids[int(waiting[0])]
                out.append(
                    Violation(
                        "kin_first",
                        (child_id,),
                        snapshot.ids[position],
                        f"{child_id} placed in {snapshot.ids[position]} while {home}, "
                        "a kin home named for the child, was eligible with a free bed",
                    )
                )
        if icwa.applies(policy) and child.under_icwa:
            tiers = icwa.tiers(ctx, np.arange(len(snapshot), dtype=np.intp))[row]
            mine = int(tiers[position])
            better = np.flatnonzero(allowed & open_beds & (tiers < mine))
            if len(better):
                home = snapshot.ids[int(better[0])]
                out.append(
                    Violation(
                        "icwa_order",
                        (child_id,),
                        snapshot.ids[position],
                        f"{child_id} (ICWA) placed in a tier-{mine} home while {home}, "
                        f"tier {int(tiers[better[0]])}, was eligible with a free bed",
                    )
                )

    # ICWA binds for the ICWA child, kin first for her siblings is policy: a home of her best
    # tier goes to a sibling of hers on their own only while she too is placed
    if icwa.applies(policy):
        for name, members in sorted(groups.items()):
            waiting = [c for c in members if c.under_icwa and c.id not in known]
            if not waiting:
                continue
            found = eligibility(Request(members), snapshot, policy)
            for child in waiting:
                row = found.context.request.ids.index(child.id)
                hers = set(found.positions[found.allowed[row]].tolist())
                for sibling in members:
                    p = known.get(sibling.id)
                    if sibling.under_icwa or p is None or p not in hers:
                        continue
                    out.append(
                        Violation(
                            "icwa_order",
                            (sibling.id, child.id),
                            snapshot.ids[p],
                            f"{sibling.id} placed in {snapshot.ids[p]}, a home of {child.id}'s "
                            f"best ICWA tier, while {child.id} (ICWA, sibling group {name}) waits",
                        )
                    )

    # safety separations: never in the same home
    for position, ids in sorted(living.items()):
        present = sorted(ids)
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                if by_id[a].kept_apart_from(by_id[b]):
                    out.append(
                        Violation(
                            "separation",
                            (a, b),
                            snapshot.ids[position],
                            f"{a} and {b} must not live together, "
                            f"but both are in {snapshot.ids[position]}",
                        )
                    )

    # sibling groups: within each home's limit, and split only when no home could take all
    for name, members in sorted(groups.items()):
        ids = sorted(c.id for c in members)
        at: dict[int, list[str]] = {}
        for child_id in ids:
            if child_id in known:
                at.setdefault(known[child_id], []).append(child_id)
        for position, here in sorted(at.items()):
            limit = int(snapshot.max_siblings[position])
            if len(here) > limit:
                out.append(
                    Violation(
                        "max_siblings",
                        tuple(here),
                        snapshot.ids[position],
                        f"{len(here)} of sibling group {name} in {snapshot.ids[position]}, "
                        f"which takes at most {limit}",
                    )
                )
        placed = sum(len(here) for here in at.values())
        if len(members) < 2 or not at or (len(at) == 1 and placed == len(members)):
            continue  # not split: whole in one home, or every member waiting
        found = eligibility(Request(members), snapshot, policy)
        for position in found.positions[found.whole]:
            p = int(position)
            room = int(snapshot.free_beds[p]) - int(load[p]) + len(at.get(p, []))
            if room >= len(members):
                out.append(
                    Violation(
                        "siblings_split",
                        tuple(ids),
                        snapshot.ids[p],
                        f"sibling group {name} is split ({_parts(len(at), placed, len(members))}), "
                        f"but {snapshot.ids[p]} could have taken all {len(members)}",
                    )
                )
                break
    return out


def _parts(homes: int, placed: int, size: int) -> str:
    """How a group is split, in words: "over 2 homes", "1 placed, 2 waiting"."""
    where = f"over {homes} homes" if homes > 1 else "in 1 home"
    return where if placed == size else f"{placed} placed {where}, {size - placed} waiting"


def _kin_ids(snapshot: HomeSnapshot, child_id: str) -> set[str]:
    return {snapshot.ids[int(p)] for p in snapshot.kin_positions(child_id)}
