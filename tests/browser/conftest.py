"""Fixtures of the browser tests: a real server over a copy of the sample county, and
Debian's chromium driven headless by Playwright (no browser download, no internet).

Debian's packages ``chromium`` and ``chromium-driver`` provide ``/usr/bin/chromium``;
``.ci/run`` installs them, so CI always runs these tests. Screenshots of every page go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from api.services.keys import create_key
from data.db import make_engine, session_scope

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# every input, select and textarea that a person fills must have a label
UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free loopback port; its base URL."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the page server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


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


def shoot(page: Any, name: str) -> None:
    """Save a full-page screenshot as a test artefact, and check every control's label."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert page.evaluate(UNLABELLED_CONTROLS) == [], f"controls without a label on {name}"


def sign_in(page: Any, url: str, key: str) -> None:
    """Sign in through the form with an API key."""
    page.goto(f"{url}/pages/signin")
    shoot(page, "signin")
    page.fill("#api-key", key)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
