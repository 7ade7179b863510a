"""The hindsight optimum: one CP-SAT model over the whole window, knowing every arrival.

No real policy can know next week's arrivals; this one does, so its objective is the yardstick
the others are measured against. The model, in the order of every CP-SAT model of the project:

- data: each child's candidate homes on their day of entry (the engine's
  :func:`~matching.candidates.build_table` against the homes that day, with the beds the
  children living there at the start leave free, cut to the best ``keep`` as the plan cuts
  them), valued as the replay values every placement (:mod:`replay.objective`); and every
  placement a replayed policy made, on its day, so that each replayed policy's placements are
  a solution of the model and the optimum is never below them;
- variables: ``x[child, home, day]``, the child placed there that day; ``whole[group, home]``;
- constraints: each child at most once; each home's beds on every day a placement starts
  there (a placement holds its bed from its day to the child's recorded exit); children kept
  apart never in one home at the same time; a home's sibling limit;
- objective: :func:`replay.objective.objective`, exactly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ortools.sat.python import cp_model

from matching import Policy
from matching.candidates import DEFAULT_KEEP, build_table, cut_table
from matching.placement import group_points
from replay.history import History
from replay.objective import objective, stay_value, whole_groups
from replay.world import Stay, World, table_stays

__all__ = ["DEFAULT_WORKERS", "Optimum", "hindsight"]

DEFAULT_WORKERS = 8  # as the plan: a fixed count, so the same seed gives the same optimum


@dataclass(frozen=True)
class Optimum:
    """The hindsight placements with the solver's status (``optimal``, ``feasible``, or
    ``unknown`` when it found no solution in its time: then the best replayed policy's
    placements, with no bound), objective and proven bound."""

    stays: tuple[Stay, ...]
    status: str
    objective: int
    bound: int | None
    runtime_s: float
    variables: int


def _entry_day_options(world: World, history: History, keep: int) -> list[Stay]:
    """Every child's candidate homes on their day of entry (children living in homes at the
    start in place, nobody else), valued."""
    options: list[Stay] = []
    for day in world.days():
        world.begin(day)
        arriving = [a for a in world.by_day.get(day, []) if a.id in world.waiting]
        children = [c for c in (world.child_on(a, day) for a in arriving) if c is not None]
        if not children:
            continue
        snapshot = world.snapshot_on(day)
        full = build_table(children, snapshot, world.communities, world.policy)
        table, _ = cut_table(full, keep, {})
        chosen = [(c, o) for c, e in enumerate(table.children) for o in range(len(e.positions))]
        options.extend(table_stays(table, chosen, day))
    return options


def hindsight(
    history: History,
    policy: Policy,
    runs: Sequence[Sequence[Stay]] = (),
    *,
    time_limit_s: float = 60.0,
    seed: int = 0,
    workers: int | None = None,
    keep: int = DEFAULT_KEEP,
) -> Optimum:
    """The best placements of the window knowing every arrival (see the module docstring).

    ``runs`` are the placements of replayed policies: each is kept a solution of the model,
    and the best of them starts the search.
    """
    started = time.perf_counter()
    world = World(history, policy)
    arrivals = {a.id: a for a in history.arrivals}
    # data
    # (a placement's value depends on the day's state: the beds and recent placements the
    # replay that made it had; the same placement made by several is valued at its best)
    found: dict[tuple[str, str, date], Stay] = {}
    for stay in [*_entry_day_options(world, history, keep), *(s for run in runs for s in run)]:
        key = (stay.child_id, stay.home_id, stay.on)
        if key not in found or stay.points > found[key].points:
            found[key] = stay
    stays = list(found.values())
    end = history.end.toordinal() + 1
    leaves = {
        a.id: end if a.leaves_on is None else min(a.leaves_on.toordinal(), end)
        for a in history.arrivals
    }
    model = cp_model.CpModel()
    # variables
    x = [model.new_bool_var(f"x{i}") for i in range(len(stays))]
    by_child: dict[str, list[int]] = {}
    by_home: dict[str, list[int]] = {}
    for i, s in enumerate(stays):
        by_child.setdefault(s.child_id, []).append(i)
        by_home.setdefault(s.home_id, []).append(i)
    # constraints: each child placed at most once
    for ids in by_child.values():
        model.add_at_most_one(x[i] for i in ids)
    # each home's beds over time: a placement holds a bed from its day until the child
    # leaves care, beside the children living there at the start. A home the records
    # over-fill has no free bed until it is below its capacity: the children living there
    # take min(living, capacity) beds, the profile of the `capacity` who stay longest
    origin = history.start.toordinal()
    residents: dict[str, list[int]] = {}
    for r in history.residents:
        residents.setdefault(r.home_id, []).append(
            end if r.leaves_on is None else r.leaves_on.toordinal()
        )
    s_ = world.snapshot
    for home_id, ids in by_home.items():
        capacity = int(world.capacity[s_.position(home_id)])
        living = sorted(residents.get(home_id, []), reverse=True)[:capacity]
        if len(ids) + len(living) <= capacity:
            continue  # (room for every candidate at once)
        intervals = [
            model.new_fixed_size_interval_var(0, leave - origin, f"lives_{home_id}_{k}")
            for k, leave in enumerate(living)
        ]
        for i in ids:
            begin = stays[i].on.toordinal() - origin
            size = max(leaves[stays[i].child_id] - origin - begin, 1)
            intervals.append(
                model.new_optional_fixed_size_interval_var(begin, size, x[i], f"holds_{i}")
            )
        model.add_cumulative(intervals, [1] * len(intervals), capacity)
    # children kept apart never in one home at the same time
    for a_id, others in world.apart.items():
        for b_id in others:
            if not (a_id < b_id and a_id in by_child and b_id in by_child):
                continue
            for i in by_child[a_id]:
                for j in by_child[b_id]:
                    si, sj = stays[i], stays[j]
                    overlap = max(si.on.toordinal(), sj.on.toordinal()) < min(
                        leaves[a_id], leaves[b_id]
                    )
                    if si.home_id == sj.home_id and overlap:
                        model.add_at_most_one([x[i], x[j]])
    # a home's sibling limit (never tighter than what a replayed policy did)
    groups, _ = whole_groups(arrivals.values(), {})
    used: dict[tuple[str, str], int] = {}
    for run in runs:
        counts: dict[tuple[str, str], int] = {}
        for s in run:
            g = arrivals[s.child_id].child.sibling_group
            if g is not None and g in groups:
                counts[(g, s.home_id)] = counts.get((g, s.home_id), 0) + 1
        for pair, n in counts.items():
            used[pair] = max(used.get(pair, 0), n)
    whole: list[tuple[cp_model.IntVar, int, str, str]] = []
    for g, members in groups.items():
        at: dict[str, dict[str, list[int]]] = {}
        for m in members:
            for i in by_child.get(m, []):
                at.setdefault(stays[i].home_id, {}).setdefault(m, []).append(i)
        for home_id, per_member in at.items():
            limit = int(s_.max_siblings[s_.position(home_id)])
            limit = max(limit, used.get((g, home_id), 0))
            if sum(len(v) for v in per_member.values()) > limit:
                model.add(sum(x[i] for v in per_member.values() for i in v) <= limit)
            if len(per_member) == len(members):  # every member may go there: whole
                z = model.new_bool_var(f"whole_{g}_{home_id}")
                for ids in per_member.values():
                    model.add(z <= sum(x[i] for i in ids))
                whole.append((z, group_points(policy, len(members)), g, home_id))
    # objective: the replay's, exactly
    values = [stay_value(s, arrivals[s.child_id], policy) for s in stays]
    model.maximize(
        sum(v * xi for v, xi in zip(values, x, strict=True)) + sum(b * z for z, b, _, _ in whole)
    )
    # start from the best replayed policy
    best: Sequence[Stay] = ()
    if runs:
        best = max(runs, key=lambda run: objective(history.arrivals, run, policy))
        chosen = {(s.child_id, s.home_id, s.on) for s in best}
        for i, s in enumerate(stays):
            model.add_hint(x[i], (s.child_id, s.home_id, s.on) in chosen)
        home = {s.child_id: s.home_id for s in best}
        for z, _, g, home_id in whole:
            model.add_hint(z, all(home.get(m) == home_id for m in groups[g]))
    # solve
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers or DEFAULT_WORKERS
    # probing the beds of 1,500 homes over a year added 900,000 clauses and took most of a
    # minute before the search began (measured on the sample county); without it the
    # search starts from the hint within seconds
    solver.parameters.cp_model_probing_level = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # no solution within the time limit: the best replayed policy's placements (a
        # solution of the model), unproven ("unknown"); the output says so
        return Optimum(
            stays=tuple(sorted(best, key=_by_child)),
            status="unknown",
            objective=objective(history.arrivals, best, policy),
            bound=None,
            runtime_s=time.perf_counter() - started,
            variables=len(stays),
        )
    picked = tuple(
        sorted((s for s, xi in zip(stays, x, strict=True) if solver.value(xi)), key=_by_child)
    )
    return Optimum(
        stays=picked,
        status="optimal" if status == cp_model.OPTIMAL else "feasible",
        objective=round(solver.objective_value),
        bound=math.floor(solver.best_objective_bound + 1e-6),
        runtime_s=time.perf_counter() - started,
        variables=len(stays),
    )


def _by_child(stay: Stay) -> str:
    return stay.child_id
