"""The coordinator's decision flow on the pages: the options say who goes where and who waits,
post-redirect-get to the decision's own page, errors beside their fields in the page's
language, a placed child offered a move (with a reason, and a warning when it splits
siblings), and the explanations around the ranking (its order, ICWA, the waiting list)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from api.pages.engine_text import said
from data.models import AuditEntry, Child, Decision, Placement
from data.queries import waiting_children
from tests.helpers.app import engine_of
from tests.helpers.pages import (
    a_group_split_by_its_first_home,
    count_rows,
    decision_form,
    icwa_siblings_split_by_a_kin_home,
    ranking_through,
    sign_in,
)


def _group(client: TestClient, key: str) -> dict[str, Any]:
    """A waiting sibling group whose first home takes part of it (its ranking's JSON)."""
    return a_group_split_by_its_first_home(engine_of(client), ranking_through(client, key))


def _option_labels(page: str) -> dict[str, str]:
    """The decision form's options: home id -> the label's text, tags and spaces squeezed."""
    labels = re.findall(r'<label for="choose-([^"]+)">(.*?)</label>', page, re.S)
    return {home: " ".join(re.sub(r"<[^>]+>", "", text).split()) for home, text in labels}


def _decide(client: TestClient, child: str, page: str, home: str, **extra: Any) -> Any:
    """Post the child page's decision form for ``home`` (no redirect followed)."""
    shown, takes = decision_form(page)
    data = {"participant": "caseworker", "home": home, "options_shown": shown, **takes, **extra}
    moves = re.search(r'name="moves_from" value="([^"]+)"', page)
    if moves:
        data["moves_from"] = moves.group(1)
    return client.post(f"/pages/children/{child}/decision", data=data, follow_redirects=False)


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" role="alert" id="error-{field}">(.*?)</p>', page)
    assert found is not None, f"an error beside {field}"
    return found.group(1)


def test_each_option_says_which_children_it_places_and_who_waits(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """A sibling group whose first home takes only part of it: every option names the children
    it places and, when some are left, who would still wait; the cards say the same."""
    client, keys = county
    ranked = _group(client, keys["coordinator"])
    child, group = ranked["children"][0], ranked["children"]
    sign_in(client, keys["coordinator"])
    page = client.get(f"/pages/children/{child}").text
    labels = _option_labels(page)
    for c in ranked["candidates"]:
        left = [i for i in group if i not in c["children"]]
        label = f"Home {c['home_id']} (rank {c['rank']}): places {', '.join(c['children'])}"
        if left:
            label += f"; still waiting: {', '.join(left)}"
        assert labels[c["home_id"]] == label
    first = ranked["candidates"][0]
    card = page[page.index(f'id="home-{first["home_id"]}"') :]
    assert re.search(r'<p class="takes">Takes [^<]*Still waiting: ', card)
    assert 'id="rank-order"' in page and "then homes that take the whole sibling group" in page


def test_a_decision_redirects_to_its_page_which_reloads_safely(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """POST answers 303 to the decision's page; reading it twice records nothing more, writes
    a ``read_decision`` audit entry each time and names who of the group still waits; an
    unknown or malformed decision id is a 404 page; a recruiter may not read it."""
    client, keys = county
    ranked = _group(client, keys["coordinator"])
    child, first = ranked["children"][0], ranked["candidates"][0]
    left = [i for i in ranked["children"] if i not in first["children"]]
    sign_in(client, keys["coordinator"])
    page = client.get(f"/pages/children/{child}?lang=es").text
    shown, takes = decision_form(page)
    answer = client.post(
        f"/pages/children/{child}/decision?lang=es",
        data={"participant": "caseworker", "home": first["home_id"], "options_shown": shown}
        | takes,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    found = re.fullmatch(r"/pages/decisions/(\d+)\?lang=es", location)
    assert found is not None, location
    decisions = count_rows(client, Decision)
    for _ in range(2):
        again = client.get(location)
        assert again.status_code == 200
        assert "Decisión registrada" in again.text
        assert f"Siguen en espera del grupo de hermanos: {', '.join(left)}." in again.text
        for placed in first["children"]:
            assert f"{placed} queda colocado/a en el hogar {first['home_id']}" in again.text
    assert count_rows(client, Decision) == decisions
    with Session(engine_of(client)) as session:
        reads = (
            session.execute(select(AuditEntry).where(col(AuditEntry.action) == "read_decision"))
            .scalars()
            .all()
        )
    assert len(reads) == 2
    assert all(set(first["children"]) <= set(r.child_ids) for r in reads)
    for wrong in ("999999", "abc", "1" * 40):
        assert client.get(f"/pages/decisions/{wrong}").status_code == 404
    sign_in(client, keys["recruiter"])
    assert client.get(f"/pages/decisions/{found.group(1)}").status_code == 403


def test_a_refused_decision_says_why_beside_the_field_in_spanish(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Rank 2 without a reason, on the Spanish page: 422, a Spanish sentence right above the
    reason box naming the first-ranked home, no English API text, nothing recorded; the
    choice made is kept."""
    client, keys = county
    ranked = _group(client, keys["coordinator"])
    child = ranked["children"][0]
    second, top = ranked["candidates"][1]["home_id"], ranked["candidates"][0]["home_id"]
    sign_in(client, keys["coordinator"])
    page = client.get(f"/pages/children/{child}?lang=es").text
    before = (count_rows(client, Decision), count_rows(client, Placement))
    shown, takes = decision_form(page)
    answer = client.post(
        f"/pages/children/{child}/decision?lang=es",
        data={"participant": "caseworker", "home": second, "options_shown": shown} | takes,
    )
    assert answer.status_code == 422
    assert _field_error(answer.text, "reason") == (
        f"No se registró: indique un motivo. El hogar {second} no es el primero de la lista "
        f"({top}), así que el equipo indica por qué lo eligió."
    )
    assert "the decision was not recorded" not in answer.text
    assert "body.reason" not in answer.text
    assert re.search(
        rf'id="choose-{second}" name="home" value="{second}" required\s+checked', answer.text
    )
    assert (count_rows(client, Decision), count_rows(client, Placement)) == before


def test_a_bed_taken_meanwhile_is_said_beside_the_chosen_home(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Two pages open on the same home with one bed: the second decision gets 409 and, beside
    the homes, that the bed went to another decision since the page was shown."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    with Session(engine_of(client)) as session:
        waiting = waiting_children(session)
    for child in waiting:
        page = client.get(f"/pages/children/{child}").text
        free = re.findall(r'data-home="([^"]+)" data-free="1"', page)
        options = decision_form(page)[0]
        if free and free[0] in options:
            break
    else:
        raise AssertionError("a waiting child with a one-bed home among the options")
    home = free[0]
    # the same page posted twice: the first takes the bed, the second finds it gone
    reason = {"reason": "the team chose it"}
    assert _decide(client, child, page, home, **reason).status_code == 303
    answer = _decide(client, child, page, home, **reason)
    assert answer.status_code in (409, 422)
    if answer.status_code == 409:
        assert _field_error(answer.text, "home").startswith(f"Not recorded: home {home} has 0")
    else:  # the child now lives there: the page says so beside the homes
        assert _field_error(answer.text, "home").startswith("Not recorded:")


def test_a_placed_child_is_offered_a_move_that_warns_of_a_split(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """After the group's first home takes two siblings, one of them no longer looks waiting:
    the page names the home and since when, offers a move instead of a placement, warns that
    a move alone splits the siblings placed together, and refuses it without a reason (in
    English and Spanish, beside the reason); with a reason the move is recorded."""
    client, keys = county
    ranked = _group(client, keys["coordinator"])
    first = ranked["candidates"][0]
    sign_in(client, keys["coordinator"])
    child = ranked["children"][0]
    page = client.get(f"/pages/children/{child}").text
    assert _decide(client, child, page, first["home_id"]).status_code == 303
    mover, stays = first["children"][0], first["children"][1]
    page = client.get(f"/pages/children/{mover}").text
    lives = re.search(r'<p id="lives-in">(.*?)</p>', page, re.S)
    assert lives is not None
    assert lives.group(1).strip().startswith(f"{mover} lives in home {first['home_id']} since ")
    assert f'id="waiting-{mover}"' not in page  # not a waiting child any more
    assert f"Move {mover} to another home" in page and "Record the move" in page
    warning = re.search(r'<p class="alert warn" id="split-warning">(.*?)</p>', page, re.S)
    assert warning is not None and stays in warning.group(1)
    assert f"Moving {mover} alone separates them from " in warning.group(1)
    assert re.search(
        r'<textarea id="reason" name="reason" rows="3" maxlength="2000" required', page
    )
    options = decision_form(page)[0]
    for lang, expected in (
        ("en", f"Not recorded: give a reason. The decision moves {mover} out of home"),
        ("es", f"No se registró: indique un motivo. La decisión traslada a {mover} fuera"),
    ):
        spoken = client.get(f"/pages/children/{mover}?lang={lang}").text
        refused = _decide(client, mover, spoken, options[0])
        assert refused.status_code == 422
        assert _field_error(refused.text, "reason").startswith(expected)
    spanish = client.get(f"/pages/children/{mover}?lang=es").text
    assert f"Trasladar solo a {mover} lo/la separa de " in spanish
    moved = _decide(client, mover, spanish, options[0], reason="a safety plan keeps them apart")
    assert moved.status_code == 303
    with Session(engine_of(client)) as session:
        homes = (
            session.execute(
                select(col(Placement.home_id)).where(
                    col(Placement.child_id) == mover, col(Placement.ended_on).is_(None)
                )
            )
            .scalars()
            .all()
        )
    assert homes == [options[0]]


def test_the_api_asks_a_reason_for_a_move(county: tuple[TestClient, dict[str, str]]) -> None:
    """``moves_from`` without a reason is a 422 on ``body.reason``, even for the top home."""
    from tests.helpers.auth import bearer

    client, keys = county
    ranked = _group(client, keys["coordinator"])
    first = ranked["candidates"][0]
    sign_in(client, keys["coordinator"])
    child = ranked["children"][0]
    _decide(client, child, client.get(f"/pages/children/{child}").text, first["home_id"])
    mover = first["children"][0]
    again = client.post(
        "/v1/matches", json={"child_id": mover}, headers=bearer(keys["coordinator"])
    ).json()
    top = again["candidates"][0]["home_id"]
    body = {
        "placements": [{"child_id": mover, "home_id": top, "moves_from": first["home_id"]}],
        "participants": [{"role": "caseworker"}],
        "options_shown": [top],
    }
    answer = client.post("/v1/decisions", json=body, headers=bearer(keys["coordinator"]))
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert error["loc"] == ["body", "reason"]
    assert f"{mover} (from {first['home_id']})" in error["message"]


def test_an_icwa_childs_page_says_what_the_tiers_and_good_cause_mean(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Ana is under ICWA: her page says the Act applies to her, lists the four tiers of
    25 U.S.C. 1915(b) and what good cause is, in English and Spanish; a child not under ICWA
    gets no such section."""
    client, keys = county
    ids = icwa_siblings_split_by_a_kin_home(engine_of(client))
    sign_in(client, keys["coordinator"])
    page = client.get(f"/pages/children/{ids['ana']}?lang=en").text
    section = page[
        page.index('<section class="icwa"') : page.index(
            "</section>", page.index('<section class="icwa"')
        )
    ]
    assert f"The Indian Child Welfare Act applies to {ids['ana']}." in section
    assert "25 U.S.C. 1915(b)" in section
    tiers = re.findall(r"<li>(Tier \d): ([^<]*)</li>", section)
    assert [t for t, _ in tiers] == ["Tier 1", "Tier 2", "Tier 3", "Tier 4"]
    assert (
        "extended family" in tiers[0][1]
        and "licensed, approved or specified by the child&#39;s tribe" in tiers[1][1]
    )
    assert "non-Indian licensing authority" in tiers[2][1] and "institution" in tiers[3][1]
    assert "Good cause:" in section and "sibling attachment" in section
    spanish = client.get(f"/pages/children/{ids['ana']}?lang=es").text
    assert "Se aplica la ICWA" in spanish and "Causa justificada:" in spanish
    with Session(engine_of(client)) as session:
        plain = next(
            c
            for c in waiting_children(session)
            if (record := session.get(Child, c)) is not None
            and record.icwa == "no"
            and record.sibling_group_id is None
        )
    assert 'class="icwa"' not in client.get(f"/pages/children/{plain}").text


def test_the_waiting_list_is_longest_waiting_first_and_says_so(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """The list's days waiting never go up from one row to the next, and the page says the
    order; in Spanish too."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    page = client.get("/pages/children").text
    days = [
        int(d.replace(",", "")) for d in re.findall(r'<td class="n">([\d,]+)</td>\s*</tr>', page)
    ]
    assert len(days) > 10
    assert days == sorted(days, reverse=True)
    assert "Longest waiting first" in page
    assert "Primero quien más espera" in client.get("/pages/children?lang=es").text


def test_the_all_siblings_badge_shows_only_for_sibling_groups(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """A child without siblings gets no siblings badge on any home; a group does."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    ranked = _group(client, keys["coordinator"])
    group = client.get(f"/pages/children/{ranked['children'][0]}").text
    assert "Does not take all siblings" in group
    with Session(engine_of(client)) as session:
        alone = [
            c
            for c in waiting_children(session)
            if (record := session.get(Child, c)) is not None and record.sibling_group_id is None
        ]
    # the first child alone with a home to show
    page = next(
        p for c in alone if 'class="home-card"' in (p := client.get(f"/pages/children/{c}").text)
    )
    assert "all siblings" not in page and 'class="takes"' not in page
    assert "kin homes of this child first, then the others" in page


def test_spanish_pages_say_removal_faith_and_the_demo_key_in_spanish(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """No "retiro" for the removal, a recorded faith code in Spanish, and a demo key named by
    its role in Spanish."""
    from api.services.keys import demo_keys
    from data.db import session_scope

    client, _ = county
    with session_scope(engine_of(client)) as session:
        demo = demo_keys(session)
    sign_in(client, demo["coordinator"])
    ranked = _group(client, demo["coordinator"])
    page = client.get(f"/pages/children/{ranked['children'][0]}?lang=es").text
    assert "retiro" not in page and "retirado" not in page
    assert "del domicilio del que fue separado/a" in page
    assert "Sesión con la clave de demostración de coordinación de colocaciones" in page
    assert "demo coordinator" not in page
    english = client.get(f"/pages/children/{ranked['children'][0]}?lang=en").text
    assert "Signed in with the demo key of the placement coordinator" in english
    whose: dict[str, Any] = {"key": "whose.child", "args": {}}
    shares: dict[str, Any] = {"key": "faith.shares", "args": {"whose": whose, "faith": "catholic"}}
    assert said(shares, "es") == "comparte la fe del niño (católica)"
    assert said(shares, "en") == "shares the child's faith (catholic)"
    other = {"key": "faith.shares", "args": {"whose": whose, "faith": "Quaker"}}
    assert said(other, "es") == "comparte la fe del niño (Quaker)"
