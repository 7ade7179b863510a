"""Demand: entry rates, shrinkage, trend and Little's law on hand-built histories."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from recruitment import RecruitmentPolicy, compute_gaps
from recruitment.demand import project_demand
from recruitment.stats import km_restricted_mean, poisson_quantile
from tests.helpers.recruitment import build, communities, steady_entries


def test_constant_rates_give_littles_law(plain_policy: RecruitmentPolicy) -> None:
    """12 entries a year, each staying half a year, give a census of 12 x 0.5 = 6."""
    inputs = build(steady_entries("A", 12, stay_years=0.5), communities(("A", 1000)))
    demand = project_demand(inputs, plain_policy, 12)
    assert demand.parameters["trend_factor"] == pytest.approx(1.0)
    assert demand.entries_per_year.sum() == pytest.approx(12.0)
    assert demand.parameters["mean_stay_years"]["6-12"] == pytest.approx(0.5, abs=0.002)
    assert demand.census.sum() == pytest.approx(6.0, abs=0.02)
    row = compute_gaps(inputs, plain_policy).rows("all").iloc[0]
    assert row["census"] == pytest.approx(6.0, abs=0.02)
    assert row["need_children"] == poisson_quantile(0.9, 6.0)
    scale = plain_policy.choice_factor / plain_policy.usable_share
    assert row["need_homes"] == pytest.approx(poisson_quantile(0.9, 6.0) * scale, rel=1e-3)


def test_scenario_shares_scale_the_census(plain_policy: RecruitmentPolicy) -> None:
    """Family share 0.8 and kin share 0.25 leave 0.8 x 0.75 of the census to recruit for."""
    inputs = build(steady_entries("A", 12, stay_years=0.5), communities(("A", 1000)))
    policy = replace(plain_policy, family_share=0.8, kin_share=0.25)
    row = compute_gaps(inputs, policy).rows("all").iloc[0]
    assert row["census"] == pytest.approx(6.0 * 0.8 * 0.75, abs=0.02)


def test_community_with_no_entries_is_pulled_up_not_zero(plain_policy: RecruitmentPolicy) -> None:
    """A community with no entries gets a small positive rate, below the city rate."""
    episodes = steady_entries("A", 20) + steady_entries("B", 20)
    inputs = build(episodes, communities(("A", 4000), ("B", 4000), ("Z", 300)))
    demand = project_demand(inputs, plain_policy, 12)
    city = 40 / 8300
    assert demand.raw_rate[2] == 0.0
    assert 0.0 < demand.rate[2] < city
    assert demand.entries_per_year[2].sum() > 0.0


def test_shrinkage_moves_small_communities_most(plain_policy: RecruitmentPolicy) -> None:
    """A small community with a high rate moves toward the city rate; a large one hardly moves."""
    episodes = (
        steady_entries("big", 400)  # 4 per 1,000 children a year
        + steady_entries("small", 3)  # 10 per 1,000
        + steady_entries("c", 100)
        + steady_entries("d", 150)
    )
    areas = communities(("big", 100_000), ("small", 300), ("c", 50_000), ("d", 50_000))
    demand = project_demand(build(episodes, areas), plain_policy, 12)
    city = demand.parameters["city_entry_rate_per_1000"] / 1000
    raw, shrunk = demand.raw_rate, demand.rate
    assert raw[1] == pytest.approx(0.01)
    assert abs(shrunk[1] - city) < 0.5 * abs(raw[1] - city)  # most of the way to the city
    assert shrunk[0] == pytest.approx(raw[0], rel=0.02)  # the large one barely moves


def test_sudden_rise_shows_in_the_projection(plain_policy: RecruitmentPolicy) -> None:
    """Tripled entries in the last year raise the projection above the 5-year mean."""
    flat = steady_entries("A", 10, years=4)
    recent = [e for e in steady_entries("A", 30, years=1)]
    for e in flat:  # move the four flat years one year back
        e["removed_on"] = e["removed_on"].replace(year=e["removed_on"].year - 1)
        if e["discharged_on"] is not None:
            e["discharged_on"] = e["discharged_on"].replace(year=e["discharged_on"].year - 1)
    rising = build(flat + recent, communities(("A", 10_000)))
    steady = build(steady_entries("A", 14), communities(("A", 10_000)))
    up = project_demand(rising, plain_policy, 12).entries_per_year.sum()
    level = project_demand(steady, plain_policy, 12).entries_per_year.sum()
    assert level == pytest.approx(14.0)
    assert up > 14.0 * 1.2  # well above the mean of the five years (70 / 5 = 14)
    assert up < 30.0 * plain_policy.max_trend_factor


def test_censored_stays_use_kaplan_meier(plain_policy: RecruitmentPolicy) -> None:
    """Stays of two years, the recent ones still open, give a mean stay of two years."""
    inputs = build(steady_entries("A", 12, stay_years=2.0), communities(("A", 1000)))
    demand = project_demand(inputs, plain_policy, 12)
    # a third of the cohort is still in care: dropping them would not bias KM, but
    # counting them as exits on as_of would pull the mean well below 2
    assert demand.parameters["mean_stay_years"]["all"] == pytest.approx(2.0, abs=0.01)


def test_km_restricted_mean_by_hand() -> None:
    """Exits at 0.5, 2, 3 and a censored stay at 1 give an area of 2.0 years under S(t)."""
    assert km_restricted_mean([0.5, 1.0, 2.0, 3.0], [True, False, True, True], 5.0) == 2.0
    assert km_restricted_mean([0.5, 1.0, 2.0, 3.0], [True, False, True, True], 1.0) == 0.875


def test_poisson_quantile_matches_the_definition() -> None:
    """The quantile is the smallest k with P(X <= k) >= p, exact below 60."""
    assert poisson_quantile(0.9, np.array([0.0, 1.0, 6.0])).tolist() == [0.0, 2.0, 9.0]
    assert poisson_quantile(0.5, 100.0) == pytest.approx(100.0, abs=1.0)
