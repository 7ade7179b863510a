"""The pages under their Content-Security-Policy in a real browser: nothing is blocked, and
a form posted from another origin is refused with a readable page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers.browser import shoot, sign_in, visit_within_policy, watch_policy

pytestmark = pytest.mark.browser


def test_the_main_pages_break_no_rule_of_their_policy(
    page: Any, page_server: dict[str, Any]
) -> None:
    """Home, sign-in, waiting children, a child's homes (factor bars, map), plans, gaps and a
    community, as a coordinator and a recruiter: the stylesheet applies and no violation is
    reported."""
    url = page_server["url"]
    complaints = watch_policy(page)
    visit_within_policy(page, f"{url}/", complaints)
    # the home page's styles come from the stylesheet now: its width is bounded by them
    assert page.evaluate("() => getComputedStyle(document.body).maxWidth") != "none"
    sign_in(page, url, page_server["keys"]["coordinator"])
    for path in ("/pages/children", "/pages/plans", "/pages/gaps"):
        visit_within_policy(page, f"{url}{path}", complaints)
    first_child = page.goto(f"{url}/pages/children")
    assert first_child is not None
    href = page.locator("table.list tbody th a").first.get_attribute("href")
    visit_within_policy(page, f"{url}{href}", complaints)
    bar = page.locator(".home-card svg.bar rect").first
    assert float(bar.get_attribute("width")) >= 0  # a factor bar drawn without inline style
    assert page.evaluate(
        "() => getComputedStyle(document.querySelector('.home-card svg.bar rect')).fill"
    ) not in ("", "none")
    shoot(page, "csp-child")
    community = page_server["url"] + "/pages/communities/51"
    visit_within_policy(page, community, complaints)


def test_a_form_posted_from_another_origin_gets_a_readable_refusal(
    page: Any, page_server: dict[str, Any]
) -> None:
    """A page of another origin (here about:blank, Origin "null") posting the sign-in form with
    a real key gets the 403 page saying where the form came from; nobody is signed in."""
    url = page_server["url"]
    key = page_server["keys"]["coordinator"]
    page.set_content(
        f'<form method="post" action="{url}/pages/signin">'
        f'<input name="api_key" value="{key}"><input name="csrf" value="x">'
        '<button type="submit">go</button></form>'
    )
    with page.expect_navigation():
        page.click("button")
    assert page.locator("h1").inner_text() == "Form from another site"
    assert re.search(r"sent from null", page.locator("p.alert").inner_text())
    shoot(page, "form-from-another-site")
    assert not any(c["name"] == "fm_session" for c in page.context.cookies())
