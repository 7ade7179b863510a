"""The equity audit of a plan: known answers on small hand-built plans, suppression, records."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from api.services.equity import equity_audit, plan_equity, read_equity_records
from tests.helpers.equity import (
    THRESHOLD,
    assignment,
    twelve_and_twelve_plan,
    twelve_and_twelve_records,
)


def _row(audit: dict[str, Any], dimension: str, group: str) -> dict[str, Any]:
    return next(r for r in audit["rows"] if r["dimension"] == dimension and r["group"] == group)


def test_known_percentages_distances_and_ratios() -> None:
    """Twelve and twelve: placed 75% vs 50%, own 66.7% vs 50%, 2.0 vs 5.0 km, ratios to Black."""
    audit = equity_audit(twelve_and_twelve_plan(), twelve_and_twelve_records(), threshold=THRESHOLD)
    black, white = _row(audit, "race", "black"), _row(audit, "race", "white")
    assert audit["reference"]["race"] == "black"  # a tie at 12: the first in label order
    assert (black["children"], white["children"]) == (12, 12)
    assert (black["placed_pct"], white["placed_pct"]) == (75.0, 50.0)
    assert (black["own_community_pct"], white["own_community_pct"]) == (66.7, 50.0)
    assert (black["mean_distance_km"], white["mean_distance_km"]) == (2.0, 5.0)
    assert (black["kin_pct"], white["kin_pct"]) == (11.1, 33.3)
    assert (black["siblings_whole_pct"], white["siblings_whole_pct"]) == (50.0, 0.0)
    assert white["ratio"]["placed_pct"][0] == pytest.approx(0.667, abs=1e-3)
    assert white["ratio"]["own_community_pct"][0] == 0.75
    assert white["ratio"]["mean_distance_km"][0] == 2.5
    assert white["ratio"]["kin_pct"][0] == 3.0
    assert black["ratio"]["placed_pct"] == [1.0, None, None]  # the reference itself
    assert white["baseline"]["placed_pct"] == 75.0 and black["baseline"]["placed_pct"] == 50.0
    assert white["baseline"]["mean_distance_km"] == 3.0
    assert black["baseline"]["mean_distance_km"] == 2.25
    # baseline own community: White 6 of 9 against Black 3 of 6
    assert white["baseline"]["ratio"]["own_community_pct"][0] == pytest.approx(1.333)


def test_intervals_contain_the_ratio() -> None:
    """Every shown ratio with an interval lies inside it."""
    audit = equity_audit(twelve_and_twelve_plan(), twelve_and_twelve_records(), threshold=THRESHOLD)
    intervals = 0
    for row in audit["rows"]:
        for cell in (row, row["baseline"]):
            for value, low, high in (cell or {}).get("ratio", {}).values():
                if low is not None:
                    assert low <= value <= high
                    intervals += 1
    assert intervals > 10


def test_small_groups_are_suppressed() -> None:
    """The 5 Asian and 3 unknown children: suppressed, every figure null, plan and baseline."""
    audit = equity_audit(twelve_and_twelve_plan(), twelve_and_twelve_records(), threshold=THRESHOLD)
    for group in ("asian", "unknown"):
        row = _row(audit, "race", group)
        assert row["suppressed"] and row["suppressed_reason"] == "small count"
        assert row["children"] is None and row["placed_pct"] is None and row["ratio"] == {}
        assert row["baseline"]["placed_pct"] is None
    # the overall figures are not small: shown
    assert audit["plan"]["children"] == 32 and audit["plan"]["placed"] == 20


def test_one_small_group_hides_the_next_smallest_too() -> None:
    """Only the 5 Asian children small: the total would give them away, so the smaller of
    Black and White (a tie: Black, first in label order) is hidden too."""
    plan = twelve_and_twelve_plan()
    plan["unplaced"] = [u for u in plan["unplaced"] if not u["child_id"].startswith("U")]
    audit = equity_audit(plan, twelve_and_twelve_records(), threshold=THRESHOLD)
    assert _row(audit, "race", "asian")["suppressed_reason"] == "small count"
    assert _row(audit, "race", "black")["suppressed_reason"] == "complementary"
    white = _row(audit, "race", "white")
    assert white["children"] == 12 and white["ratio"] == {}  # its reference is hidden


def test_reference_is_the_largest_group() -> None:
    """Sex: 17 male against 15 female, so male is the reference."""
    audit = equity_audit(twelve_and_twelve_plan(), twelve_and_twelve_records(), threshold=THRESHOLD)
    assert audit["reference"] == {"race": "black", "sex": "male", "age": "6-12"}
    assert _row(audit, "sex", "male")["ratio"]["placed_pct"] == [1.0, None, None]


def test_spread_is_max_minus_min_over_shown_groups() -> None:
    """Race, placed %: 75 - 50 = 25 under the plan, 75 - 50 = 25 under the baseline."""
    audit = equity_audit(twelve_and_twelve_plan(), twelve_and_twelve_records(), threshold=THRESHOLD)
    assert audit["spread"]["race"]["placed_pct"] == {"plan": 25.0, "baseline": 25.0}
    assert audit["spread"]["race"]["mean_distance_km"] == {"plan": 3.0, "baseline": 0.75}
    assert audit["spread"]["age"]["placed_pct"]["plan"] is None  # only one group shown


def test_plan_stored_before_the_new_keys() -> None:
    """No own_community: taken from the records; no baseline_assignments: baseline null."""
    audit = equity_audit(
        twelve_and_twelve_plan(with_keys=False), twelve_and_twelve_records(), threshold=THRESHOLD
    )
    assert audit["baseline"] is None
    assert all(r["baseline"] is None for r in audit["rows"])
    assert audit["spread"]["race"]["placed_pct"]["baseline"] is None
    # homes H1.. are in no known community: nobody placed in their own community,
    # except the Asian children, whose homes HA1.. are unknown as well
    assert _row(audit, "race", "black")["own_community_pct"] == 0.0


def test_own_community_from_the_home_and_the_removal_community() -> None:
    """A home in the removal community counts as own community when the plan does not say."""
    records = twelve_and_twelve_records()
    plan = {
        "method": "cp-sat",
        "assignments": [
            assignment(f"B{i:02d}", "HA" if i <= 8 else "HB", 1.0, own=None) for i in range(1, 13)
        ],
        "unplaced": [],
        "summary": {},
    }
    audit = equity_audit(plan, records, threshold=THRESHOLD)
    assert audit["plan"]["own_community_pct"] == pytest.approx(66.7)


def test_a_whole_waiting_list_below_the_threshold_is_suppressed() -> None:
    """Three waiting children: nothing is shown, not even the overall figures."""
    plan = {"method": "cp-sat", "assignments": [], "unplaced": [{"child_id": "U1"}]}
    audit = equity_audit(plan, twelve_and_twelve_records(), threshold=THRESHOLD)
    assert audit["plan"]["suppressed"] and audit["plan"]["children"] is None
    assert all(r["suppressed"] for r in audit["rows"])


def test_children_without_records_are_counted_not_guessed() -> None:
    """A plan naming a child the records no longer hold: left out, and counted."""
    plan = twelve_and_twelve_plan()
    plan["unplaced"].append({"child_id": "GONE"})
    audit = equity_audit(plan, twelve_and_twelve_records(), threshold=THRESHOLD)
    assert audit["children_without_records"] == 1 and audit["plan"]["children"] == 32


def test_records_are_read_as_of_the_planning_date(api_engine: Engine) -> None:
    """The small agency: C2 (Black and White) is two or more races, male, 9 years old."""
    with Session(api_engine) as session:
        records = read_equity_records(session, ["C2", "C3"], {"H1"}, date(2026, 10, 31))
    c2 = records.children.loc["C2"]
    assert (c2["race"], c2["sex"], c2["age"], c2["sibling_group_id"]) == (
        "two_or_more",
        "male",
        "6-12",
        "G1",
    )
    assert c2["removal_community_id"] is not None
    # C3 is Hispanic (any race); her stay ended in 2023, so no open stay on the date
    c3 = records.children.loc["C3"]
    assert c3["race"] == "hispanic" and pd.isna(c3["removal_community_id"])
    assert records.home_communities["H1"] is not None


def test_plan_equity_reads_and_audits(api_engine: Engine) -> None:
    """One waiting child: every cell suppressed, the date recorded."""
    plan = {
        "method": "cp-sat",
        "assignments": [assignment("C2", "H1", 5.6, own=None)],
        "unplaced": [],
    }
    with Session(api_engine) as session:
        audit = plan_equity(session, plan, as_of=date(2026, 10, 31), threshold=THRESHOLD)
    assert audit["as_of"] == "2026-10-31" and audit["plan"]["suppressed"]
    assert [r["group"] for r in audit["rows"]] == ["two_or_more", "male", "6-12"]


def test_a_greedy_plan_carries_no_baseline() -> None:
    """A greedy plan's empty baseline_assignments (with no baseline summary) is no baseline."""
    plan = {**twelve_and_twelve_plan(), "method": "greedy", "baseline": None}
    plan["baseline_assignments"] = []
    assert equity_audit(plan, twelve_and_twelve_records(), threshold=THRESHOLD)["baseline"] is None
    plan["baseline"] = {"children": 32, "placed": 0}  # a baseline that placed nobody
    audit = equity_audit(plan, twelve_and_twelve_records(), threshold=THRESHOLD)
    assert audit["baseline"]["placed"] == 0
