"""What every browser test does: screenshots as artefacts, labelled controls, signing in."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from api.http.headers import PAGE_CSP

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# every input, select and textarea that a person fills must have a label
UNLABELLED_CONTROLS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""


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


# what the browser reports when the policy blocks something (console, or the DOM event)
WATCH_VIOLATIONS = """() => {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
}"""


def visit_within_policy(page: Any, url: str, complaints: list[str]) -> None:
    """Open ``url``; check its policy header and that the browser blocked nothing there."""
    response = page.goto(url)
    assert response is not None and response.ok, url
    assert response.headers["content-security-policy"] == PAGE_CSP, url
    violations = page.evaluate("() => window.__violations || []")
    assert violations == [], (url, violations)
    assert complaints == [], (url, complaints)


def watch_policy(page: Any) -> list[str]:
    """Collect the console's messages about the Content Security Policy."""
    complaints: list[str] = []
    page.on(
        "console",
        lambda message: (
            complaints.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(f"({WATCH_VIOLATIONS})()")
    return complaints


def ranking_over_http(url: str, key: str) -> Callable[[str], dict[str, Any]]:
    """``POST /v1/matches`` for a child id, over HTTP with ``key``."""

    def ranking(child_id: str) -> dict[str, Any]:
        asked = Request(
            f"{url}/v1/matches",
            data=json.dumps({"child_id": child_id}).encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        with urlopen(asked, timeout=30) as answer:
            ranked: dict[str, Any] = json.load(answer)
        return ranked

    return ranking
