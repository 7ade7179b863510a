"""The call list on the child's page: a "called" form per ranked home, post-redirect-get,
the homes called shown as such, the next one to call highlighted, in English and Spanish."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from data.models import Offer
from tests.helpers.pages import a_waiting_child, count_rows, csrf_of, sign_in


def _ranked(page: str) -> list[str]:
    """The ranked homes of the child page, in order."""
    return re.findall(r'<li class="home-card[^"]*" id="home-([^"]+)">', page)


def _next(page: str) -> str:
    found = re.search(r'<li class="home-card next-call[^"]*" id="home-([^"]+)">', page)
    assert found is not None, "a home is highlighted as the next to call"
    return found.group(1)


def _call(client: TestClient, child: str, page: str, home: str, **data: str) -> int:
    takes = re.search(rf'id="call-form-{home}">.*?name="children" value="([^"]+)"', page, re.S)
    assert takes is not None
    answer = client.post(
        f"/pages/children/{child}/calls",
        data={"home": home, "children": takes.group(1), **csrf_of(page), **data},
        follow_redirects=False,
    )
    if answer.status_code == 303:
        assert answer.headers["location"] == f"/pages/children/{child}#calls"
    return answer.status_code


def test_a_decline_moves_the_call_list_on(county: tuple[TestClient, dict[str, str]]) -> None:
    """The first home is the next to call; after its decline it is listed as called with the
    reason, is gone from the ranking, and the next home is highlighted."""
    client, keys = county
    child = a_waiting_child(client)
    sign_in(client, keys["coordinator"])
    page = client.get(f"/pages/children/{child}").text
    ranked = _ranked(page)
    assert len(ranked) >= 2 and _next(page) == ranked[0]
    status = _call(client, child, page, ranked[0], outcome="declined", reason="no_capacity_now")
    assert status == 303
    page = client.get(f"/pages/children/{child}").text
    assert ranked[0] not in _ranked(page)
    called = re.search(
        rf'<li id="called-{ranked[0]}" data-outcome="declined">(.*?)</li>', page, re.S
    )
    assert called is not None and "declined (no capacity now)" in called.group(1)
    assert _next(page) == _ranked(page)[0]
    assert re.search(r"<td>Declined this child</td>", page)


def test_a_call_without_an_answer_stays_listed_and_the_next_is_highlighted(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """No answer: the home stays in the ranking, marked called; the next home is the one to
    call now. In Spanish the same page says so in Spanish."""
    client, keys = county
    child = a_waiting_child(client)
    sign_in(client, keys["coordinator"])
    page = client.get(f"/pages/children/{child}").text
    first, second = _ranked(page)[:2]
    assert _call(client, child, page, first, outcome="no_answer") == 303
    page = client.get(f"/pages/children/{child}").text
    assert first in _ranked(page) and _next(page) == second
    assert f'id="call-{first}"' in page and ": no answer</p>" in page
    spanish = client.get(f"/pages/children/{child}?lang=es").text
    assert "Llamadas a las familias" in spanish and "Llamar ahora" in spanish
    assert ": sin respuesta</p>" in spanish


def test_a_decline_without_a_reason_is_refused_in_words(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """422, the child page again with the sentence beside the call list; nothing recorded."""
    client, keys = county
    child = a_waiting_child(client)
    sign_in(client, keys["coordinator"])
    page = client.get(f"/pages/children/{child}").text
    home = _ranked(page)[0]
    answer = client.post(
        f"/pages/children/{child}/calls",
        data={"home": home, "children": child, "outcome": "declined", **csrf_of(page)},
    )
    assert answer.status_code == 422
    assert f"The call to {home} was not recorded: a decline needs a reason" in answer.text
    assert count_rows(client, Offer) == 0


def test_only_who_may_decide_records_calls(county: tuple[TestClient, dict[str, str]]) -> None:
    """A recruiter has no call form and may not post one."""
    client, keys = county
    child = a_waiting_child(client)
    sign_in(client, keys["recruiter"])
    answer = client.post(
        f"/pages/children/{child}/calls",
        data={"home": "H000008", "children": child, "outcome": "no_answer"},
        follow_redirects=False,
    )
    assert answer.status_code in (303, 403)
    assert count_rows(client, Offer) == 0
