"""Replay a window of the records under each policy: :func:`replay` -> :class:`ReplayResult`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from matching import Policy
from replay.hindsight import hindsight
from replay.history import History
from replay.metrics import metrics, waiting_each_day
from replay.objective import DAYS_TO_LOSE_THE_CREDIT, objective
from replay.policies import ONLINE, DayPolicy, Nightly, follow_records
from replay.world import Stay, World

__all__ = ["ASSUMPTIONS", "POLICIES", "ReplayResult", "Run", "UnknownPolicy", "replay", "simulate"]

POLICIES = ("greedy", "rank", "plan", "hindsight")

ASSUMPTIONS = (
    "Children enter care on their recorded removal dates and leave on their recorded "
    "discharge dates, whatever the policy: a different placement is assumed not to change "
    "how long a child stays in care.",
    "Children living in a family home when the window opens stay there until they leave "
    "care; children waiting in a shelter, group home or institution then wait for a family "
    "from the first day.",
    "A home takes children from its licence date until the day it closes; a relative's "
    "home takes the children it is named for throughout; a hold recorded today is not "
    "known for the past, so holds are ignored.",
    "A home's beds are its licensed capacity; a placement holds a bed from its day until "
    "the child leaves care, and a child placed with a family is not moved again.",
    "A policy looks again on a day when a child arrives, a bed is freed or a home opens, and "
    "only at the waiting children with a home that could take them and has a free bed.",
    "Every placement is valued by the engine's own score for that child in that home on "
    "that day; eligibility and the ICWA order are the engine's rules on that day.",
    f"The objective counts, per child placed with a family, the sum of the policy's weights "
    f"plus the engine's score, minus 1/{DAYS_TO_LOSE_THE_CREDIT} of that sum per day waited, "
    "plus the plan's 'siblings together' points per sibling group placed whole.",
    "The hindsight optimum knows every arrival and exit in advance; it chooses among each "
    "child's candidate homes on their day of entry and every placement a replayed policy "
    "made, so it is at least as good as each policy replayed with it.",
    "Race and ethnicity are read only by the equity rows, never by a policy.",
)


class UnknownPolicy(ValueError):
    """A policy name that is not one of :data:`POLICIES`."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")


@dataclass(frozen=True)
class Run:
    """One policy's placements over the window, and what they came to."""

    name: str
    stays: tuple[Stay, ...]
    objective: int
    runtime_s: float
    status: str | None = None  # hindsight: CP-SAT's optimal or feasible
    bound: int | None = None  # hindsight: the proven bound on the objective

    @property
    def gap(self) -> float | None:
        """(bound - objective) / objective, for the hindsight optimum."""
        if self.bound is None:
            return None
        return max(self.bound - self.objective, 0) / max(1, self.objective)


@dataclass(frozen=True)
class ReplayResult:
    """Every replayed policy's run, the recorded history's, and the assumptions."""

    history: History
    policy: Policy
    runs: Mapping[str, Run]
    recorded: Run | None = None
    assumptions: tuple[str, ...] = ASSUMPTIONS
    moves_recorded: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def share_of_hindsight(self, run: Run) -> float | None:
        """The run's objective as a % of the hindsight optimum's (None without one)."""
        best = self.runs.get("hindsight")
        if best is None or best.objective <= 0:
            return None
        return round(100.0 * run.objective / best.objective, 1)

    def metrics(self, run: Run) -> dict[str, Any]:
        moves = self.moves_recorded if run is self.recorded else None
        return metrics(self.history, run.stays, run.objective, moves=moves)

    def to_json(self) -> dict[str, Any]:
        """The replay JSON (docs/replay.md)."""
        h = self.history
        policies = []
        for run in self.runs.values():
            row: dict[str, Any] = {
                "name": run.name,
                "metrics": self.metrics(run),
                "pct_of_hindsight": self.share_of_hindsight(run),
                "runtime_s": round(run.runtime_s, 2),
                "waiting_by_day": waiting_each_day(h, run.stays),
            }
            if run.status is not None:
                gap = run.gap
                row.update(
                    status=run.status, bound=run.bound, gap=None if gap is None else round(gap, 6)
                )
            policies.append(row)
        recorded = None
        if self.recorded is not None:
            recorded = {
                "metrics": self.metrics(self.recorded),
                "pct_of_hindsight": self.share_of_hindsight(self.recorded),
                "waiting_by_day": waiting_each_day(h, self.recorded.stays),
            }
        return {
            "from": h.start.isoformat(),
            "to": h.end.isoformat(),
            "days": h.days,
            "entries": sum(1 for a in h.arrivals if a.entered),
            "waiting_at_start": sum(1 for a in h.arrivals if not a.entered),
            "living_in_homes_at_start": len(h.residents),
            "homes": len(h.homes),
            "assumptions": list(self.assumptions),
            "policies": policies,
            "recorded": recorded,
            **self.extra,
        }

    def summary(self) -> str:
        """The metrics side by side, one column per policy (and the recorded history)."""
        runs = list(self.runs.values()) + ([self.recorded] if self.recorded else [])
        names = [r.name for r in runs]
        table = {r.name: self.metrics(r) for r in runs}
        h = self.history
        lines = [
            f"replay {h.start} .. {h.end} ({h.days} days): "
            f"{sum(a.entered for a in h.arrivals)} children entered care, "
            f"{sum(not a.entered for a in h.arrivals)} were waiting at the start",
            "",
            f"{'measure':<28}" + "".join(f"{n:>14}" for n in names),
        ]
        for key in next(iter(table.values())) if table else []:
            cells = "".join(f"{_cell(table[n][key]):>14}" for n in names)
            lines.append(f"{key:<28}{cells}")
        shares = "".join(f"{_cell(self.share_of_hindsight(r)):>14}" for r in runs)
        lines.append(f"{'% of hindsight optimum':<28}{shares}")
        lines.append(f"{'runtime s':<28}" + "".join(f"{r.runtime_s:>14.1f}" for r in runs))
        best = self.runs.get("hindsight")
        if best is not None:
            gap = "no bound" if best.gap is None else f"proven gap {best.gap:.2%}"
            lines.append(f"hindsight: {best.status}, {gap}")
        return "\n".join(lines)


def _cell(value: Any) -> str:
    return "n/a" if value is None else str(value)


def simulate(history: History, policy: Policy, day_policy: DayPolicy, name: str) -> Run:
    """Walk the window day by day under one policy."""
    started = time.perf_counter()
    world = World(history, policy)
    for day in world.days():
        changed = world.begin(day)
        day_policy(world, day, changed)
    stays = tuple(sorted(world.stays, key=lambda s: s.child_id))
    return Run(
        name, stays, objective(history.arrivals, stays, policy), time.perf_counter() - started
    )


def replay(
    history: History,
    policy: Policy,
    policies: Sequence[str] = POLICIES,
    *,
    recorded: Mapping[str, tuple[str, date]] | None = None,
    moves_recorded: int | None = None,
    night_limit_s: float = 1.0,
    hindsight_limit_s: float = 60.0,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReplayResult:
    """Replay ``history`` under each named policy (``hindsight`` last, whatever the order).

    Parameters
    ----------
    recorded
        Child id -> (home id, day) of the recorded first family placement in the window:
        the recorded history, replayed beside the policies when given.
    moves_recorded
        The recorded placement changes of the children entering in the window.
    night_limit_s
        The plan's time limit each night, in seconds.
    hindsight_limit_s
        The hindsight optimum's time limit, in seconds.
    seed, workers
        CP-SAT's seed and worker count (plan and hindsight).

    Raises
    ------
    UnknownPolicy
        A name not in :data:`POLICIES`.
    """
    for name in policies:
        if name not in POLICIES:
            raise UnknownPolicy(name)
    say = progress or (lambda _: None)
    online: dict[str, DayPolicy] = {
        **ONLINE,
        "plan": Nightly(time_limit_s=night_limit_s, seed=seed, workers=workers),
    }
    runs: dict[str, Run] = {}
    for name in dict.fromkeys(policies):
        if name != "hindsight":
            say(f"replaying {name}")
            runs[name] = simulate(history, policy, online[name], name)
    recorded_run = None
    if recorded is not None:
        recorded_run = simulate(history, policy, follow_records(recorded), "recorded")
    if "hindsight" in policies:
        say("solving the hindsight optimum")
        # (not the recorded history: it moved children the replay keeps in place, so its
        # placements need not fit the replay's beds)
        known = [r.stays for r in runs.values()]
        best = hindsight(
            history, policy, known, time_limit_s=hindsight_limit_s, seed=seed, workers=workers
        )
        runs["hindsight"] = Run(
            "hindsight", best.stays, best.objective, best.runtime_s, best.status, best.bound
        )
    assumptions = (
        *ASSUMPTIONS,
        f"The plan has {night_limit_s:g} s each night; the hindsight optimum "
        f"{hindsight_limit_s:g} s in all.",
    )
    return ReplayResult(history, policy, runs, recorded_run, assumptions, moves_recorded)
