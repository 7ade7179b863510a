"""The coordinator's decision flow in a real browser, in English and Spanish: a sibling group's
options say who goes where and who waits, a refused decision says why beside the field, the
recorded decision is a page of its own that reloads safely, and the placed child is offered a
move that warns of splitting the siblings."""

from __future__ import annotations

import re
from typing import Any

import pytest

from data.models import Decision
from tests.helpers.browser import SCREENSHOTS, ranking_over_http, shoot, sign_in
from tests.helpers.pages import a_group_split_by_its_first_home

pytestmark = pytest.mark.browser


def _decisions(engine: Any) -> int:
    from sqlalchemy import func, select
    from sqlmodel import Session

    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(Decision)).scalar_one())


def test_coordinator_decides_for_a_sibling_group_and_moves_a_child(
    page: Any, page_server: dict[str, Any]
) -> None:
    """The options name who each home places and who still waits; rank 2 without a reason is
    refused in Spanish beside the reason box (which has the focus); rank 1 is recorded and
    the browser lands on the decision's page, which reloads without recording again; the
    placed child's page then offers a move, warning that it splits the siblings, in English
    and Spanish."""
    url, key = page_server["url"], page_server["keys"]["coordinator"]
    ranked = a_group_split_by_its_first_home(page_server["engine"], ranking_over_http(url, key))
    child, group = ranked["children"][0], ranked["children"]
    first, second = ranked["candidates"][0], ranked["candidates"][1]
    left = [c for c in group if c not in first["children"]]
    sign_in(page, url, key)

    # the options: who goes where, who waits
    page.goto(f"{url}/pages/children/{child}")
    label = " ".join(page.locator(f"label[for='choose-{first['home_id']}']").inner_text().split())
    assert label == (
        f"Home {first['home_id']} (rank 1): places {', '.join(first['children'])}; "
        f"still waiting: {', '.join(left)}"
    )
    assert (
        "then homes that take the whole sibling group" in page.locator("#rank-order").inner_text()
    )
    page.locator("section.decide").screenshot(path=str(SCREENSHOTS / "decision-options.png"))
    shoot(page, "decision-group-child")

    # refused, in Spanish: the sentence sits right above the reason box, which has the focus
    page.goto(f"{url}/pages/children/{child}?lang=es")
    page.check(f"#choose-{second['home_id']}")
    before = _decisions(page_server["engine"])
    page.click("section.decide button[type=submit]")
    page.wait_for_load_state()
    error = page.locator("section.decide #error-reason")
    assert error.inner_text().startswith("No se registró: indique un motivo.")
    assert f"({first['home_id']})" in error.inner_text()
    assert page.evaluate("document.activeElement.id") == "reason"
    box, said = page.locator("#reason").bounding_box(), error.bounding_box()
    assert 0 <= box["y"] - (said["y"] + said["height"]) < 40  # right above the box
    assert page.is_checked(f"#choose-{second['home_id']}")
    assert _decisions(page_server["engine"]) == before
    page.locator("section.decide").screenshot(path=str(SCREENSHOTS / "es-decision-refused.png"))

    # recorded in English: post, redirect, get; reloading records nothing more
    page.goto(f"{url}/pages/children/{child}?lang=en")
    page.check(f"#choose-{first['home_id']}")
    page.click("section.decide button[type=submit]")
    page.wait_for_load_state()
    assert re.search(r"/pages/decisions/\d+$", page.url)
    assert page.locator("h1").inner_text() == "Decision recorded"
    waiting = page.locator("#still-waiting").inner_text()
    assert waiting == f"Still waiting from the sibling group: {', '.join(left)}."
    shoot(page, "decision-page")
    recorded = _decisions(page_server["engine"])
    assert recorded == before + 1
    response = page.reload()
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text() == "Decision recorded"
    assert _decisions(page_server["engine"]) == recorded
    page.goto(page.url + "?lang=es")
    assert page.locator("h1").inner_text() == "Decisión registrada"
    shoot(page, "es-decision-page")

    # the placed child: where they live, and a move that warns of the split
    mover, stays = first["children"][0], first["children"][1]
    page.goto(f"{url}/pages/children/{mover}?lang=en")
    assert (
        page.locator("#lives-in")
        .inner_text()
        .startswith(f"{mover} lives in home {first['home_id']} since")
    )
    assert page.locator("#decide-h").inner_text() == f"Move {mover} to another home"
    warning = page.locator("#split-warning").inner_text()
    assert f"Moving {mover} alone separates them from" in warning and stays in warning
    assert page.locator("#reason").get_attribute("required") is not None
    page.locator("section.lives").screenshot(path=str(SCREENSHOTS / "child-placed-lives.png"))
    page.locator("section.decide").screenshot(path=str(SCREENSHOTS / "child-placed-move.png"))
    page.goto(f"{url}/pages/children/{mover}?lang=es")
    assert page.locator("#decide-h").inner_text() == f"Trasladar a {mover} a otro hogar"
    assert (
        f"Trasladar solo a {mover} lo/la separa de" in page.locator("#split-warning").inner_text()
    )
    page.locator("section.decide").screenshot(path=str(SCREENSHOTS / "es-child-placed-move.png"))
    page.fill("#reason", "un plan de seguridad los mantiene separados")
    page.click("section.decide button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Decisión registrada"
    assert (
        page.locator("#decided-reason").inner_text()
        == "un plan de seguridad los mantiene separados"
    )
    shoot(page, "es-move-recorded")
