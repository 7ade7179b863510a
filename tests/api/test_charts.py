"""The outcome pages' charts: what is drawn and what is not, the words given, the SVG that the
pages' Content-Security-Policy lets through, and the same bytes for the same figures."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from api.pages.charts import (
    Interval,
    Pair,
    PairPanel,
    Panel,
    Series,
    interval_chart,
    line_chart,
    paired_dot_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
YEARS = (2020, 2021, 2022, 2023)


def _group(svg: str, element_id: str) -> ElementTree.Element | None:
    root = ElementTree.fromstring(svg)
    return next((e for e in root.iter() if e.get("id") == element_id), None)


def _texts(svg: str) -> list[str]:
    root = ElementTree.fromstring(svg)
    return [e.text or "" for e in root.iter(f"{SVG}text")]


def _trend(lang_words: tuple[str, str, str]) -> str:
    title, x_label, y_label = lang_words
    return line_chart(
        "trend-test",
        title,
        x_label,
        y_label,
        YEARS,
        (
            Series("permanency_12m", "Permanency", (30.0, None, 35.5, 40.0)),  # 2021 suppressed
            Series("reentry_12m", "Re-entry", (None, None, 8.0, 9.0)),
        ),
    )


def test_a_line_marks_every_value_it_has_and_no_suppressed_one() -> None:
    """Each line has one marker per value given and none for a year given as None."""
    svg = _trend(("Trend", "Year", "% of children"))
    permanency = _group(svg, "trend-test-line-permanency_12m")
    reentry = _group(svg, "trend-test-line-reentry_12m")
    assert permanency is not None and reentry is not None
    assert len(list(permanency.iter(f"{SVG}use"))) == 3
    assert len(list(reentry.iter(f"{SVG}use"))) == 2


def test_the_axes_and_the_title_are_in_the_words_given() -> None:
    """Title, axis labels and legend are text in the page's language, years as tick labels."""
    spanish = _texts(_trend(("Evolución", "Año", "% de niños")))
    assert {"Evolución", "Año", "% de niños", "Permanency", "2020", "2023"} <= set(spanish)
    assert "Year" not in spanish
    assert "Year" in _texts(_trend(("Trend", "Year", "% of children")))


def test_the_svg_obeys_the_pages_policy_and_names_itself() -> None:
    """No style element or attribute (the CSP forbids inline style), no metadata, every id
    prefixed with the chart's, references rewritten; a title labels the image."""
    svg = _trend(("Trend", "Year", "% of children"))
    assert "<style" not in svg and " style=" not in svg and "metadata" not in svg
    root = ElementTree.fromstring(svg)
    assert root.get("id") == "trend-test" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "trend-test-title"
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert all(i is not None and i.startswith("trend-test") for i in ids)
    for reference in re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg):
        target = reference[0] or reference[1]
        assert target in ids
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Trend"


def test_the_same_figures_give_the_same_bytes() -> None:
    """Drawn twice afresh (lists are never kept), the SVG is identical: no date, fixed salt."""
    series = [Series("a", "A", [1.0, 2.0, None, 4.0])]
    first = line_chart("same-bytes", "T", "x", "y", list(YEARS), series)
    second = line_chart("same-bytes", "T", "x", "y", list(YEARS), series)
    assert first == second
    assert line_chart("same-bytes", "T", "x", "y", YEARS, tuple(series)) == first


def test_intervals_draw_shown_groups_and_leave_out_the_others() -> None:
    """A dot per group given, a whisker where the interval is known, a reference line at 1;
    a group not given (suppressed) appears nowhere, not even as a label."""
    svg = interval_chart(
        "di-test",
        "Disparity index",
        "Index (log scale)",
        "Reference: White",
        (
            Panel(
                "race",
                "Race/ethnicity",
                (
                    Interval("black", "Black", 1.4, 1.1, 1.8),
                    Interval("hispanic", "Hispanic", 0.8),  # no interval
                ),
            ),
            Panel("sex", "Sex", (Interval("female", "Female", 0.95, 0.8, 1.1),)),
            Panel("age", "Age band", ()),  # every group suppressed: no panel
        ),
    )
    for drawn in ("di-test-di-race-black", "di-test-di-race-hispanic", "di-test-di-sex-female"):
        assert _group(svg, drawn) is not None, drawn
    assert _group(svg, "di-test-ci-race-black") is not None
    assert _group(svg, "di-test-ci-race-hispanic") is None
    assert _group(svg, "di-test-reference-line") is not None
    texts = _texts(svg)
    assert {"Race/ethnicity", "Black", "Sex", "Index (log scale)", "Reference: White"} <= set(texts)
    assert "Age band" not in texts and "Asian" not in texts
    assert "1" in texts  # the reference value is a tick, written plainly


def test_pairs_draw_each_figure_they_have() -> None:
    """Plan and today per group; a None figure draws no dot, a group without both no line."""
    svg = paired_dot_chart(
        "pair-test",
        "Placed %: plan and today",
        "Placed %",
        ("plan", "today"),
        (
            PairPanel(
                "race",
                "Race/ethnicity",
                (Pair("white", "White", 80.0, 70.0), Pair("black", "Black", 75.0, None)),
            ),
        ),
    )
    assert _group(svg, "pair-test-pt-first-race-white") is not None
    assert _group(svg, "pair-test-pt-second-race-white") is not None
    assert _group(svg, "pair-test-pt-first-race-black") is not None
    assert _group(svg, "pair-test-pt-second-race-black") is None
    assert {"plan", "today", "Placed %", "White", "Black"} <= set(_texts(svg))


def test_a_chart_id_that_would_break_the_page_is_refused() -> None:
    """The id prefixes every element id of the page: only lowercase letters, digits, '-'."""
    with pytest.raises(ValueError, match="chart id 'bad id\"'"):
        line_chart('bad id"', "T", "x", "y", YEARS, ())
