"""The call list in a real browser: a coordinator calls the ranked homes in order, records two
declines (one on the Spanish page) and an acceptance, and records the team decision for the
home that said yes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session

from data.queries import waiting_children
from tests.helpers.browser import SCREENSHOTS, ranking_over_http, shoot, sign_in

pytestmark = pytest.mark.browser


def _a_child_alone_with_three_homes(page_server: dict[str, Any]) -> tuple[str, list[str]]:
    """A waiting child matched alone (no sibling waiting with them) with at least three
    ranked homes, from the end of the waiting list (the other browser tests take groups)."""
    ranking = ranking_over_http(page_server["url"], page_server["keys"]["coordinator"])
    with Session(page_server["engine"]) as session:
        waiting = waiting_children(session)
    for child in reversed(waiting):
        ranked = ranking(child)
        homes = [c["home_id"] for c in ranked["candidates"]]
        if ranked["children"] == [child] and len(homes) >= 3:
            return child, homes
    raise AssertionError("the sample county has a child alone with three ranked homes")


def _call(page: Any, home: str, outcome: str, reason: str = "") -> None:
    page.select_option(f"#outcome-{home}", outcome)
    page.select_option(f"#reason-{home}", reason)
    page.click(f"#call-form-{home} button[type=submit]")
    page.wait_for_load_state()


def _next_call(page: Any) -> str:
    found = re.fullmatch(r"home-(.+)", page.locator("li.next-call").get_attribute("id") or "")
    assert found is not None
    return found.group(1)


def test_two_declines_and_an_acceptance_lead_to_a_decision(
    page: Any, page_server: dict[str, Any]
) -> None:
    """The first home is the one to call; its decline drops it from the list and highlights
    the next; a decline recorded on the Spanish page reads in Spanish; the third home accepts,
    stays first, and the team decision for it is recorded without a reason."""
    url, key = page_server["url"], page_server["keys"]["coordinator"]
    child, homes = _a_child_alone_with_three_homes(page_server)
    first, second = homes[0], homes[1]
    sign_in(page, url, key)

    page.goto(f"{url}/pages/children/{child}?lang=en")
    assert _next_call(page) == first
    shoot(page, "calls-start")
    _call(page, first, "declined", "child_needs")
    assert page.url.endswith(f"/pages/children/{child}#calls")
    called = page.locator(f"#called-{first}").inner_text()
    assert called.startswith(f"{first}: Called on ") and "declined (the child's needs)" in called
    assert page.locator(f"#home-{first}").count() == 0
    assert _next_call(page) == second

    page.goto(f"{url}/pages/children/{child}?lang=es")
    _call(page, second, "declined", "distance")
    assert "rechazó (distancia)" in page.locator(f"#called-{second}").inner_text()
    assert page.locator("#calls-h").inner_text() == "Llamadas a las familias"
    page.locator("section.calls").screenshot(path=str(SCREENSHOTS / "es-calls-declined.png"))
    third = _next_call(page)
    assert third not in (first, second)

    page.goto(f"{url}/pages/children/{child}?lang=en")
    _call(page, third, "accepted")
    assert "accepted" in page.locator(f"#call-{third}").inner_text()
    assert page.locator("li.home-card").first.get_attribute("id") == f"home-{third}"
    shoot(page, "calls-accepted")

    page.check(f"#choose-{third}")
    page.click("section.decide button[type=submit]")
    page.wait_for_load_state()
    assert re.search(r"/pages/decisions/\d+$", page.url)
    assert page.locator("h1").inner_text() == "Decision recorded"
    shoot(page, "calls-decision")
