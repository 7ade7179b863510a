"""The report: disparity indices in context, suppression, JSON, CSV and the readable summary."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from outcomes import OutcomeReport, OutcomeSettings, evaluate
from tests.helpers.outcomes import NO_SUPPRESSION, PERIOD, History, day


def cell(
    report: OutcomeReport, key: str, breakdown: str = "overall", group: str = "all"
) -> dict[str, Any]:
    """The cell of one measure and group as a dict."""
    rows = report.cells
    row = rows[
        (rows["measure"] == key) & (rows["breakdown"] == breakdown) & (rows["group"] == group)
    ]
    values: dict[str, Any] = row.iloc[0].to_dict()
    return values


def entries_in(history: History, community: str, count: int, prefix: str) -> None:
    """``count`` children entering on day 10 from ``community``, reunified on day 100."""
    for i in range(count):
        child = f"{prefix}{i}"
        history.child(child)
        history.episode(child, 10, 100, "reunification", community=community)


def test_disparity_of_a_proportion_against_the_largest_group(history: History) -> None:
    """Permanency 2/2 (white) against 2/4 (black, the largest): DI 2 [0.751-5.329], RD 0.5."""
    for i in range(4):
        history.child(f"B{i}", race=("black",))
        history.episode(f"B{i}", 10, 100 if i < 2 else None, "reunification" if i < 2 else None)
    for i in range(2):
        history.child(f"W{i}", race=("white",))
        history.episode(f"W{i}", 10, 100, "reunification")
    report = evaluate(
        history.tables(), by=("race",), settings=NO_SUPPRESSION, trends=False, **PERIOD
    )
    assert report.references["race"] == "black"
    white = cell(report, "permanency_12m", "race", "white")
    assert white["di"] == pytest.approx(2.0)
    assert (round(white["di_low"], 3), round(white["di_high"], 3)) == (0.751, 5.329)
    assert white["rd"] == pytest.approx(0.5)
    assert cell(report, "permanency_12m", "race", "black")["di"] == pytest.approx(1.0)
    flipped = evaluate(
        history.tables(),
        by=("race",),
        settings=NO_SUPPRESSION.with_changes(reference={"race": "white"}),
        trends=False,
        **PERIOD,
    )
    assert cell(flipped, "permanency_12m", "race", "black")["di"] == pytest.approx(0.5)


def test_entry_disparity_and_disproportionality_by_community(history: History) -> None:
    """4 entries of 10,000 children (A) and 4 of 5,000 (B): DI 2; RDI 0.75 and 1.5."""
    entries_in(history, "A", 4, "A")
    entries_in(history, "B", 4, "B")
    report = evaluate(
        history.tables(), by=("community",), settings=NO_SUPPRESSION, trends=False, **PERIOD
    )
    assert report.references["community"] == "A"  # a tie goes to the first community
    b = cell(report, "entries_per_1000", "community", "B")
    assert b["di"] == pytest.approx(2.0)
    assert b["rdi"] == pytest.approx(1.5)
    assert cell(report, "entries_per_1000", "community", "A")["rdi"] == pytest.approx(0.75)


def test_small_cells_are_suppressed_with_their_complement(history: History) -> None:
    """B has 3 entries (hidden); A's 12 would reveal it from the total, so A is hidden too."""
    entries_in(history, "A", 12, "A")
    entries_in(history, "B", 3, "B")
    report = evaluate(history.tables(), by=("community",), trends=False, **PERIOD)
    b = cell(report, "entries_per_1000", "community", "B")
    a = cell(report, "entries_per_1000", "community", "A")
    assert b["suppressed"] and b["suppressed_reason"] == "small count"
    assert a["suppressed"] and a["suppressed_reason"] == "complementary"
    assert math.isnan(b["value"]) and math.isnan(b["numerator"]) and math.isnan(b["di"])
    overall = cell(report, "entries_per_1000")
    assert not overall["suppressed"] and overall["numerator"] == 15
    table = report.table("community")
    assert table.loc["Entries per 1,000 children", "Beta"] == "<11"
    group = next(
        g for g in report.to_json()["breakdowns"]["community"]["groups"] if g["group"] == "B"
    )
    assert group["measures"]["entries_per_1000"]["value"] is None
    assert group["measures"]["entries_per_1000"]["suppressed"] is True
    assert group["measures"]["entries_per_1000"]["disparity"]["index"] is None


def test_a_rate_is_suppressed_when_its_denominator_is_small(history: History) -> None:
    """Five entries, none reunified: 0 of 5 is hidden because the 5 is."""
    for i in range(5):
        history.child(f"C{i}")
        history.episode(f"C{i}", 10)
    report = evaluate(history.tables(), trends=False, **PERIOD)
    permanency = cell(report, "permanency_12m")
    assert permanency["suppressed"] and math.isnan(permanency["value"])


def test_threshold_is_configurable_and_small_counts_are_flagged_unreliable(
    history: History,
) -> None:
    """With --suppress-below 3, a count of 3 is shown but flagged unreliable."""
    entries_in(history, "A", 12, "A")
    entries_in(history, "B", 3, "B")
    settings = OutcomeSettings(suppress_below=3)
    report = evaluate(
        history.tables(), by=("community",), settings=settings, trends=False, **PERIOD
    )
    b = cell(report, "entries_per_1000", "community", "B")
    assert not b["suppressed"] and b["numerator"] == 3 and b["unreliable"]
    assert not cell(report, "entries_per_1000", "community", "A")["unreliable"]


def test_json_is_strict_and_has_the_documented_keys(history: History) -> None:
    """to_json has period, measures, overall, breakdowns, trends, notes and no NaN."""
    entries_in(history, "A", 12, "A")
    report = evaluate(history.tables(), by=("sex", "community"), **PERIOD)
    payload = report.to_json()
    json.dumps(payload, allow_nan=False)
    assert set(payload) == {
        "period",
        "suppress_below",
        "measures",
        "overall",
        "breakdowns",
        "trends",
        "notes",
    }
    assert payload["period"] == {"from": "2020-01-01", "to": "2020-12-30", "as_of": "2025-06-23"}
    assert payload["overall"]["entries_per_1000"]["numerator"] == 12
    assert payload["breakdowns"]["community"]["reference"] == "A"
    assert payload["trends"]["years"][0] == 2020
    assert "direction" in payload["trends"]
    assert len(payload["measures"]) == len(payload["overall"]) == 17


def test_csv_rows_hide_suppressed_values(history: History, tmp_path: Path) -> None:
    """The CSV has a header, the period cells then the trend, '<11' and empty for hidden cells."""
    entries_in(history, "A", 12, "A")
    entries_in(history, "B", 3, "B")
    report = evaluate(history.tables(), by=("community",), **PERIOD)
    path = report.write_csv(tmp_path / "out.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("section,year,breakdown,group,name,measure")
    hidden = [line for line in lines if ",community,B,Beta,entries_per_1000," in line]
    assert hidden and ",<11," in hidden[0] and ",True," in hidden[0]
    assert any(line.startswith("trend,2020,overall") for line in lines)


def test_summary_reads_as_a_report(history: History) -> None:
    """The summary names the period, the measures, the groups and the notes."""
    entries_in(history, "A", 12, "A")
    text = evaluate(history.tables(), by=("community",), **PERIOD).summary()
    assert text.startswith("outcomes 2020-01-01 to 2020-12-30")
    assert "Permanency in 12 months" in text and "by community" in text
    assert "trend by year" in text and "notes:" in text


def test_unknown_breakdown_and_reversed_period_are_refused(history: History) -> None:
    """evaluate names the bad breakdown and the choices; a period must not end before it starts."""
    entries_in(history, "A", 1, "A")
    with pytest.raises(
        ValueError, match=r"unknown breakdown 'colour'; choose from race, sex, age, community"
    ):
        evaluate(history.tables(), by=("colour",))
    with pytest.raises(ValueError, match="before it starts"):
        evaluate(history.tables(), start=day(10), end=day(5))


def test_same_input_gives_the_same_report(history: History) -> None:
    """Deterministic: two runs give identical JSON."""
    entries_in(history, "A", 12, "A")
    entries_in(history, "B", 4, "B")
    first = evaluate(history.tables(), by=("community", "race"), **PERIOD)
    second = evaluate(history.tables(), by=("community", "race"), **PERIOD)
    assert first.to_json() == second.to_json()
