"""The disparity formulas (README, "Outcomes") on numbers worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from outcomes import (
    disproportionality_index,
    rate_ratio,
    ratio_of_means,
    ratio_of_proportions,
    risk_difference,
)


def test_ratio_of_proportions_with_katz_interval() -> None:
    """20/100 against 10/100: DI 2, interval exp(ln 2 ± 1.96·√0.13) = 0.987 to 4.055."""
    index, low, high = ratio_of_proportions(20, 100, 10, 100)
    assert float(index) == pytest.approx(2.0)
    se = math.sqrt(1 / 20 - 1 / 100 + 1 / 10 - 1 / 100)
    assert float(low) == pytest.approx(math.exp(math.log(2) - 1.96 * se))
    assert (round(float(low), 3), round(float(high), 3)) == (0.987, 4.055)


def test_poisson_rate_ratio_interval() -> None:
    """30 events in 1,000 days against 15 in 1,000: RR 2, interval 1.076 to 3.717."""
    index, low, high = rate_ratio(30, 1000, 15, 1000)
    assert float(index) == pytest.approx(2.0)
    assert (round(float(low), 3), round(float(high), 3)) == (1.076, 3.717)


def test_risk_difference_with_wald_interval() -> None:
    """0.20 - 0.10 = 0.10, standard error 0.05, interval 0.002 to 0.198."""
    diff, low, high = risk_difference(20, 100, 10, 100)
    assert (float(diff), float(low), float(high)) == pytest.approx((0.1, 0.002, 0.198))


def test_disproportionality_index_is_share_over_share() -> None:
    """30 of 100 entries from 20% of the children: 1.5; 70 from 80%: 0.875."""
    assert disproportionality_index([30, 70], [1000, 4000]).tolist() == pytest.approx([1.5, 0.875])


def test_zero_counts_give_nan_not_errors() -> None:
    """A zero in the group: index 0 without an interval; a zero reference: undefined."""
    index, low, high = ratio_of_proportions(np.array([0, 5]), 100, 0, 100)
    assert np.isnan(index).all() and np.isnan(low).all() and np.isnan(high).all()
    index, low, high = ratio_of_proportions(0, 100, 5, 100)
    assert float(index) == 0.0 and np.isnan(low) and np.isnan(high)


def test_ratio_of_means_with_delta_method_interval() -> None:
    """Mean 6 (sd 2, n 25) against mean 4 (sd 2, n 16): 1.5, interval 1.136 to 1.980."""
    ratio, low, high = ratio_of_means(6.0, 2.0, 25, 4.0, 2.0, 16)
    assert float(ratio) == pytest.approx(1.5)
    se = math.sqrt(4 / (25 * 36) + 4 / (16 * 16))
    assert float(high) == pytest.approx(1.5 * math.exp(1.96 * se))
    assert (round(float(low), 3), round(float(high), 3)) == (1.136, 1.98)


def test_ratio_of_means_without_enough_values_has_no_interval() -> None:
    """One value in a group: the ratio, but no interval; a zero reference mean: undefined."""
    ratio, low, high = ratio_of_means(np.array([3.0, 5.0]), 0.0, np.array([1, 30]), 4.0, 1.0, 20)
    assert ratio.tolist() == pytest.approx([0.75, 1.25])
    assert np.isnan(low[0]) and np.isnan(high[0]) and low[1] < 1.25 < high[1]
    ratio, low, high = ratio_of_means(3.0, 1.0, 10, 0.0, 0.0, 10)
    assert np.isnan(ratio) and np.isnan(low) and np.isnan(high)
