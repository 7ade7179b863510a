"""The outcome pages in a real browser: a recruiter reads the measures, trends and disparities
in English and in Spanish, a coordinator the latest plan's equity; the charts draw under the
pages' Content-Security-Policy, each beside its table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.browser import SCREENSHOTS, shoot, sign_in, visit_within_policy, watch_policy
from tests.helpers.pages import a_done_plan_for_half_the_waiting

pytestmark = pytest.mark.browser

CHARTS = ("trend-percent", "trend-days", "disparity")


def _chart_drawn(page: Any, chart_id: str) -> None:
    """The chart is on screen with a size, its lines and texts painted (not blocked styles:
    an SVG path without its attributes would fill black, text would be missing)."""
    chart = page.locator(f"svg#{chart_id}")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150, chart_id
    assert chart.locator("text").count() > 5, chart_id
    background = chart.locator("path").first
    assert page.evaluate("(el) => getComputedStyle(el).fill", background.element_handle()) in (
        "rgb(255, 255, 255)",
        "#ffffff",
    )


def test_recruiter_reads_outcomes_in_english_and_spanish(
    page: Any, page_server: dict[str, Any]
) -> None:
    """From the navigation to the page: three charts each with its table, nothing blocked by
    the policy; the measure switch redraws the disparity chart; then the same in Spanish."""
    url = page_server["url"]
    complaints = watch_policy(page)
    sign_in(page, url, page_server["keys"]["recruiter"])
    page.click("nav a[href='/pages/outcomes']")
    page.wait_for_selector("svg#disparity", timeout=120_000)
    visit_within_policy(page, f"{url}/pages/outcomes?lang=en", complaints)
    assert page.locator("h1").inner_text() == "Outcomes and disparities"
    for chart in CHARTS:
        _chart_drawn(page, chart)
    for table in ("#table-trend-percent", "#table-trend-days", "#disparity-race", "#disparity-age"):
        assert page.locator(f"{table} tbody tr").count() >= 2, table
    assert page.locator("#outcomes-overall tbody tr").count() == 17
    assert "suppressed (<11)" in page.locator("#table-trend-percent").inner_text()
    assert "Not drawn:" in page.locator("#figure-trend-percent figcaption").inner_text()
    assert "Year" in page.locator("svg#trend-percent").text_content()
    shoot(page, "outcomes")
    page.locator("#figure-disparity").screenshot(path=str(SCREENSHOTS / "outcomes-disparity.png"))
    page.select_option("#o-measure", "permanency_12m")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "measure=permanency_12m" in page.url
    assert "Permanency in 12 months" in page.locator("svg#disparity").text_content()
    page.fill("#o-year", "abc")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "is not a year" in page.locator("#outcomes-errors").inner_text()
    shoot(page, "outcomes-bad-year")
    visit_within_policy(page, f"{url}/pages/outcomes?lang=es", complaints)
    assert page.locator("h1").inner_text() == "Resultados y disparidades"
    for chart in CHARTS:
        _chart_drawn(page, chart)
    assert "Año" in page.locator("svg#trend-percent").text_content()
    assert "Raza/etnia" in page.locator("svg#disparity").text_content()
    assert "omitido (<11)" in page.locator("#table-trend-percent").inner_text()
    shoot(page, "es-outcomes")


def test_coordinator_reads_the_latest_plans_equity(page: Any, page_server: dict[str, Any]) -> None:
    """The latest plan beside today's practice: a chart, the tables by dimension, in English
    and in Spanish, nothing blocked by the policy."""
    url = page_server["url"]
    a_done_plan_for_half_the_waiting(page_server["engine"])
    complaints = watch_policy(page)
    sign_in(page, url, page_server["keys"]["coordinator"])
    assert page.locator("nav a[href='/pages/outcomes']").count() == 1  # supervisors read them
    page.click("nav a[href='/pages/outcomes/equity']")
    page.wait_for_load_state()
    visit_within_policy(page, f"{url}/pages/outcomes/equity?lang=en", complaints)
    _chart_drawn(page, "equity")
    assert page.locator("table.equity").count() == 3
    assert "today" in page.locator("svg#equity").text_content()
    shoot(page, "outcomes-equity")
    visit_within_policy(page, f"{url}/pages/outcomes/equity?lang=es", complaints)
    assert page.locator("h1").inner_text() == "Equidad del último plan"
    assert "hoy" in page.locator("svg#equity").text_content()
    shoot(page, "es-outcomes-equity")
