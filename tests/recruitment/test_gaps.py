"""Gaps: sibling tiers, unmet demand from matching, suppression, targets and determinism."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import recruitment
from recruitment import RecruitmentPolicy, compute_gaps, suppress
from recruitment.stats import poisson_quantile
from tests.helpers.recruitment import build, communities, days_back, home, steady_entries


def _unmet(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def test_sibling_groups_need_homes_with_enough_beds(plain_policy: RecruitmentPolicy) -> None:
    """Children in groups of three need a third as many homes, all in the 3-bed tier."""
    inputs = build(steady_entries("A", 12, stay_years=0.5, group_size=3), communities(("A", 1000)))
    row = compute_gaps(inputs, plain_policy).rows("all").iloc[0]
    scale = plain_policy.choice_factor / plain_policy.usable_share
    assert row["need_homes"] == pytest.approx(poisson_quantile(0.9, 6.0) / 3 * scale, rel=1e-3)
    assert row["need_tier3"] == pytest.approx(row["need_homes"])
    assert row["need_tier2"] == pytest.approx(row["need_homes"])
    assert row["need_tier4"] == 0.0


def test_gap_target_and_inquiries(plain_policy: RecruitmentPolicy) -> None:
    """Gap = need - (homes - closures + pipeline); target rounds up; inquiries divide by conversion."""
    homes = [home("A", licensed_on=pd.Timestamp("2016-01-01").date()) for _ in range(3)]
    inputs = build(steady_entries("A", 12), communities(("A", 1000)), homes)
    row = compute_gaps(inputs, plain_policy).rows("all").iloc[0]
    assert row["closures"] == 0.0  # no closure ever seen: no hazard
    assert row["supply"] == 3.0
    assert row["gap"] == pytest.approx(row["need_homes"] - 3.0)
    assert row["target_homes"] == np.ceil(round(row["gap"], 1))
    assert row["gap_low"] < row["gap"] < row["gap_high"]
    assert np.isnan(row["inquiries"])  # no applicants: the conversion is unknown


def test_unmet_demand_from_matching_is_counted_in(plain_policy: RecruitmentPolicy) -> None:
    """Teenagers no home qualifies for add homes to the need, with the binding rule named."""
    areas = communities(("A", 1000))
    episodes = steady_entries("A", 12)
    unmet = _unmet(
        [
            {
                "community": "A",
                "age": 15,
                "group_size": 2,
                "needs": "",
                "language": "en",
                "rule": "age_range",
                "children": 1,
            },
            {
                "community": "A",
                "age": 14,
                "group_size": 2,
                "needs": "",
                "language": "en",
                "rule": "age_range",
                "children": 1,
            },
            {
                "community": "A",
                "age": 16,
                "group_size": 1,
                "needs": "behavioral",
                "language": "en",
                "rule": "needs",
                "children": 1,
            },
        ]
    )
    before = compute_gaps(build(episodes, areas), plain_policy)
    after = compute_gaps(build(episodes, areas, unmet=unmet), plain_policy)
    scale = plain_policy.choice_factor / plain_policy.usable_share
    added = after.rows("all").iloc[0]["need_homes"] - before.rows("all").iloc[0]["need_homes"]
    assert added == pytest.approx((1 / 2 + 1 / 2 + 1) * scale)  # two homes: a pair and one teen
    teens = after.rows("age:13-17").iloc[0]
    assert teens["unmet_children"] == 3
    assert teens["binding_rule"] == "age_range"
    assert after.rows("needs:behavioral").iloc[0]["binding_rule"] == "needs"
    assert after.rows("age:0-5").iloc[0]["binding_rule"] is None


def test_small_cells_are_suppressed(plain_policy: RecruitmentPolicy) -> None:
    """Counts of 1 to 10 children hide every figure made from children, but not the homes."""
    areas = communities(("A", 1000), ("B", 1000))
    episodes = steady_entries("A", 12) + steady_entries("B", 1)  # B: 5 children in 5 years
    unmet = _unmet(
        [
            {
                "community": "A",
                "age": 9,
                "group_size": 1,
                "needs": "",
                "language": "en",
                "rule": "radius",
                "children": 2,
            }
        ]
    )
    policy = replace(plain_policy, suppression_threshold=10)
    result = compute_gaps(build(episodes, areas, [home("B")], unmet=unmet), policy)
    a, b = result.rows("all").iloc[0], result.rows("all").iloc[1]
    assert not a["suppressed"] and b["suppressed"]
    assert np.isnan(b["gap"]) and np.isnan(b["census"]) and np.isnan(b["entries_history"])
    assert b["homes"] == 1  # homes are not children
    assert b["partners"] == []
    assert np.isnan(a["unmet_children"])  # 2 waiting children: too few to publish
    assert a["binding_rule"] == "radius"
    document = json.dumps(result.to_json())
    assert '"suppressed": true' in document
    shown = {r["community"]: r for r in result.to_json("all")["gaps"]}
    assert shown["B"]["gap"] is None and shown["B"]["homes"] == 1


def test_threshold_zero_suppresses_nothing(plain_policy: RecruitmentPolicy) -> None:
    """With a threshold of 0 every figure is published."""
    table = pd.DataFrame(
        {
            c: [3.0]
            for c in recruitment.gaps.COLUMNS
            if c not in ("community", "name", "segment", "binding_rule", "suppressed")
        }
    ).assign(community="A", name="A", segment="all", binding_rule="radius", suppressed=False)
    assert not suppress(table, 0)["suppressed"].any()
    assert suppress(table, 3)["suppressed"].all()
    assert suppress(table, 2)["suppressed"].sum() == 0


def test_no_history_at_all_gives_zero_need(plain_policy: RecruitmentPolicy) -> None:
    """An area without entries needs no homes, and its homes show as spare."""
    result = compute_gaps(build([], communities(("A", 1000)), [home("A")]), plain_policy)
    row = result.rows("all").iloc[0]
    assert row["need_homes"] == 0.0 and row["gap"] == -1.0 and row["target_homes"] == 0.0


def test_own_community_target_shares_need_with_neighbours(plain_policy: RecruitmentPolicy) -> None:
    """With a 60% own-community target, 40% of A's census is placed in its one neighbour."""
    areas = communities(("A", 1000), ("B", 1000))
    policy = replace(plain_policy, own_community_target=0.6)
    inputs = build(steady_entries("A", 12), areas, neighbours={"A": {"B"}, "B": {"A"}})
    placed = compute_gaps(inputs, policy).rows("all")["census"].to_numpy()
    own_a, own_b = compute_gaps(inputs, plain_policy).rows("all")["census"].to_numpy()
    assert placed[0] == pytest.approx(0.6 * own_a + 0.4 * own_b)
    assert placed[1] == pytest.approx(0.6 * own_b + 0.4 * own_a)


def test_bad_parameters_are_refused_with_a_clear_message(plain_policy: RecruitmentPolicy) -> None:
    """A horizon below 1 and an unknown segment are refused, naming what is allowed."""
    inputs = build(steady_entries("A", 12), communities(("A", 1000)))
    with pytest.raises(ValueError, match="horizon_months must be a whole number of months >= 1"):
        compute_gaps(inputs, plain_policy, horizon_months=0)
    with pytest.raises(ValueError, match=r"unknown segment 'teens'; expected \"all\""):
        compute_gaps(inputs, plain_policy, segments=["teens"])
    with pytest.raises(ValueError, match="names age twice"):
        compute_gaps(inputs, plain_policy, segments=["age:0-5,age:6-12"])
    with pytest.raises(ValueError, match="was not computed"):
        compute_gaps(inputs, plain_policy).rows("age:0-5,siblings:2")


def test_combined_segments_can_be_asked_for(plain_policy: RecruitmentPolicy) -> None:
    """A combined segment is computed on request and filters children and homes together."""
    episodes = steady_entries("A", 12, age=15, group_size=3) + steady_entries("A", 12, age=3)
    homes = [home("A", age_min=11, capacity=3, max_siblings=3), home("A", age_min=11)]
    result = compute_gaps(
        build(episodes, communities(("A", 5000)), homes),
        plain_policy,
        segments=["age:13-17,siblings:3+"],
    )
    row = result.rows("age:13-17,siblings:3+").iloc[0]
    assert row["homes"] == 1
    assert row["census"] == pytest.approx(result.rows("siblings:3+").iloc[0]["census"])


def test_same_input_same_result(plain_policy: RecruitmentPolicy) -> None:
    """The engine is deterministic: the same input gives the same JSON."""
    episodes = steady_entries("A", 12) + steady_entries("B", 30, language="es")
    areas = communities(("A", 1000), ("B", 3000))
    one = compute_gaps(build(episodes, areas, [home("A")]), plain_policy).to_json()
    two = compute_gaps(build(episodes, areas, [home("A")]), plain_policy).to_json()
    assert one == two


def test_summary_lists_largest_gaps_first(plain_policy: RecruitmentPolicy) -> None:
    """The table view starts with the largest gap."""
    episodes = steady_entries("A", 12) + steady_entries("B", 60)
    result = compute_gaps(build(episodes, communities(("A", 1000), ("B", 1000))), plain_policy)
    largest = result.largest(3)
    assert largest["gap"].is_monotonic_decreasing
    assert largest.iloc[0]["community"] == "B"
    assert result.summary().splitlines()[3].startswith("Area B (B)")


def test_csv_has_every_column(plain_policy: RecruitmentPolicy, tmp_path: Path) -> None:
    """The CSV has a header with every column and one line per row."""
    result = compute_gaps(build(steady_entries("A", 12), communities(("A", 1000))), plain_policy)
    text = result.to_csv(tmp_path / "gaps.csv")
    lines = (tmp_path / "gaps.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == [*recruitment.gaps.COLUMNS, "partners"]
    assert len(lines) == len(result.table) + 1 and text.count("\n") == len(lines)


def test_rows_count_the_homes_that_say_yes(plain_policy: RecruitmentPolicy) -> None:
    """A home that took a placement or accepted an offer in the 12 months before the day is
    accepting; one that last said yes two years ago, or never, is not."""
    said_yes = [days_back(0.5), days_back(2.0), None, days_back(0.1)]
    homes = [home("A", last_accepted_on=day) for day in said_yes]
    inputs = build(steady_entries("A", 12), communities(("A", 1000)), homes)
    gaps = compute_gaps(inputs, plain_policy)
    row = gaps.rows("all").iloc[0]
    assert (row["homes"], row["accepting_homes"], row["not_accepting_homes"]) == (4, 2, 2)
    total = gaps.totals.loc[gaps.totals["segment"] == "all"].iloc[0]
    assert (total["accepting_homes"], total["not_accepting_homes"]) == (2, 2)
