"""The engine's public surface is deliberate, and the benchmark helper runs (timings are not asserted)."""

from __future__ import annotations

import matching
from matching.bench import CHICAGO_BOX, time_rank

PUBLIC = {
    "FACTORS",
    "RULES",
    "Candidate",
    "Child",
    "Communities",
    "Context",
    "Decline",
    "Eligibility",
    "Factor",
    "FactorScore",
    "HardRule",
    "Home",
    "HomeSnapshot",
    "InputError",
    "NearMiss",
    "Pairing",
    "PlacedSibling",
    "Policy",
    "PolicyError",
    "RankResult",
    "PlacementRequest",
    "Scores",
    "Weights",
    "eligibility",
    "factor_named",
    "language_name",
    "load_policy",
    "rank",
    "rule_named",
    "score",
    "Assignment",
    "PlanResult",
    "Unplaced",
    "Violation",
    "Waiting",
    "greedy",
    "plan",
    "validate",
}


def test_the_public_names_are_exactly_these() -> None:
    """matching.__all__ is the locked list, and every name in it exists."""
    assert set(matching.__all__) == PUBLIC
    assert all(hasattr(matching, name) for name in matching.__all__)


def test_input_errors_are_value_errors() -> None:
    """Callers may catch ValueError for any bad input or policy."""
    assert issubclass(matching.InputError, ValueError)
    assert issubclass(matching.PolicyError, ValueError)


def test_the_rank_benchmark_runs_on_a_small_instance() -> None:
    """time_rank returns plausible figures for a few requests over a few hundred homes."""
    timings = time_rank(300, 5, box=CHICAGO_BOX, seed=1)
    figures = timings.to_json()
    assert figures["homes"] == 300 and figures["requests"] == 5
    assert 0 < timings.median_ms <= timings.p95_ms
    assert timings.mean_candidates > 0
