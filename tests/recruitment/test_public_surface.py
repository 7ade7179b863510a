"""The public surface is deliberate, and the benchmark helper runs (timings are not asserted)."""

from __future__ import annotations

import recruitment
from recruitment.bench import synthetic_inputs, time_gaps

PUBLIC = {
    "BacktestResult", "GapResult", "MapText", "PolicyError", "RecruitmentInputs", "RecruitmentPolicy",
    "Segment", "TableError", "backtest", "closure_hazard", "compute_gaps", "conversion_rates",
    "gap_geojson", "load_recruitment_policy", "parse_segment", "suppress", "svg_map",
}  # fmt: skip


def test_all_is_the_public_surface() -> None:
    """__all__ lists exactly the public names, and each exists."""
    assert set(recruitment.__all__) == PUBLIC
    assert all(hasattr(recruitment, name) for name in PUBLIC)


def test_bench_section_shape() -> None:
    """time_gaps returns the keys of README, "Recruitment gaps" on a small synthetic area."""
    figures = time_gaps(communities=40, years=5, seed=3, repeat=1)
    assert figures["communities"] == 40 and figures["runtime_s"] > 0
    assert figures["rows"] == 40 * figures["segments"]


def test_synthetic_area_is_deterministic() -> None:
    """The same seed gives the same synthetic tables."""
    a, b = synthetic_inputs(30, 5, seed=7), synthetic_inputs(30, 5, seed=7)
    assert a.episodes.equals(b.episodes) and a.homes.equals(b.homes)
    assert not a.episodes.equals(synthetic_inputs(30, 5, seed=8).episodes)
