"""Properties of replays over generated small histories: no policy beats the hindsight
optimum, and every run passes solver-free checks of beds, windows and single placements."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replay import Arrival, History, ReplayHome, Resident, Run, replay
from tests.helpers.town import Town

START = date(2026, 3, 1)
DAYS = 10
TOWN = Town()


def day(n: int) -> date:
    return START + timedelta(days=n)


@st.composite
def histories(draw: st.DrawFn) -> History:
    """Up to 3 homes and 5 children (maybe a sibling pair) arriving over 10 days, some
    leaving again, with up to 2 children living in the homes at the start."""
    homes = []
    for j in range(draw(st.integers(1, 3))):
        capacity = draw(st.integers(1, 2))
        built = TOWN.home(
            f"H{j}",
            km=draw(st.sampled_from([1.0, 4.0, 12.0])),
            capacity=capacity,
            free_beds=capacity,
            age_max=draw(st.sampled_from([None, 10])),
            capabilities=frozenset({"medical"}) if draw(st.booleans()) else frozenset(),
            community=draw(st.sampled_from(["A", "B", "C"])),
        )
        licensed = draw(st.sampled_from([day(-100), day(-100), day(3)]))
        closed = draw(st.sampled_from([None, None, day(6)]))
        homes.append(ReplayHome(built, licensed_on=licensed, closed_on=closed))
    arrivals = []
    for i in range(draw(st.integers(1, 5))):
        ready = draw(st.integers(0, DAYS - 1))
        stay = draw(st.sampled_from([None, None, 1, 3]))
        arrivals.append(
            Arrival(
                TOWN.child(
                    f"C{i}",
                    needs=frozenset({"medical"}) if draw(st.booleans()) else frozenset(),
                    sibling_group="G" if i < 2 and draw(st.booleans()) else None,
                ),
                date(2014, 6, 1) if draw(st.booleans()) else date(2019, 6, 1),
                ready_on=day(ready),
                leaves_on=None if stay is None else day(ready + stay),
            )
        )
    residents = [
        Resident(f"R{k}", homes[k % len(homes)].home.id, leaves_on=day(draw(st.integers(1, 8))))
        for k in range(draw(st.integers(0, 2)))
    ]
    return History(START, day(DAYS - 1), homes, arrivals, residents, TOWN.communities)


def violations(history: History, run: Run) -> list[str]:
    """Every way a run breaks the replay's bookkeeping, checked without the engine: a child
    placed twice, before they needed a family or after they left, a home over its beds."""
    found: list[str] = []
    ready = {a.id: a for a in history.arrivals}
    ids = [s.child_id for s in run.stays]
    if len(ids) != len(set(ids)):
        found.append("a child placed twice")
    closes = history.end + timedelta(days=1)
    for s in run.stays:
        a = ready[s.child_id]
        if not a.ready_on <= s.on <= history.end or (a.leaves_on and s.on >= a.leaves_on):
            found.append(f"{s.child_id} placed on {s.on}, outside their time in care")
    capacity = {h.home.id: h.home.capacity for h in history.homes}
    for n in range(history.days):
        today = day(n)
        load: dict[str, int] = {}
        for r in history.residents:
            if r.leaves_on is None or r.leaves_on > today:
                load[r.home_id] = load.get(r.home_id, 0) + 1
        for s in run.stays:
            leaves = ready[s.child_id].leaves_on or closes
            if s.on <= today < leaves:
                load[s.home_id] = load.get(s.home_id, 0) + 1
        for home_id, n_children in load.items():
            # (a home may start over-full with its residents; a policy never adds to that)
            living = sum(
                1
                for r in history.residents
                if r.home_id == home_id and (r.leaves_on is None or r.leaves_on > today)
            )
            if n_children > max(capacity[home_id], living):
                found.append(f"{home_id} holds {n_children} on {today}")
    return found


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_no_policy_beats_the_hindsight_optimum(history: History) -> None:
    """The hindsight objective is at least every replayed policy's, and each run is lawful
    by the solver-free checks."""
    result = replay(history, TOWN.policy, night_limit_s=2.0, hindsight_limit_s=10.0)
    best = result.runs["hindsight"]
    for name, run in result.runs.items():
        assert run.objective <= best.objective, name
        assert violations(history, run) == [], name


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_the_same_history_gives_the_same_replay(history: History) -> None:
    """Replaying the same history twice with the same seed gives the same placements (one
    CP-SAT worker: parallel workers may return different optima of equal value)."""
    policies = ("greedy", "rank", "hindsight")
    first = replay(history, TOWN.policy, policies, seed=3, workers=1, hindsight_limit_s=10.0)
    again = replay(history, TOWN.policy, policies, seed=3, workers=1, hindsight_limit_s=10.0)
    for name in first.runs:
        assert first.runs[name].stays == again.runs[name].stays, name
