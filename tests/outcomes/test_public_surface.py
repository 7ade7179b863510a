"""The public surface of outcomes is deliberate: a change to it is a visible diff here."""

from __future__ import annotations

import outcomes


def test_all_is_locked() -> None:
    """outcomes.__all__ lists exactly these names, and each exists."""
    assert outcomes.__all__ == [
        "BREAKDOWNS",
        "MEASURES",
        "KaplanMeier",
        "Measure",
        "OutcomeInputError",
        "OutcomeReport",
        "OutcomeSettings",
        "OutcomeTables",
        "default_period",
        "disproportionality_index",
        "evaluate",
        "kaplan_meier",
        "load_settings",
        "race_ethnicity",
        "rate_ratio",
        "ratio_of_means",
        "ratio_of_proportions",
        "risk_difference",
    ]
    for name in outcomes.__all__:
        assert hasattr(outcomes, name)
