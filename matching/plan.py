"""The placement plan: every waiting child at once, one CP-SAT model (docs/matching.md).

:func:`plan` answers the coordinator's question "these children are waiting tonight: which
home for each, so that as many as possible get a family, and the best families?". The lawful
greedy baseline is computed first; the model (:mod:`matching.model`) is never behind it. Two
CP-SAT stages share the time limit: the most children placed, then the most score points.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ortools.sat.python import cp_model

from matching.candidates import DEFAULT_KEEP, build_table, cut_table
from matching.greedy import lawful_baseline
from matching.inputs import Child, Communities
from matching.messages import Message
from matching.model import Model, Progress, SolveProgress, build_model
from matching.moves import best_options, improved
from matching.placement import Floors, score_points
from matching.plan_result import PlanResult, finish, with_baseline
from matching.policy import Policy
from matching.relaxation import relaxed_values
from matching.snapshot import HomeSnapshot

__all__ = ["plan"]

DEFAULT_WORKERS = 8  # a fixed worker count: the same seed gives the same plan on any machine
WALL_GUARD = 5.0  # a deterministic plan still stops after this many times its limit in seconds


FINISH_RESERVE_S = 0.4  # kept from the time limit to explain the result (0.2 s at 2,000 children)
FINISH_RESERVE_PER_CHILD_S = 0.0007  # and more for a large plan (the solver's stop included)
LP_VARIABLES_PER_S = (
    10_000  # the linear relaxation built per second (measured here: 2.7 s at 26,887)
)


@dataclass(eq=False)
class _Budget:
    """What is left of the time limit: wall-clock seconds, or, for a repeatable plan,
    CP-SAT's deterministic time (work units that do not depend on the machine's load)."""

    limit: float
    deterministic: bool
    seed: int
    workers: int | None
    started: float = field(default_factory=time.perf_counter)
    spent: float = 0.0  # deterministic time used by the solves so far

    def left(self) -> float:
        if self.deterministic:
            return self.limit - self.spent
        return self.limit - (time.perf_counter() - self.started)

    def solver(self) -> cp_model.CpSolver:
        """A solver for what is left."""
        solver = cp_model.CpSolver()
        solver.parameters.random_seed = self.seed
        solver.parameters.num_workers = self.workers or DEFAULT_WORKERS
        if self.deterministic:
            # interleaved search is repeatable when stopped by deterministic time; the wall
            # clock only guards against a runaway (it would make the run unrepeatable)
            solver.parameters.interleave_search = True
            solver.parameters.max_deterministic_time = max(self.left(), 0.01)
            solver.parameters.max_time_in_seconds = WALL_GUARD * self.limit + 10.0
        else:
            # CP-SAT's parallel search is repeatable for a fixed seed and worker count when
            # it ends by proof, not by the time limit; it finds better plans in the same
            # time than interleaved search (measured at 2,000 children x 10,000 homes, 10 s:
            # 0.004-0.3% from the bound against 0.7%)
            solver.parameters.interleave_search = False
            solver.parameters.max_time_in_seconds = max(self.left(), 0.01)
        return solver

    def spend(self, solver: cp_model.CpSolver) -> None:
        """Count a finished solve's work against a deterministic budget."""
        self.spent += solver.response_proto.deterministic_time


_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "unknown",
    cp_model.UNKNOWN: "unknown",
}


def plan(
    children: Sequence[Child],
    snapshot: HomeSnapshot,
    communities: Communities,
    policy: Policy,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    keep: int = DEFAULT_KEEP,
    deterministic: bool = False,
) -> PlanResult:
    """Place every waiting child at once: most children first, then the best score.

    Parameters
    ----------
    children
        The waiting children; siblings share ``sibling_group``.
    snapshot, communities, policy
        The homes, community names and adjacency, and the matching policy.
    time_limit_s
        Wall-clock seconds for both solver stages together; with ``deterministic``, units
        of CP-SAT's deterministic time instead (on this project's 2-core benchmark machine
        one unit took about 3 s).
    seed, workers
        CP-SAT's random seed and worker count (default 8). The same input, seed and worker
        count give the same plan when the plan is proven optimal, and always with
        ``deterministic``.
    progress
        Called with a line of text at each improving solution.
    keep
        Candidate homes kept per child, best by score (kin homes always kept).
    deterministic
        Repeatable even when the time limit stops the search: CP-SAT's interleaved search,
        stopped by deterministic time. It finds somewhat worse plans in the same time.

    Returns
    -------
    PlanResult
        With ``method="cp-sat"``.
    """
    if time_limit_s <= 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s!r}")
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep!r}")
    started = time.perf_counter()
    say = progress or (lambda _: None)
    # the baseline (today's practice, made lawful) from every eligible home; the model keeps
    # each child's best homes and always the baseline's, so the baseline is one of its plans

    full = build_table(children, snapshot, communities, policy)
    baseline = lawful_baseline(full)
    floors = Floors.of(full, baseline)
    table, start = cut_table(full, keep, baseline)
    built = build_model(table)
    say(f"model: {len(table.children)} children, {len(built.place)} candidate pairs")

    def finished(
        status: str,
        chosen: dict[int, int],
        objective: int | None,
        bound: int | None,
        notes: tuple[Message, ...] = (),
    ) -> PlanResult:
        result = finish(table, "cp-sat", status, chosen, objective, bound, started, seed, notes)
        return with_baseline(result, full, baseline)

    # the solver stops early enough for the result to be explained within the time limit
    explain = max(FINISH_RESERVE_S, FINISH_RESERVE_PER_CHILD_S * len(table.children))
    reserve = 0.0 if deterministic else min(explain, 0.15 * time_limit_s)
    budget = _Budget(time_limit_s - reserve, deterministic, seed, workers, started)

    # never behind the baseline on the headline measures: the floors bind both stages
    built.hold_floors(floors)
    meets = partial(floors.met_by, table)
    # objective, stage 1: the most children placed, then the fewest groups split, starting
    # from the baseline (a hint: on large, dense instances the solver may
    # otherwise find no plan in the time limit)
    siblings_first = policy.plan_first == "sibling_groups_whole"
    if siblings_first:  # the policy asks for the most groups kept whole before the count
        built.model.maximize(built.whole_then_placed())
        weights = (built.per_group(), built.per_child())
    else:
        built.model.maximize(built.placed_then_whole())
        weights = (0, built.per_child())
    status1, chosen, _, _ = _solve_stage(
        built, start, "children placed", budget, say, meets, weights
    )
    if status1 == cp_model.UNKNOWN:  # no plan within the time limit: the baseline, no bound
        say("stage 1 found no plan in the time limit: the lawful baseline is returned")
        note = Message("plan.is_baseline")
        return finished("feasible", chosen, score_points(table, chosen), None, (note,))
    most = len(chosen)
    if siblings_first:
        held = sum(  # groups the first stage placed through their whole-group variable
            1
            for g, group in enumerate(table.groups)
            if any(
                all(c in chosen and built.option_of[c].get(p) == chosen[c] for c in group.members)
                for p in built.whole_homes[g]
            )
        )
        built.model.add(built.groups_whole() >= held)

    # objective, stage 2: with that many placed, the most score points; a split group's
    # extra homes cost the split penalty, more than anything one child gains from a home
    # of its own (the policy refuses less), so a group that must be split goes to the
    # fewest homes. (Holding the count by a dominating weight instead of this constraint
    # avoids a second presolve of a global sum, but measured worse at 2,000 children: the
    # solver lost the count.)
    built.model.add(built.placed() >= most)
    built.model.maximize(built.points())
    # (out of time before the solver's first plan: the first stage's plan moved toward the
    # linear relaxation, still lawful, with the solver's bound if it has one)
    status2, chosen, objective, bound = _solve_stage(
        built, chosen, "score", budget, say, meets, relax=True, presolve=False
    )
    both = status1 == cp_model.OPTIMAL and status2 == cp_model.OPTIMAL
    return finished("optimal" if both else "feasible", chosen, objective, bound)


def _solve_stage(
    built: Model,
    hint: dict[int, int],
    stage: str,
    budget: _Budget,
    say: Progress,
    meets: Callable[[dict[int, int]], bool],
    weights: tuple[int, int] = (0, 0),
    relax: bool = False,
    presolve: bool = True,
) -> tuple[Any, dict[int, int], int, int | None]:
    """Solve the model's current objective from a lawful placement; when the solution splits
    a sibling group that a home could still take whole, add that group's split rule and
    solve again.

    Returns (status, placement, objective, bound). The status is CP-SAT's; UNKNOWN when no
    lawful solution came from the solver in the time left, the placement then being the
    best lawful one known (the hint, its improvement toward the linear relaxation, or a
    solution with its unlawfully split groups moved whole), and the bound the tightest
    that a solve which found a solution proved, if any. A placement made outside the
    solver is used only when it ``meets`` the floors.
    """
    lawful = hint
    bound: int | None = None
    status: Any = cp_model.UNKNOWN
    # the first solve starts near the linear relaxation, when GLOP solves it in a third of
    # the time left (it is not worth more: the solver also starts from the first stage's plan)
    # (building the relaxation in Python takes about 1 s per 10,000 variables here: worth it
    # only with time to spare for the search that follows)
    lp_cost_s = len(built.model.proto.variables) / LP_VARIABLES_PER_S
    relax = relax and budget.left() > 3 * lp_cost_s
    relaxed = relaxed_values(built.model, budget.left() / 3) if relax else None
    if relaxed is not None:
        start = improved(built, hint, relaxed)
        if start is not None and meets(start):
            hint = lawful = start
        say(f"{stage}: the start moved toward the linear relaxation")
    elif not presolve:  # no time for the relaxation: each child toward their best home
        start = improved(built, hint, best_options(built))
        if start is not None and meets(start):
            hint = lawful = start
            say(f"{stage}: the start moved each child toward their best free home")
    while budget.left() > 0:
        built.hint(hint)
        solver = budget.solver()
        if not presolve:
            # the score stage starts from a complete, lawful plan: without presolve the
            # solver reports it at once and improves on it; with presolve (the floors and
            # the count are global sums) its first solution came after 6 s at 2,000
            # children x 10,000 homes, and a 10 s plan often had none (measured here)
            solver.parameters.cp_model_presolve = False
        solved = solver.solve(built.model, SolveProgress(stage, say, weights))
        budget.spend(solver)
        if solved not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break  # (a search stopped before its first solution reports no usable bound)
        # each solve's model holds more of the split rule than the last: a tighter bound
        found = math.floor(solver.best_objective_bound + 1e-6)
        bound = found if bound is None else min(bound, found)
        chosen = built.extract(solver)
        broken = built.split_while_room(chosen)
        if not broken:
            return solved, chosen, round(solver.objective_value), bound
        say(f"{stage}: {len(broken)} sibling groups split while a home had room: solving again")
        built.guard(broken)
        # start again from the solution with those groups moved whole, when that is lawful
        repaired = built.repair(chosen)
        if repaired is not None and meets(repaired):  # lawful, and near-optimal
            hint = lawful = repaired
            status = cp_model.FEASIBLE
        else:
            hint = chosen
    if status == cp_model.FEASIBLE:
        say(f"{stage}: out of time; the split groups were moved whole into the homes with room")
    return status, lawful, score_points(built.table, lawful), bound
