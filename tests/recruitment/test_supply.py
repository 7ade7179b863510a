"""Supply: conversion rates, closure hazards by tenure and the homes counted per segment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from recruitment import RecruitmentPolicy, closure_hazard, compute_gaps, conversion_rates
from recruitment.supply import project_supply
from tests.helpers.recruitment import AS_OF, build, communities, days_back, home, steady_entries


def _stages(**counts: int) -> pd.Series:
    return pd.Series([s for s, n in counts.items() for _ in range(n)], dtype="str")


def test_conversion_rates_with_known_withdrawal_stages() -> None:
    """Moved on / (moved on + withdrew there), with applicants still at a stage censored."""
    stages = _stages(inquiry=10, application=5, training=3, home_study=2, licensed=20, withdrawn=60)
    origin = pd.Series(
        [None] * 40
        + ["inquiry"] * 40
        + ["application"] * 10
        + ["training"] * 5
        + ["home_study"] * 5,
        dtype="str",
    )
    rates = conversion_rates(stages, origin)
    assert rates == pytest.approx([50 / 90, 35 / 45, 27 / 32, 20 / 25])


def test_unknown_withdrawals_are_shared_by_who_waits_where() -> None:
    """With everyone waiting at inquiry, withdrawals of unknown stage count there."""
    rates = conversion_rates(_stages(inquiry=5, licensed=10, withdrawn=30))
    assert rates == pytest.approx([10 / 40, 1.0, 1.0, 1.0])
    assert math.prod(rates) == pytest.approx(0.25)


def test_conversion_without_finishers_is_unknown() -> None:
    """A stage nobody has finished has no estimate (NaN), never a made-up one."""
    rates = conversion_rates(_stages(inquiry=4))
    assert np.isnan(rates).all()


def test_closure_hazard_by_tenure_year() -> None:
    """4 of 10 homes close at half a year: 4 closures over 8 home-years in the first year."""
    homes = pd.DataFrame(
        [home("A", licensed_on=days_back(3.0), closed_on=days_back(2.5)) for _ in range(4)]
        + [home("A", licensed_on=days_back(3.0)) for _ in range(6)]
    )
    typed = build([], communities(("A", 100)), homes.to_dict("records")).homes
    rates, closures, exposure = closure_hazard(typed, pd.Timestamp(AS_OF), 5, 4)
    assert closures.tolist() == [4.0, 0.0, 0.0, 0.0]
    assert exposure[0] == pytest.approx(8.0, abs=0.01)
    assert rates[0] == pytest.approx(0.5, abs=0.001)
    assert rates[1] == 0.0


def test_closure_hazard_is_left_truncated_at_the_window() -> None:
    """A home licensed long before the window adds exposure only from the window's start."""
    homes = [home("A", licensed_on=days_back(8.0), closed_on=days_back(1.0))]
    typed = build([], communities(("A", 100)), homes).homes
    rates, closures, exposure = closure_hazard(typed, pd.Timestamp(AS_OF), 5, 3)
    assert exposure.sum() == pytest.approx(4.0, abs=0.01)  # tenure 3 to 7, in the last band
    assert closures.tolist() == [0.0, 0.0, 1.0]
    assert rates[2] == pytest.approx(0.25, abs=0.001)


def test_expected_closures_follow_the_hazard(plain_policy: RecruitmentPolicy) -> None:
    """A new home facing a yearly rate of 0.5 closes within the year with 1 - exp(-0.5)."""
    history = [home("A", licensed_on=days_back(3.0), closed_on=days_back(2.5)) for _ in range(4)]
    history += [home("A", licensed_on=days_back(3.0), closed_on=days_back(1.5)) for _ in range(6)]
    fresh = home("A", licensed_on=days_back(0.0))
    inputs = build(steady_entries("A", 12), communities(("A", 1000)), [*history, fresh])
    supply = project_supply(inputs, plain_policy, 12)
    assert len(supply.homes) == 1
    rate0 = supply.closure_rates[0]
    assert rate0 == pytest.approx(4 / 8, abs=0.002)
    assert supply.homes["close_p"].iloc[0] == pytest.approx(1 - math.exp(-rate0), abs=1e-6)


def test_kin_and_closed_homes_are_not_supply(plain_policy: RecruitmentPolicy) -> None:
    """Only open non-kin homes count, and a home counts for the segments it can take."""
    homes = [
        home("A", kind="kin"),
        home("A", status="closed", closed_on=None),
        home("A", age_min=0, age_max=5, capacity=3, max_siblings=3),
        home("A", age_min=13, age_max=17, capacity=1, max_siblings=1, languages="en;es"),
    ]
    inputs = build(steady_entries("A", 12), communities(("A", 1000)), homes)
    result = compute_gaps(inputs, plain_policy, segments=["language:es", "siblings:3+"])
    homes_of = {s: result.rows(s)["homes"].iloc[0] for s in result.segments}
    assert homes_of["all"] == 2
    assert homes_of["age:0-5"] == 1
    assert homes_of["age:13-17"] == 1
    assert homes_of["siblings:3+"] == 1
    assert homes_of["language:es"] == 1
    row = result.rows("all").iloc[0]
    assert row["homes_tier2"] == 1 and row["homes_tier3"] == 1 and row["homes_tier4"] == 0


def test_pipeline_counts_applicants_by_their_chance(plain_policy: RecruitmentPolicy) -> None:
    """Applicants in progress add their chance of a licence; teen-only ones skip infants."""
    applicants = pd.DataFrame(
        [
            {
                "community": "A",
                "stage": "home_study",
                "stage_on": days_back(0.1),
                "interests": "teens",
                "languages": "en",
            },
            {
                "community": "A",
                "stage": "inquiry",
                "stage_on": days_back(0.1),
                "interests": "",
                "languages": "en",
            },
        ]
        + [
            {
                "community": "A",
                "stage": "licensed",
                "stage_on": days_back(1),
                "interests": "",
                "languages": "en",
            }
        ]
        * 3
        + [
            {
                "community": "A",
                "stage": "withdrawn",
                "stage_on": days_back(1),
                "interests": "",
                "languages": "en",
            }
        ]
        * 3
    )
    inputs = build(steady_entries("A", 12), communities(("A", 1000)), applicants=applicants)
    result = compute_gaps(inputs, plain_policy)
    supply = project_supply(inputs, plain_policy, 12)
    p = dict(zip(supply.applicants["stage"], supply.applicants["licence_p"], strict=True))
    assert result.rows("all")["pipeline"].iloc[0] == pytest.approx(p["home_study"] + p["inquiry"])
    assert result.rows("age:0-5")["pipeline"].iloc[0] == pytest.approx(p["inquiry"])
    assert result.rows("age:13-17")["pipeline"].iloc[0] == pytest.approx(
        p["home_study"] + p["inquiry"]
    )
