"""The pages in a real browser: a coordinator places a child, a recruiter reads the gap map,
and the interface switches to Spanish."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import shoot, sign_in

pytestmark = pytest.mark.browser


def test_coordinator_places_a_waiting_child(page: Any, page_server: dict[str, Any]) -> None:
    """Sign in, open a waiting child, read the ranked homes, record a decision: a bed goes."""
    url = page_server["url"]
    sign_in(page, url, page_server["keys"]["coordinator"])
    assert page.url.endswith("/pages/children")
    shoot(page, "coordinator-children")
    page.fill("#f-days", "0")
    page.click("form.filters button[type=submit]")
    page.locator("table.list tbody th a").first.click()
    page.wait_for_load_state()
    assert re.search(r"/pages/children/C\d+$", page.url)
    cards = page.locator(".home-card")
    assert cards.count() >= 1
    first = cards.first
    assert first.locator("td.reason").first.inner_text().strip()  # a plain-language reason
    assert first.locator(".bar").count() >= 1  # a bar per factor
    assert page.locator("svg.childmap path.removal").count() == 1
    home = first.get_attribute("id").removeprefix("home-")
    before = int(first.locator(".beds").get_attribute("data-free"))
    shoot(page, "coordinator-child")
    assert page.is_checked(f"#choose-{home}")
    assert page.is_checked("#p-caseworker")
    page.check("#p-youth")
    page.click("section.decide button[type=submit]")
    page.wait_for_load_state()
    shoot(page, "coordinator-decided")
    assert page.locator("h1").inner_text() == "Decision recorded"
    after = int(page.locator(f'.beds[data-home="{home}"]').get_attribute("data-free"))
    assert after == before - 1


def test_coordinator_compares_a_plan_with_greedy(page: Any, page_server: dict[str, Any]) -> None:
    """Start a plan, watch it finish, read it beside the greedy baseline, open an explanation."""
    url = page_server["url"]
    sign_in(page, url, page_server["keys"]["coordinator"])
    page.click("nav a[href='/pages/plans']")
    page.wait_for_load_state()
    shoot(page, "plans-start")
    page.select_option("#plan-limit", "5")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("#assignments", timeout=120_000)  # the page refreshes itself
    shoot(page, "plan-side-by-side")
    page.locator("#assignments tbody a").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Explanation for")
    shoot(page, "plan-explanation")


def test_recruiter_reads_the_gap_map_and_no_child(page: Any, page_server: dict[str, Any]) -> None:
    """Sign in as a recruiter, switch segment, read a tooltip; child pages answer 403."""
    url = page_server["url"]
    sign_in(page, url, page_server["keys"]["recruiter"])
    assert page.url.endswith("/pages/gaps")
    assert page.locator("nav a", has_text="Waiting children").count() == 0
    shoot(page, "recruiter-gaps")
    page.select_option("#g-segment", "age:0-5")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert "segment=age%3A0-5" in page.url
    shape = page.locator(".gapmap path.community").first
    shape.hover()
    tooltip = shape.locator("title").text_content()
    assert "segment age:0-5" in tooltip
    shoot(page, "recruiter-gaps-age-0-5")
    page.locator("table.list tbody th a").first.click()
    page.wait_for_load_state()
    assert page.locator("h2#partners-h").count() == 1
    shoot(page, "recruiter-community")
    for path in ("/pages/children", "/pages/children/C000155"):
        response = page.goto(f"{url}{path}")
        assert response is not None and response.status == 403
    shoot(page, "recruiter-denied")


def test_switch_to_spanish(page: Any, page_server: dict[str, Any]) -> None:
    """The language selector turns the interface Spanish, and it stays after signing in."""
    url = page_server["url"]
    page.goto(f"{url}/pages/signin")
    page.select_option("#lang-select", "es")
    page.click("form.lang button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Iniciar sesión"
    assert page.locator("html").get_attribute("lang") == "es"
    shoot(page, "es-signin")
    page.fill("#api-key", page_server["keys"]["coordinator"])
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Niños en espera"
    shoot(page, "es-children")
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet
    shoot(page, "es-children-tablet")
