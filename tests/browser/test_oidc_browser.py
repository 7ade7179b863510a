"""Sign-in through the agency's identity provider in a real browser: the pages send chromium
to a local OpenID Connect provider and back, and the role comes from the person's groups."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.http.app import create_app
from api.services.oidc import Provider
from tests.helpers.browser import SCREENSHOTS, shoot
from tests.helpers.oidc import MockProvider, running_provider
from tests.helpers.server import serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider() -> Iterator[MockProvider]:
    """The agency's identity provider, local."""
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def oidc_server(page_server: dict[str, Any], provider: MockProvider) -> Iterator[str]:
    """The pages over the sample county, signing people in at the provider only."""
    app = create_app(page_server["engine"], run_plan_jobs=False)
    app.state.oidc = Provider(provider.settings())
    with serve(app) as url:
        yield url


def _choose_at_provider(page: Any, provider: MockProvider, subject: str, name: str) -> None:
    """On the provider's own page, pick ``subject`` (its predefined people are buttons)."""
    page.wait_for_url(f"{provider.issuer}/oauth2/authorize*")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # not our page
    page.click(f"button[name=sub][value={subject}]")


def test_a_coordinator_signs_in_at_the_provider(
    page: Any, oidc_server: str, provider: MockProvider
) -> None:
    """Only the provider's button; through the provider to the waiting children, as a
    placement coordinator; signing out and in as someone without a role is refused."""
    page.goto(f"{oidc_server}/pages/children")
    assert "/pages/signin" in page.url
    assert page.locator("#api-key").count() == 0
    assert page.locator("#signin-oidc").inner_text() == "Sign in with Agency Login"
    shoot(page, "oidc-signin")
    page.click("#signin-oidc")
    _choose_at_provider(page, provider, "coordinator-ann", "oidc-provider")
    page.wait_for_url(f"{oidc_server}/pages/children")
    who = page.locator(".who").inner_text()
    assert who == "Signed in as oidc:coordinator-ann (placement coordinator)"
    assert page.locator("table.list tbody tr").count() >= 1
    shoot(page, "oidc-coordinator-children")

    page.click("header form[action='/pages/signout'] button")
    page.wait_for_url("**/pages/signin?signed_out=1")
    page.click("#signin-oidc")
    _choose_at_provider(page, provider, "visitor-vera", "oidc-provider-visitor")
    page.wait_for_url(f"{oidc_server}/pages/signin/callback*")
    assert page.locator("h1").inner_text() == "No role in fostermatch"
    assert page.locator(".who").count() == 0
    shoot(page, "oidc-no-role")
