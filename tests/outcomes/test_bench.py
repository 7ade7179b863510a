"""The synthetic agency of the benchmark is seeded, exact in size and valid input."""

from __future__ import annotations

import pandas as pd

from outcomes.bench import synthetic_tables, time_outcomes


def test_same_seed_same_records_and_exact_size() -> None:
    """Two builds with one seed are identical and hold exactly the placements asked for."""
    first = synthetic_tables(3_000, communities=20, seed=5)
    second = synthetic_tables(3_000, communities=20, seed=5)
    assert len(first.placements) == 3_000
    pd.testing.assert_frame_equal(first.placements, second.placements)
    pd.testing.assert_frame_equal(first.episodes, second.episodes)


def test_timing_reports_the_figures_of_the_bench_section() -> None:
    """time_outcomes returns the sizes and seconds the bench prints."""
    figures = time_outcomes(5_000, seed=1)
    assert figures["placements"] == 5_000
    assert figures["years"] == 15
    assert set(figures) >= {"placements", "episodes", "children", "runtime_s", "build_s"}


def test_groups_add_up_to_the_overall_figure() -> None:
    """On a synthetic agency, each breakdown's numerators and denominators sum to the overall."""
    from outcomes import BREAKDOWNS, OutcomeSettings, evaluate

    tables = synthetic_tables(20_000, communities=15, seed=2)
    report = evaluate(
        tables, by=BREAKDOWNS, settings=OutcomeSettings(suppress_below=1), trends=False
    )
    cells = report.cells
    additive = cells[~cells["measure"].isin(["entries_per_1000"])]
    overall = additive[additive["breakdown"] == "overall"].set_index("measure")
    for breakdown in BREAKDOWNS:
        sums = (
            additive[additive["breakdown"] == breakdown]
            .groupby("measure")[["numerator", "denominator"]]
            .sum()
        )
        for key, row in sums.iterrows():
            assert row["numerator"] == overall.loc[key, "numerator"], (breakdown, key)
            assert row["denominator"] == overall.loc[key, "denominator"], (breakdown, key)
    entries = cells[cells["measure"] == "entries_per_1000"]
    assert (
        entries[entries["breakdown"] == "community"]["numerator"].sum()
        == (entries[entries["breakdown"] == "overall"]["numerator"].iloc[0])
    )
