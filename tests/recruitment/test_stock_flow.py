"""Stock and flow: today's children in care plus the entries to come, on histories with known answers."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from recruitment import RecruitmentPolicy, compute_gaps
from recruitment.demand import project_demand
from recruitment.stats import km_survival
from tests.helpers.recruitment import AS_OF, build, communities, days_back, steady_entries

GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def exponential_quantiles(count: int, mean_years: float) -> np.ndarray:
    """``count`` stays of an exponential distribution, at evenly spread quantiles."""
    u = (np.arange(count) + 0.5) / count
    return -mean_years * np.log1p(-u)


def exponential_history(
    community: str, count: int, mean_years: float, first: float, last: float
) -> list[dict[str, Any]]:
    """``count`` entries evenly spread from ``first`` to ``last`` years back, exponential stays.

    The stays are exponential quantiles in a low-discrepancy order (golden-ratio steps), so
    that long and short stays are spread over the entry dates; a stay not over by AS_OF is
    still in care (censored).
    """
    rows = []
    for i in range(count):
        back = last + (first - last) * (i + 0.5) / count
        u = ((i + 0.5) * GOLDEN) % 1.0
        stay = -mean_years * math.log1p(-u)
        removed = days_back(back)
        discharged = removed + timedelta(days=round(stay * 365.25))
        rows.append(
            {
                "community": community,
                "removed_on": removed,
                "discharged_on": discharged if discharged <= AS_OF else None,
                "age": 8,
                "group_size": 1,
                "needs": "",
                "language": "en",
            }
        )
    return rows


def test_exponential_curve_has_closed_form_survival() -> None:
    """Exponential stays (mean 1.5 years): S(d + h) / S(d) = exp(-h / 1.5) at any d, tail too."""
    stays = exponential_quantiles(20_000, 1.5)
    curve = km_survival(stays, np.ones(len(stays), dtype=bool), min_at_risk=200)
    elapsed = np.array([0.0, 0.5, 2.0, 4.0, 12.0])  # 12 years is far beyond the steps
    assert curve.tail_from < 12.0
    assert curve.conditional(elapsed, 1.0) == pytest.approx(np.exp(-1.0 / 1.5), rel=0.01)
    # the mean chance an entry made during a year is still in care at its end
    assert curve.area(1.0) == pytest.approx(1.5 * -math.expm1(-1.0 / 1.5), rel=0.001)


def test_survival_curve_by_hand() -> None:
    """Exits at 0.5, 2, 3 and a stay censored at 1: S = 3/4, then 3/8, then 0 (as the KM mean)."""
    curve = km_survival([0.5, 1.0, 2.0, 3.0], [True, False, True, True], min_at_risk=1)
    assert curve([0.25, 0.5, 1.5, 2.0, 2.5, 3.0, 9.0]).tolist() == [
        1,
        0.75,
        0.75,
        0.375,
        0.375,
        0,
        0,
    ]
    assert curve.area(5.0) == pytest.approx(2.0)  # km_restricted_mean's answer
    assert curve.conditional([1.0, 2.5, 4.0], 1.0).tolist() == [0.5, 0.0, 0.0]


def test_nobody_seen_leaving_stays() -> None:
    """With every stay still open, nobody is known to leave: S is 1 throughout."""
    curve = km_survival([0.5, 1.0], [False, False])
    assert curve.conditional([0.0, 3.0], 1.0).tolist() == [1.0, 1.0]
    assert curve.area(2.0) == 2.0


@pytest.mark.parametrize("horizon_months", [12, 6])
def test_stock_without_entries_follows_exponential_survival(
    plain_policy: RecruitmentPolicy, horizon_months: int
) -> None:
    """No entry in the last year (so none projected): the census is the stock x exp(-h / mean).

    2,000 children entered one to five years ago with exponential stays of mean 1.5 years;
    those still in care on AS_OF (censored stays) are the stock. Exponential stays have no
    memory: each is still in care after h more years with probability exp(-h / 1.5),
    however long they have been in care already.
    """
    episodes = exponential_history("A", 2000, 1.5, first=5.0, last=1.0)
    policy = replace(plain_policy, history_years=1)  # the window holds no entry
    demand = project_demand(build(episodes, communities(("A", 10_000))), policy, horizon_months)
    stock = sum(e["discharged_on"] is None for e in episodes)
    h = horizon_months / 12.0
    assert demand.entries_per_year.sum() == 0.0
    assert demand.in_care.sum() == stock
    assert demand.entry_census.sum() == 0.0
    assert demand.census.sum() == pytest.approx(stock * math.exp(-h / 1.5), rel=0.03)
    assert demand.steady_state.sum() == 0.0  # Little's law sees no entries, so no census


def test_no_stock_gives_entries_times_mean_in_care_share(plain_policy: RecruitmentPolicy) -> None:
    """Nobody in care today: the census is the entries x (1/h) x integral of S over h.

    Entries 24 a year until 0.3 years ago, each staying a quarter of a year: S is 1 up to
    0.25 and 0 after, so an entry in the coming year is still in care at its end with mean
    probability 0.25 (over a half-year horizon: 0.5).
    """
    episodes = [
        e for e in steady_entries("A", 24, stay_years=0.25) if e["removed_on"] <= days_back(0.3)
    ]
    for e in episodes:
        e["discharged_on"] = e["removed_on"] + timedelta(days=round(0.25 * 365.25))
    inputs = build(episodes, communities(("A", 1000)))
    stay = round(0.25 * 365.25) / 365.25
    for months, share in ((12, stay), (6, stay / 0.5)):
        demand = project_demand(inputs, plain_policy, months)
        entries = demand.entries_per_year.sum() * months / 12.0
        assert demand.in_care.sum() == 0 and demand.stock_census.sum() == 0.0
        assert entries > 0.0
        assert demand.census.sum() == pytest.approx(entries * share, rel=1e-9)


def test_censored_stays_are_not_exits(plain_policy: RecruitmentPolicy) -> None:
    """Stays of two years, the last two years' still open: today's 24 in care, 12 remain.

    Of the 24 children in care (censored stays), those in care under a year will still be
    in care a year from now (12), the others will have left; the 12 entries of the coming
    year all stay past its end: 24 in all, as Little's law (12 a year x 2 years) says for
    this steady history. Counting the open stays as exits today would lose most of them.
    """
    inputs = build(steady_entries("A", 12, stay_years=2.0), communities(("A", 1000)))
    demand = project_demand(inputs, plain_policy, 12)
    assert demand.in_care.sum() == 24
    assert demand.stock_census.sum() == pytest.approx(12.0)
    assert demand.entry_census.sum() == pytest.approx(12.0)
    assert demand.census.sum() == pytest.approx(24.0)
    assert demand.steady_state.sum() == pytest.approx(24.0, abs=0.05)


def test_gaps_use_the_policys_projection(plain_policy: RecruitmentPolicy) -> None:
    """The gaps' census is the stock-flow one by default, Little's law when the policy says so."""
    episodes = exponential_history("A", 2000, 1.5, first=5.0, last=1.0)
    inputs = build(episodes, communities(("A", 10_000)))
    policy = replace(plain_policy, history_years=1)
    demand = project_demand(inputs, policy, 12)
    stock_flow = compute_gaps(inputs, policy).rows("all").iloc[0]
    steady = compute_gaps(inputs, replace(policy, projection="steady_state")).rows("all").iloc[0]
    assert stock_flow["census"] == pytest.approx(demand.stock_flow.sum())
    scale = policy.choice_factor / policy.usable_share
    assert stock_flow["need_low"] < stock_flow["census"] * scale < stock_flow["need_high"]
    assert steady["census"] == 0.0


def test_children_in_care_from_before_the_window_count_for_suppression(
    plain_policy: RecruitmentPolicy,
) -> None:
    """Three children in care since before the history window make B's census: B is hidden."""
    old = steady_entries("B", 1, years=3, stay_years=None)
    for e in old:
        e["removed_on"] -= timedelta(days=round(6 * 365.25))  # entered 6 to 9 years ago
    episodes = steady_entries("A", 24) + old
    inputs = build(episodes, communities(("A", 1000), ("B", 1000)))
    policy = replace(plain_policy, suppression_threshold=10)
    b = compute_gaps(inputs, policy).rows("all").iloc[1]
    assert b["suppressed"] and np.isnan(b["census"])
    steady = compute_gaps(inputs, replace(policy, projection="steady_state")).rows("all").iloc[1]
    assert not steady["suppressed"]  # Little's law does not use them: nothing of theirs shown
