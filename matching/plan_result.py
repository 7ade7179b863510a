"""A placement plan's result: the assignments explained, the unplaced with their reasons,
the headline figures, the conflicts between rules, and the solver-free check that takes out
a family whose placement breaks a rule.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from matching.candidates import LONG_WAIT_DAYS, Table
from matching.inputs import Child, Communities
from matching.messages import Message
from matching.near_miss import near_misses
from matching.placement import whole_groups
from matching.policy import Policy
from matching.rank import factor_scores, icwa_vs_siblings, why_none
from matching.rank_result import FactorScore
from matching.request import Context, PlacementRequest
from matching.rules import IcwaOrder
from matching.snapshot import HomeSnapshot
from matching.validate import Violation, validate

__all__ = [
    "Assignment",
    "Conflict",
    "PlanResult",
    "Unplaced",
    "checked",
    "figures",
    "finish",
    "placement_rows",
    "with_baseline",
    "withdraw",
]


@dataclass(frozen=True, slots=True)
class Assignment:
    """One child placed in one home, with the explanation of that pairing."""

    child_id: str
    home_id: str
    score: float
    points: float
    distance_km: float
    kin: bool
    own_community: bool
    factors: tuple[FactorScore, ...]
    waited_days: int | None = None
    good_cause_required: bool = False
    good_cause_reason: Message | None = None

    def to_json(self) -> dict[str, Any]:
        reason = self.good_cause_reason
        return {
            "child_id": self.child_id,
            "home_id": self.home_id,
            "score": round(self.score, 3),
            "points": round(self.points, 3),
            "distance_km": self.distance_km,
            "kin": self.kin,
            "own_community": self.own_community,
            "waited_days": self.waited_days,
            "good_cause_required": self.good_cause_required,
            "good_cause_reason": None if reason is None else str(reason),
            "good_cause_reason_i18n": None if reason is None else reason.to_json(),
            "factors": [f.to_json() for f in self.factors],
        }


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A child the plan could not place, with the reasons that bind."""

    child_id: str
    reasons: tuple[Message, ...]
    waited_days: int | None = None

    def to_json(self) -> dict[str, Any]:
        """As in the plan JSON (README, "Placement plan"), with ``reasons_i18n``: the reasons
        as keys and values."""
        return {
            "child_id": self.child_id,
            "waited_days": self.waited_days,
            "reasons": [str(r) for r in self.reasons],
            "reasons_i18n": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two rules that cannot both hold for one family, and how the plan resolved it.

    ``kind``: ``icwa_vs_siblings`` (keeping the group together would place an ICWA child
    below her best tier), ``icwa_vs_kin`` (a home is both an ICWA child's best tier and a
    sibling's kin home), ``rule_broken`` (the solver's answer broke a rule for this group:
    it was taken out of the plan, to be decided by hand).
    """

    child_ids: tuple[str, ...]
    kind: str
    message: Message

    def to_json(self) -> dict[str, Any]:
        return {
            "child_ids": list(self.child_ids),
            "kind": self.kind,
            "message": str(self.message),
            "message_i18n": self.message.to_json(),
        }


@dataclass(frozen=True, slots=True)
class PlanResult:
    """A placement plan and its evidence.

    Attributes
    ----------
    method
        ``cp-sat`` or ``greedy``.
    status
        ``optimal``, ``feasible``, ``infeasible`` or ``unknown``.
    objective, bound
        The score stage's objective (integer points, see :func:`integer_points`, minus the
        split penalties) and CP-SAT's bound on it; None when not solved (greedy: no bound).
    gap
        ``(bound - objective) / max(1, objective)`` on the score stage, None without a bound.
    runtime_s, seed
        Wall-clock seconds; the solver seed.
    assignments, unplaced
        Every waiting child is in exactly one of them; the unplaced longest-waiting first.
    summary_figures
        ``children``, ``placed``, ``sibling_groups``, ``sibling_groups_whole``,
        ``own_community``, ``mean_distance_km``, ``kin``, ``long_waiting`` (``children``
        who waited over a year, and how many of them are ``placed``),
        ``non_kin_mean_distance_km``.
    conflicts
        Families where two rules could not both hold, and what the plan did.
    notes
        What the reader must know about how the plan was made (e.g. it is the baseline).
    baseline, baseline_assignments
        The lawful greedy baseline's summary figures and placements (``child_id``,
        ``home_id``, ``distance_km``, ``kin``, ``own_community``), for a cp-sat plan.
    """

    method: str
    status: str
    objective: int | None
    bound: int | None
    gap: float | None
    runtime_s: float
    seed: int
    assignments: tuple[Assignment, ...]
    unplaced: tuple[Unplaced, ...]
    summary_figures: dict[str, Any] = field(default_factory=dict)
    conflicts: tuple[Conflict, ...] = ()
    notes: tuple[Message, ...] = ()
    baseline: dict[str, Any] | None = None
    baseline_assignments: tuple[dict[str, Any], ...] = ()

    def placement(self) -> dict[str, str]:
        """Child id -> home id."""
        return {a.child_id: a.home_id for a in self.assignments}

    def to_json(self) -> dict[str, Any]:
        """The plan JSON of README, "Placement plan"."""
        return {
            "method": self.method,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": None if self.gap is None else round(self.gap, 6),
            "runtime_s": round(self.runtime_s, 3),
            "seed": self.seed,
            "assignments": [a.to_json() for a in self.assignments],
            "unplaced": [u.to_json() for u in self.unplaced],
            "summary": {
                **self.summary_figures,
                "conflicts": [c.to_json() for c in self.conflicts],
            },
            "notes": [str(n) for n in self.notes],
            "notes_i18n": [n.to_json() for n in self.notes],
            "baseline": self.baseline,
            "baseline_assignments": list(self.baseline_assignments),
        }

    def summary(self) -> str:
        """A readable report: the figures, then every assignment and every unplaced child."""
        f = self.summary_figures
        gap = "" if self.gap is None else f", gap {self.gap:.4%}"
        lines = [
            f"Plan ({self.method}): {self.status}{gap}, {self.runtime_s:.2f} s, seed {self.seed}",
            f"  {_figures_line(f)}",
        ]
        if self.baseline is not None:
            lines.append(f"  baseline (greedy, lawful): {_figures_line(self.baseline)}")
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  conflict ({c.kind}): {c.message}" for c in self.conflicts]
        for a in self.assignments:
            why = "; ".join(x.reason for x in sorted(a.factors, key=lambda x: -x.contribution)[:2])
            lines.append(
                f"  {a.child_id} -> {a.home_id}  score {a.score:.2f}  {a.distance_km:.1f} km"
                f"{'  kin' if a.kin else ''}  {why}"
            )
        for u in self.unplaced:
            waited = "" if u.waited_days is None else f" (waiting {u.waited_days} days)"
            lines.append(f"  {u.child_id}{waited} not placed: {' '.join(u.reasons)}")
        return "\n".join(lines)


def _figures_line(f: Mapping[str, Any]) -> str:
    """The headline measures in one line."""
    long = f["long_waiting"]
    return (
        f"placed {f['placed']} of {f['children']} children; sibling groups kept whole "
        f"{f['sibling_groups_whole']} of {f['sibling_groups']}; own community "
        f"{f['own_community']}; kin {f['kin']}; waited over a year placed {long['placed']} "
        f"of {long['children']}; mean distance {f['mean_distance_km']} km "
        f"(not kin {f['non_kin_mean_distance_km']} km)"
    )


def placement_rows(table: Table, chosen: Mapping[int, int]) -> list[dict[str, Any]]:
    """Per placed child: where, how far, kin, own community (cheap: no reasons)."""
    s = table.snapshot
    rows = []
    for c, o in sorted(chosen.items(), key=lambda item: table.children[item[0]].child.id):
        entry = table.children[c]
        rows.append(
            {
                "child_id": entry.child.id,
                "home_id": s.ids[int(entry.positions[o])],
                "distance_km": round(float(entry.pairing.distances_by_child[0, o]), 1),
                "kin": entry.kin_at(o, s),
                "own_community": entry.own_community_at(o, s),
            }
        )
    return rows


def figures(table: Table, chosen: Mapping[int, int]) -> dict[str, Any]:
    """The headline measures of a placement (the plan JSON's ``summary``)."""
    rows = placement_rows(table, chosen)
    distances = [r["distance_km"] for r in rows]
    far = [r["distance_km"] for r in rows if not r["kin"]]
    long = [e for e in table.children if e.long_waiting]
    return {
        "children": len(table.children),
        "placed": len(rows),
        "sibling_groups": sum(1 for g in table.groups if len(g.members) > 1),
        "sibling_groups_whole": whole_groups(table, chosen),
        "own_community": sum(r["own_community"] for r in rows),
        "mean_distance_km": round(float(np.mean(distances)), 2) if distances else 0.0,
        "kin": sum(r["kin"] for r in rows),
        "long_waiting": {
            "children": len(long),
            "placed": sum(1 for c in chosen if table.children[c].long_waiting),
        },
        "non_kin_mean_distance_km": round(float(np.mean(far)), 2) if far else 0.0,
    }


def with_baseline(result: PlanResult, table: Table, chosen: Mapping[int, int]) -> PlanResult:
    """The result with the baseline's figures and placements beside it."""
    return replace(
        result,
        baseline=figures(table, chosen),
        baseline_assignments=tuple(placement_rows(table, chosen)),
    )


def finish(
    table: Table,
    method: str,
    status: str,
    chosen: dict[int, int],
    objective: int | None,
    bound: int | None,
    started: float,
    seed: int,
    notes: tuple[Message, ...] = (),
) -> PlanResult:
    """The result for a placement: assignments explained, reasons for the unplaced, figures."""
    s = table.snapshot
    assignments: list[Assignment] = []
    unplaced: list[Unplaced] = []
    living: dict[int, list[str]] = {}
    for c, o in chosen.items():
        living.setdefault(int(table.children[c].positions[o]), []).append(
            table.children[c].child.id
        )
    for c, entry in enumerate(table.children):
        child = entry.child
        if c not in chosen:
            unplaced.append(Unplaced(child.id, _reasons(table, c, living), entry.waited_days))
            continue
        o = chosen[c]
        home = s.homes[int(entry.positions[o])]
        scores, pairing = entry.scores, entry.pairing
        below = _below_tier(table, c, o)
        assignments.append(
            Assignment(
                child_id=child.id,
                home_id=home.id,
                score=float(scores.score[o]),
                points=float(scores.points[o]),
                distance_km=round(float(pairing.distances_by_child[0, o]), 1),
                kin=entry.kin_at(o, s),
                own_community=entry.own_community_at(o, s),
                factors=factor_scores(scores, pairing, o),
                waited_days=entry.waited_days,
                good_cause_required=below is not None,
                good_cause_reason=below,
            )
        )
    gap = None
    if objective is not None and bound is not None:
        gap = max(bound - objective, 0) / max(1, objective)
    return PlanResult(
        method=method,
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        runtime_s=time.perf_counter() - started,
        seed=seed,
        assignments=tuple(sorted(assignments, key=lambda a: a.child_id)),
        # the longest-waiting first (unknown last), then by id
        unplaced=tuple(sorted(unplaced, key=_longest_waiting_first)),
        summary_figures=figures(table, chosen),
        conflicts=tuple(_conflicts(table, chosen)),
        notes=notes,
    )


def _longest_waiting_first(u: Unplaced) -> tuple[int, str]:
    """Sort key: the longest-waiting first, unknown waiting last, then by id."""
    return (-1 if u.waited_days is None else -u.waited_days, u.child_id)


def _below_tier(table: Table, c: int, o: int) -> Message | None:
    """Why good cause is needed, when an ICWA child is placed below her best tier."""
    entry = table.children[c]
    if entry.icwa_tier is None:
        return None
    ctx = Context(PlacementRequest([entry.child]), table.snapshot, table.policy)
    tier = int(IcwaOrder().tiers(ctx, entry.positions[o : o + 1])[0, 0])
    if tier <= entry.icwa_tier:
        return None
    return Message("good_cause.below_tier", id=entry.child.id, tier=tier, best=entry.icwa_tier)


def _conflicts(table: Table, chosen: Mapping[int, int]) -> list[Conflict]:
    """ICWA against siblings together, and against a sibling's kin home, family by family."""
    s = table.snapshot
    out: list[Conflict] = []
    for group in table.groups:
        if len(group.members) < 2:
            continue
        members = [table.children[c] for c in group.members]
        homes = {int(table.children[c].positions[chosen[c]]) for c in group.members if c in chosen}
        whole = len(homes) == 1 and all(c in chosen for c in group.members)
        together = icwa_vs_siblings(group.found)  # members are in the request's order
        for i, c in enumerate(group.members):
            entry = table.children[c]
            if entry.icwa_tier is None:
                continue
            ids = (entry.child.id, *(m.child.id for m in members if m is not entry))
            if i in together and not whole:
                out.append(Conflict(ids, "icwa_vs_siblings", together[i]))
            if c not in chosen:
                continue
            p = int(entry.positions[chosen[c]])
            for m in members:
                mine = m.child.id in s.homes[p].kin_of
                there = (
                    table.index[m.child.id] in chosen
                    and int(m.positions[chosen[table.index[m.child.id]]]) == p
                )
                if m is not entry and m.icwa_tier is None and mine and not there:
                    out.append(
                        Conflict(
                            ids,
                            "icwa_vs_kin",
                            Message(
                                "conflict.icwa_vs_kin",
                                home=s.ids[p],
                                id=entry.child.id,
                                tier=entry.icwa_tier,
                                sibling=m.child.id,
                            ),
                        )
                    )
    return out


def checked(
    result: PlanResult,
    children: Sequence[Child],
    snapshot: HomeSnapshot,
    communities: Communities,
    policy: Policy,
) -> tuple[PlanResult, list[Violation]]:
    """The plan as the solver-free checks accept it: each family whose placement breaks a
    rule is taken out and reported (:func:`withdraw`), every other child's plan kept.

    Returns the plan and the violations that remain (none, unless taking families out
    broke a rule for another; then the caller must not serve the plan).
    """
    groups = {c.id: c.sibling_group or c.id for c in children}
    family: dict[str, list[str]] = {}
    for c in children:
        family.setdefault(groups[c.id], []).append(c.id)
    for _ in range(3):  # taking a family out frees beds, which rarely breaks another rule
        violations = validate(children, snapshot, communities, policy, result)
        if not violations:
            return result, []
        broken: dict[str, list[str]] = {}
        for v in violations:
            for child_id in v.child_ids:
                if child_id in groups:
                    broken.setdefault(groups[child_id], []).append(v.message)
        if not broken:
            return result, violations
        result = withdraw(
            result,
            [family[g] for g in broken],
            ["; ".join(sorted(set(m))) for m in broken.values()],
        )
    return result, validate(children, snapshot, communities, policy, result)


def withdraw(result: PlanResult, groups: Sequence[Sequence[str]], why: Sequence[str]) -> PlanResult:
    """The plan without these families' placements: each is reported, never the whole plan
    lost for one family (the solver-free checks found a rule broken for them).

    ``groups``: the children of each family to take out (a sibling group whole); ``why``:
    per family, the broken rules in a sentence each.
    """
    out = {child_id for family in groups for child_id in family}
    kept = tuple(a for a in result.assignments if a.child_id not in out)
    removed = [a for a in result.assignments if a.child_id in out]
    unplaced = list(result.unplaced)
    for a in removed:
        unplaced.append(Unplaced(a.child_id, (Message("unplaced.withdrawn"),), a.waited_days))
    conflicts = list(result.conflicts)
    for family, sentence in zip(groups, why, strict=True):
        ids = tuple(sorted(family))
        conflicts.append(
            Conflict(
                ids, "rule_broken", Message("conflict.rule_broken", ids=list(ids), why=sentence)
            )
        )
    figures = dict(result.summary_figures)
    if figures:  # the measures of what is left
        where = {a.child_id: a.home_id for a in removed}
        whole = sum(
            1 for family in groups if len(family) > 1 and len({where.get(c) for c in family}) == 1
        )
        near = [a.distance_km for a in kept]
        far = [a.distance_km for a in kept if not a.kin]
        figures.update(
            placed=len(kept),
            own_community=sum(a.own_community for a in kept),
            kin=sum(a.kin for a in kept),
            sibling_groups_whole=figures["sibling_groups_whole"] - whole,
            mean_distance_km=round(float(np.mean(near)), 2) if near else 0.0,
            non_kin_mean_distance_km=round(float(np.mean(far)), 2) if far else 0.0,
            long_waiting={
                "children": figures["long_waiting"]["children"],
                "placed": sum(
                    1 for a in kept if a.waited_days is not None and a.waited_days > LONG_WAIT_DAYS
                ),
            },
        )
    return replace(
        result,
        assignments=kept,
        unplaced=tuple(sorted(unplaced, key=_longest_waiting_first)),
        conflicts=tuple(conflicts),
        summary_figures=figures,
    )


def _reasons(table: Table, c: int, living: dict[int, list[str]]) -> tuple[Message, ...]:
    """Why a child is not placed: no eligible home (the rule that removed most), or taken.

    ``living``: snapshot position -> the children the placement puts there.
    """
    entry = table.children[c]
    found = table.groups[entry.group].found
    count = entry.eligible  # every eligible home, also those the model left out
    if len(entry.positions):
        # the home that would have suited the child best, and who has its beds now
        o = int(np.argmax(entry.points))
        p = int(entry.positions[o])
        km = float(entry.pairing.distances_by_child[0, o])
        which = "unplaced.only_home" if count == 1 else "unplaced.best_home"
        home = Message(which, home=table.snapshot.ids[p], km=km)
        taken = sorted(living.get(p, []))
        if not taken:
            return (Message("unplaced.free", home=home),)
        if count == 1:
            return (Message("unplaced.taken", home=home, ids=taken),)
        return (Message("unplaced.all_taken", count=count, home=home, ids=taken),)
    if found.count == 0:
        _, suggestions = near_misses(found)
        message = why_none(found, suggestions)
        if message:
            return (message,)
    return (Message("unplaced.none"),)
