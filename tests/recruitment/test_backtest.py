"""Backtest: project from one horizon ago and compare with what happened."""

from __future__ import annotations

import pytest

from recruitment import RecruitmentPolicy, backtest
from tests.recruitment.conftest import build, communities, steady_entries


def test_steady_history_is_projected_closely(plain_policy: RecruitmentPolicy) -> None:
    """With constant entries and stays the projection meets what happened, inside its interval."""
    episodes = steady_entries("A", 24, years=7, stay_years=0.5) + steady_entries(
        "B", 48, years=7, stay_years=0.5
    )
    result = backtest(build(episodes, communities(("A", 2000), ("B", 4000))), plain_policy)
    per = result.per_community.set_index("community")
    assert per.loc["A", "need_observed"] == pytest.approx(12.0, abs=0.2)
    assert per.loc["A", "need_projected"] == pytest.approx(12.0, rel=0.05)
    assert per.loc["B", "need_projected"] == pytest.approx(24.0, rel=0.05)
    assert per.loc["B", "entries_observed"] == 48
    assert result.mae_need < 1.0
    assert result.coverage == 1.0


def test_a_rise_after_the_cutoff_shows_as_error(plain_policy: RecruitmentPolicy) -> None:
    """Entries that triple after the cut-off are under-projected, and the error says so."""
    before = [e for e in steady_entries("A", 12, years=7) if (e["removed_on"].year < 2025)]
    after = steady_entries("A", 36, years=1)
    result = backtest(build(before + after, communities(("A", 2000))), plain_policy)
    assert result.observed_entries_total == 36
    assert result.projected_entries_total < 20
    assert result.mae_entries > 16


def test_backtest_json_is_aggregate_only(plain_policy: RecruitmentPolicy) -> None:
    """The published backtest names no community and no child: only aggregate errors."""
    episodes = steady_entries("A", 24, years=7)
    payload = backtest(build(episodes, communities(("A", 2000))), plain_policy).to_json()
    assert set(payload) >= {
        "mae_need_per_community",
        "interval_coverage",
        "mae_entries_per_community",
    }
    assert "A" not in str(payload.values()).replace("'", " ").split()


def test_backtest_refuses_a_bad_horizon(plain_policy: RecruitmentPolicy) -> None:
    """A horizon below one month is refused with the allowed range."""
    inputs = build(steady_entries("A", 12), communities(("A", 2000)))
    with pytest.raises(ValueError, match=">= 1"):
        backtest(inputs, plain_policy, horizon_months=-3)
