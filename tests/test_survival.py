"""Kaplan-Meier on the textbook 6-MP leukaemia data (Gehan 1965; Kleinbaum & Klein, ch. 2)."""

from __future__ import annotations

import pytest

from core.survival import kaplan_meier

# weeks in remission of the 21 patients on 6-MP; 0 marks a censored remission
WEEKS = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
RELAPSED = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def test_survival_matches_the_textbook_table() -> None:
    """S(t) at each relapse time equals the published 0.857, 0.807, 0.753, ... 0.448."""
    curve = kaplan_meier(WEEKS, RELAPSED)
    assert list(curve.times) == [6, 7, 10, 13, 16, 22, 23]
    assert list(curve.at_risk) == [21, 17, 15, 12, 11, 7, 6]
    assert curve.survival.round(3).tolist() == [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]


def test_median_is_the_first_time_at_or_below_one_half() -> None:
    """The 6-MP median remission is 23 weeks."""
    assert kaplan_meier(WEEKS, RELAPSED).median() == 23.0


def test_restricted_mean_is_the_area_under_the_curve() -> None:
    """Restricted mean to 35 weeks = 23.29 weeks (the step areas summed)."""
    expected = 6 + 0.857142857 * 1 + 0.806722689 * 3 + 0.752941176 * 3
    expected += 0.690196078 * 3 + 0.627450980 * 6 + 0.537815126 * 1 + 0.448179272 * 12
    assert kaplan_meier(WEEKS, RELAPSED).restricted_mean(35) == pytest.approx(expected)
    assert expected == pytest.approx(23.287, abs=1e-3)


def test_median_not_reached_and_horizon_beyond_follow_up_are_none() -> None:
    """Few exits: no median; a horizon past the longest follow-up: no restricted mean."""
    curve = kaplan_meier([5, 10, 20], [1, 0, 0])
    assert curve.median() is None
    assert curve.restricted_mean(21) is None
    assert curve.restricted_mean(20) == pytest.approx(5 + 2 / 3 * 15)


def test_empty_and_bad_input() -> None:
    """No stays gives an empty curve; a negative time is refused."""
    assert kaplan_meier([], []).median() is None
    with pytest.raises(ValueError, match="non-negative"):
        kaplan_meier([-1], [1])
