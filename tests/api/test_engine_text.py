"""The engine's sentences in Spanish: the same keys and fields as the English table."""

from __future__ import annotations

import re
import string
import time
from datetime import date

from fastapi.testclient import TestClient
from markupsafe import escape

from api.http.app import create_app
from api.pages.engine_text import SPANISH, said
from matching import Decline, PlacedSibling
from matching.factors import siblings_said
from matching.messages import ENGLISH, Message
from matching.request import PlacementRequest
from tests.helpers.app import engine_of
from tests.helpers.pages import a_waiting_child, sign_in
from tests.helpers.town import Town


def fields(template: str) -> set[str]:
    """The fields of a template with their format specs ("km:.1f", "ids")."""
    return {
        f"{name}:{spec}" if spec else name
        for _, name, spec, _ in string.Formatter().parse(template)
        if name is not None
    }


def test_every_english_key_has_spanish_with_the_same_fields() -> None:
    """Same keys both ways; each Spanish template uses the same fields with the same specs
    (a list joined with "; " stays so, a distance keeps one decimal)."""
    assert set(SPANISH) == set(ENGLISH)
    for key, english in ENGLISH.items():
        assert fields(SPANISH[key]) == fields(english), key


def test_spanish_reasons_read_as_spanish() -> None:
    """Language names, "del niño", the decimal comma and "e" before "inglés"."""
    first = Message("language.first", first=Message("language.es"), whose=Message("whose.child"))
    assert said(first.to_json(), "es") == "habla español, primer idioma del niño"
    other = Message(
        "language.other",
        spoken=[Message("language.es"), Message("language.en")],
        first=Message("language.so"),
        whose=Message("whose.id", id="C2"),
    )
    assert said(other.to_json(), "es") == (
        "habla español e inglés, otro de los idiomas de C2 (el primero: somalí)"
    )
    distance = Message("distance.removal", km=12.345)
    assert said(distance.to_json(), "es") == "a 12,3 km del domicilio del que fue separado/a"
    assert said(distance.to_json(), "en") == "12.3 km from the removal address"


def test_siblings_and_waiting_read_as_spanish() -> None:
    """Brothers in one home, a sister who lives here, the waiting line: Spanish agreement
    ("sus hermanos", "su hermana") and word order."""
    town = Town()
    placed = frozenset({PlacedSibling("C8", "male", "H2"), PlacedSibling("C9", "male", "H2")})
    boy = town.child(sex="male", placed_siblings=placed, waiting_since=date(2025, 3, 1))
    result = town.rank([boy], [town.home("H1"), town.home("H2", km=2.0)])
    reasons = {
        c.home_id: next(f.reason for f in c.factors if f.name == "siblings_together")
        for c in result.candidates
    }
    assert said(reasons["H1"].to_json(), "es") == "sus hermanos C8 y C9 viven en otro hogar (H2)"
    assert said(reasons["H2"].to_json(), "es") == "sus hermanos C8 y C9 ya viven aquí"
    line = result.waiting[0].said(town.as_of)
    assert said(line.to_json(), "es") == "C1: en espera desde hace 365 días"
    sister = PlacedSibling("C7", "female", "H1")
    here = siblings_said(PlacementRequest([town.child()]), [sister], "here")
    assert said(here.to_json(), "es") == "su hermana C7 ya vive aquí"


def test_a_result_without_keys_shows_its_english() -> None:
    """A plan finished before messages carried keys has only the sentence: shown as is."""
    assert said(None, "es", "the best, H1 (2.0 km), went to C2") == (
        "the best, H1 (2.0 km), went to C2"
    )


def test_the_child_page_says_the_reasons_in_spanish(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """On the Spanish page every reason cell is Spanish (decimal comma, no English words);
    the English page shows the same reasons as the API's JSON."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    found = client.post(
        "/v1/matches",
        json={"child_id": child},
        headers={"Authorization": f"Bearer {keys['coordinator']}"},
    ).json()
    english = client.get(f"/pages/children/{child}?lang=en").text
    for factor in found["candidates"][0]["factors"]:
        assert str(escape(factor["reason"])) in english
    spanish = client.get(f"/pages/children/{child}?lang=es").text
    cells = re.findall(r'<td class="reason">([^<]*)</td>', spanish)
    assert cells, "the page shows reasons"
    for cell in cells:
        assert not re.search(r"\b(the|from|takes|speaks|home|km from)\b", cell), cell
    assert " km del domicilio del que fue separado/a" in spanish
    assert re.search(r"a \d+,\d km del domicilio del que fue separado/a", spanish)


def test_the_plan_explanation_says_why_in_spanish(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """A plan's explanation page, in Spanish, for a placed and for an unplaced child."""
    first, keys = county
    engine = engine_of(first)
    with TestClient(create_app(engine)) as client:  # this one runs plan jobs
        sign_in(client, keys["coordinator"])
        token = re.search(r'name="csrf" value="([^"]*)"', client.get("/pages/plans").text)
        started = client.post(
            "/pages/plans",
            data={"time_limit_s": "3", "seed": "0", "csrf": token.group(1) if token else ""},
            follow_redirects=False,
        )
        assert started.status_code == 303
        plan_id = started.headers["location"].split("/")[-1].split("?")[0]
        deadline = time.monotonic() + 120
        while True:
            job = client.get(
                f"/v1/plans/{plan_id}", headers={"Authorization": f"Bearer {keys['coordinator']}"}
            ).json()
            if job["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert job["status"] == "done"
        placed = job["result"]["assignments"][0]
        unplaced = job["result"]["unplaced"][0]
        for child, message in (
            (placed["child_id"], placed["factors"][0]),
            (
                unplaced["child_id"],
                {"reason": unplaced["reasons"][0], "reason_i18n": unplaced["reasons_i18n"][0]},
            ),
        ):
            page = client.get(f"/pages/plans/{plan_id}/children/{child}?lang=es").text
            assert str(escape(said(message["reason_i18n"], "es"))) in page
            assert str(escape(message["reason"])) not in page


def test_the_call_list_sentences_are_said_in_spanish() -> None:
    """A decline's near miss and the acceptance reason render with the Spanish table."""
    town = Town()
    child = town.child(declined=frozenset({Decline("H1", date(2026, 2, 20), "child_needs")}))
    homes = [town.home("H1", km=0.5), town.home("H2", calls=5, calls_accepted=4)]
    result = town.rank([child], homes)
    miss = next(m for m in result.near_misses if m.home_id == "H1")
    assert said(miss.detail.to_json(), "es") == "rechazó el 20 de febrero: las necesidades del niño"
    factor = next(f for f in result.candidates[0].factors if f.name == "acceptance")
    assert said(factor.reason.to_json(), "es") == "aceptó 4 de sus últimas 5 llamadas"
