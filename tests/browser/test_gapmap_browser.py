"""The recruiter's interactive gap map in a real browser, in English and in Spanish: names a
person can read, zoom, a community's figures by click and by keyboard, a legend whose fixed
classes survive a change of segment, and no request leaving the machine without a tile server."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from api.pages.gaps import map_text
from recruitment.maps import gap_classes
from tests.helpers.browser import shoot, sign_in

pytestmark = pytest.mark.browser

# each name on the map that is shown (not hidden behind a larger community's): text, size, box
SHOWN_LABELS = """() => Array.from(document.querySelectorAll('#gapmap .gapmap-label'))
  .filter(el => !el.classList.contains('gapmap-hidden'))
  .map(el => { const r = el.getBoundingClientRect();
    return {name: el.textContent, size: parseFloat(getComputedStyle(el).fontSize),
            x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width}; })"""

FIGURES = {"en": "homes now", "es": "hogares hoy"}
COMMUNITY = {"en": "Community ", "es": "Comunidad "}


def _ready(page: Any) -> None:
    """Wait until the script has drawn the map."""
    page.wait_for_selector("#gapmap[data-ready='1']")


def _legend(page: Any) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("#gapmap-legend li").all_inner_texts()]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_gap_map_reads_zooms_and_opens_by_click_and_by_keyboard(
    page: Any, page_server: dict[str, Any], lang: str
) -> None:
    """Names at 12 px or more, zoom, a click and Enter open a community's figures with a link
    to its page, the legend states the fixed classes for every segment, and every request the
    page makes goes to 127.0.0.1."""
    from playwright.sync_api import expect

    url = page_server["url"]
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or "?"))
    complaints: list[str] = []  # the Content-Security-Policy blocks nothing of the map
    page.on(
        "console",
        lambda message: (
            complaints.append(message.text) if "Security Policy" in message.text else None
        ),
    )
    sign_in(page, url, page_server["keys"]["recruiter"])
    page.goto(f"{url}/pages/lang?lang={lang}&next=/pages/gaps")
    _ready(page)
    assert page.locator("html").get_attribute("lang") == lang
    expect(page.locator(".gapmap svg")).to_be_hidden()  # the server's SVG gives way
    labels = page.evaluate(SHOWN_LABELS)
    assert len(labels) >= 3
    assert min(label["size"] for label in labels) >= 12, labels
    classes = [label for _, label in reversed(list(enumerate(gap_classes(map_text(lang)))))]
    legend = _legend(page)
    assert legend[: len(classes)] == classes
    assert ("21 or more homes short" if lang == "en" else "faltan 21 o más hogares") in legend
    shoot(page, f"gapmap-{lang}")

    zoom = page.get_attribute("#gapmap", "data-zoom")
    page.click(".leaflet-control-zoom-in")
    expect(page.locator("#gapmap")).not_to_have_attribute("data-zoom", zoom)
    assert float(page.get_attribute("#gapmap", "data-zoom")) > float(zoom)
    labels = page.evaluate(SHOWN_LABELS)
    assert labels and min(label["size"] for label in labels) >= 12
    shoot(page, f"gapmap-{lang}-zoomed")

    # a click at a community's name (names let clicks through to the community under them)
    box = page.locator("#gapmap").bounding_box()
    inside = [
        label
        for label in labels
        if box["x"] + 40 < label["x"] < box["x"] + box["width"] - 40
        and box["y"] + 80 < label["y"] < box["y"] + box["height"] - 40
    ]
    target = inside[0]
    page.mouse.click(target["x"], target["y"])
    popup = page.locator(".leaflet-popup-content .gapmap-popup")
    expect(popup).to_be_visible()
    assert popup.locator("h3").inner_text().startswith(target["name"])
    assert FIGURES[lang] in popup.inner_text()
    link = popup.locator("a")
    assert "/pages/communities/" in (link.get_attribute("href") or "")
    shoot(page, f"gapmap-{lang}-clicked")
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)

    # the keyboard: Tab reaches a community, Enter opens its figures and focuses the link
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('#gapmap path[data-id]')"):
            break
    focused = page.locator("#gapmap path[data-id]:focus")
    expect(focused).to_have_count(1)
    community = focused.get_attribute("data-id")
    name = focused.get_attribute("aria-label") or ""
    page.keyboard.press("Enter")
    expect(popup).to_be_visible()
    assert popup.get_attribute("data-id") == community
    expect(popup.locator("a")).to_be_focused()
    shoot(page, f"gapmap-{lang}-keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/pages/communities/{community}?segment=all&horizon=12")
    assert page.locator("h1").inner_text().startswith(COMMUNITY[lang])
    assert name.split(" (")[0] in page.locator("h1").inner_text()
    assert page.locator("#horizon").inner_text().count("12") >= 1
    shoot(page, f"gapmap-{lang}-community")

    # another segment: other colours maybe, the same classes
    page.goto(f"{url}/pages/gaps")
    page.select_option("#g-segment", "age:13-17")
    page.click("form.filters button[type=submit]")
    _ready(page)
    assert "segment=age%3A13-17" in page.url
    assert _legend(page) == legend
    shoot(page, f"gapmap-{lang}-teenagers")
    assert set(hosts) == {"127.0.0.1"}, sorted(set(hosts))
    assert complaints == []
