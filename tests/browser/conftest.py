"""Fixtures of the browser tests: a real server over a copy of the sample county, and
Debian's chromium driven headless by Playwright (no browser download, no internet).

Debian's packages ``chromium`` and ``chromium-driver`` provide ``/usr/bin/chromium``;
``.ci/run`` installs them, so CI always runs these tests. Screenshots of every page go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.services.keys import create_key
from data.db import make_engine, session_scope
from tests.helpers.server import serve

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def page_server(
    county_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A uvicorn server in a thread over a writable copy of the sample county; its URL, one
    API key per role, and its database engine (for tests that add their own records)."""
    from api.http.app import create_app

    source = Path(county_database_url.removeprefix("sqlite:///"))
    copy = tmp_path_factory.mktemp("browser") / "county.db"
    shutil.copy(source, copy)
    engine = make_engine(f"sqlite:///{copy}")
    with session_scope(engine) as session:
        keys = {
            role: create_key(session, role, f"browser {role}")[1]
            for role in ("coordinator", "recruiter")
        }
    with serve(create_app(engine)) as url:
        yield {"url": url, "keys": keys, "engine": engine}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless chromium from Debian (skips, naming the packages, when it is missing)."""
    if not CHROMIUM.exists():
        pytest.skip(
            "no /usr/bin/chromium: install Debian's packages 'chromium' and 'chromium-driver' "
            "(.ci/run does)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) at a laptop's size, and its page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page_without_javascript(browser: Any) -> Iterator[Any]:
    """A fresh browser context like :func:`page`'s with JavaScript turned off, and its page."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", java_script_enabled=False
    )
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()
