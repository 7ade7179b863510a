"""The pages for people without a browser: sign in and out, the cookie, each page for each
role, the decision form, the audit entries and the translation table."""

from __future__ import annotations

import re
import shutil
import string
from collections.abc import Iterator
from datetime import date
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from api.app import create_app
from api.auth import ROLES, create_key, revoke_key
from api.pages import session as cookie
from api.pages.i18n import TEXT, format_date, format_number, translate
from data.db import make_engine, session_scope
from data.models import AuditEntry
from data.queries import waiting_children

TEMPLATES = Path(str(files("api") / "templates" / "pages"))


@pytest.fixture
def county(county_database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client over a writable copy of the sample county, and a key per role."""
    copy = tmp_path / "county.db"
    shutil.copy(county_database_url.removeprefix("sqlite:///"), copy)
    engine = make_engine(f"sqlite:///{copy}")
    with session_scope(engine) as session:
        keys = {role: create_key(session, role, f"pages {role}")[1] for role in ROLES}
    with TestClient(create_app(engine, run_plan_jobs=False)) as client:
        yield client, keys
    engine.dispose()


def sign_in(client: TestClient, key: str) -> None:
    """Sign the client in through the form."""
    client.cookies.clear()
    answer = client.post("/pages/signin", data={"api_key": key}, follow_redirects=False)
    assert answer.status_code == 303


def a_waiting_child(client: TestClient) -> str:
    """The first waiting child of the county."""
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return waiting_children(session)[0]


def test_a_page_without_a_session_leads_to_sign_in(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Every page but sign-in redirects there, keeping where the person was going."""
    client, _ = county
    answer = client.get("/pages/children?age=0-5", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/pages/signin?next=/pages/children%3Fage%3D0-5"


def test_the_session_cookie_is_signed_httponly_and_lax(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Signing in sets an HttpOnly, SameSite=Lax cookie holding the key's id, never the key."""
    client, keys = county
    answer = client.post(
        "/pages/signin",
        data={"api_key": keys["coordinator"], "next": "/pages/children"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/pages/children"
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith(f"{cookie.COOKIE}=")
    assert "HttpOnly" in set_cookie
    assert "samesite=lax" in set_cookie.lower()
    assert "Path=/pages" in set_cookie
    assert keys["coordinator"] not in set_cookie


def test_a_wrong_key_signs_nobody_in(county: tuple[TestClient, dict[str, str]]) -> None:
    """An unknown key answers 401 with a message and sets no cookie."""
    client, _ = county
    answer = client.post("/pages/signin", data={"api_key": "fm_nope_nope"})
    assert answer.status_code == 401
    assert "unknown or revoked" in answer.text
    assert "set-cookie" not in answer.headers


def test_a_tampered_or_expired_cookie_is_refused() -> None:
    """The MAC covers the payload; a cookie older than a working day is no session."""
    value = cookie.sign(7, now=1_000_000)
    assert cookie.read_cookie(value, now=1_000_100) == 7
    payload, mac = value.split(".")
    assert cookie.read_cookie(f"{payload}x.{mac}", now=1_000_100) is None
    assert cookie.read_cookie(f"{payload}.{mac[:-2]}AA", now=1_000_100) is None
    assert cookie.read_cookie(value, now=1_000_000 + cookie.MAX_AGE_S + 1) is None
    assert cookie.read_cookie("garbage", now=0) is None


def test_revoking_the_key_ends_the_session(county: tuple[TestClient, dict[str, str]]) -> None:
    """The key is looked up on every page, so a revoked key stops at once."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    assert client.get("/pages/children").status_code == 200
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        key_id = cookie.read_cookie(client.cookies.get(cookie.COOKIE))
        assert key_id is not None
        revoke_key(session, key_id)
    assert client.get("/pages/children", follow_redirects=False).status_code == 303


def test_sign_out_clears_the_cookie(county: tuple[TestClient, dict[str, str]]) -> None:
    """After signing out the pages lead to sign-in again."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    answer = client.post("/pages/signout", follow_redirects=False)
    assert answer.status_code == 303
    assert (
        'fm_session=""' in answer.headers["set-cookie"]
        or "Max-Age=0" in answer.headers["set-cookie"]
    )
    client.cookies.clear()
    assert client.get("/pages/gaps", follow_redirects=False).status_code == 303


def test_no_open_redirect_after_sign_in(county: tuple[TestClient, dict[str, str]]) -> None:
    """``next`` leads only to a page of this site."""
    client, keys = county
    answer = client.post(
        "/pages/signin",
        data={"api_key": keys["coordinator"], "next": "//elsewhere.example/pages"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/pages/"


# what each role may open, as the API's permissions: children:read, matches, gaps
ALLOWED = {
    "admin": {"children", "child", "gaps", "community", "csv"},
    "case_system": {"children", "child"},
    "coordinator": {"children", "child", "gaps", "community", "csv"},
    "recruiter": {"gaps", "community", "csv"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_page_for_each_role(county: tuple[TestClient, dict[str, str]], role: str) -> None:
    """A page answers 200 to the roles whose API permission covers it and 403 to the others."""
    client, keys = county
    child = a_waiting_child(client)
    pages = {
        "children": "/pages/children",
        "child": f"/pages/children/{child}",
        "gaps": "/pages/gaps",
        "community": "/pages/communities/51",
        "csv": "/pages/gaps.csv",
    }
    sign_in(client, keys[role])
    for name, path in pages.items():
        expected = 200 if name in ALLOWED[role] else 403
        assert client.get(path).status_code == expected, (role, name)


def test_a_recruiter_cannot_post_a_decision(county: tuple[TestClient, dict[str, str]]) -> None:
    """The decision form's target checks the role too."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    child = a_waiting_child(client)
    answer = client.post(f"/pages/children/{child}/decision", data={"home": "H1"})
    assert answer.status_code == 403


def test_the_waiting_list_filters(county: tuple[TestClient, dict[str, str]]) -> None:
    """Age band, siblings, setting and days waiting narrow the list; search finds one child."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    everyone = client.get("/pages/children").text
    total = len(re.findall(r'href="/pages/children/C', everyone))
    assert total > 0
    for query in ("age=0-5", "siblings=group", "setting=none", "days=365"):
        some = client.get(f"/pages/children?{query}").text
        assert len(re.findall(r'href="/pages/children/C', some)) < total, query
    child = a_waiting_child(client)
    found = client.get(f"/pages/children?q={child}").text
    assert re.findall(r'href="/pages/children/(C\d+)"', found) == [child]


def test_the_child_page_is_audited_like_the_api(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Opening a child writes a ``match`` audit entry naming the child, as POST /v1/matches."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    page = client.get(f"/pages/children/{child}")
    assert page.status_code == 200
    assert 'class="home-card"' in page.text and "<svg" in page.text
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        entries = session.execute(
            select(AuditEntry).where(col(AuditEntry.action) == "match")
        ).scalars()
        assert any(child in e.child_ids and e.role == "coordinator" for e in entries)


def test_an_unknown_child_is_not_found(county: tuple[TestClient, dict[str, str]]) -> None:
    """A child id with no record answers 404 with a page."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    assert client.get("/pages/children/NOBODY").status_code == 404


def _form(page: str) -> tuple[list[str], dict[str, str]]:
    """The options shown and the children each home takes, from the child page."""
    shown = re.findall(r'name="options_shown" value="([^"]+)"', page)
    takes = dict(re.findall(r'name="(children:[^"]+)" value="([^"]*)"', page))
    return shown, takes


def test_a_decision_through_the_page_takes_a_bed(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """The top-ranked home needs no reason; the page shows the placement and one bed fewer."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    page = client.get(f"/pages/children/{child}").text
    shown, takes = _form(page)
    before = int(re.search(rf'data-home="{shown[0]}" data-free="(\d+)"', page).group(1))  # type: ignore[union-attr]
    answer = client.post(
        f"/pages/children/{child}/decision",
        data={
            "participant": ["caseworker", "youth"],
            "home": shown[0],
            "options_shown": shown,
            **takes,
        },
    )
    assert answer.status_code == 201, answer.text
    after = int(re.search(rf'data-home="{shown[0]}" data-free="(\d+)"', answer.text).group(1))  # type: ignore[union-attr]
    assert after == before - 1
    assert f"{child} is placed in home {shown[0]}" in answer.text
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        actions = session.execute(select(col(AuditEntry.action))).scalars().all()
    assert "decision" in actions


def test_a_decision_off_the_top_needs_a_reason(county: tuple[TestClient, dict[str, str]]) -> None:
    """Choosing rank 2 without a reason is refused with 422 and the service's sentence."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    shown, takes = _form(client.get(f"/pages/children/{child}").text)
    assert len(shown) >= 2
    answer = client.post(
        f"/pages/children/{child}/decision",
        data={"participant": "caseworker", "home": shown[1], "options_shown": shown, **takes},
    )
    assert answer.status_code == 422
    assert "a reason is required" in answer.text
    assert 'role="alert"' in answer.text


def test_a_bed_taken_meanwhile_answers_409_on_the_page(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """The same transaction as the API: the second decision for the last bed gets 409."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    page = client.get(f"/pages/children/{child}").text
    shown, takes = _form(page)
    free = re.findall(r'data-home="([^"]+)" data-free="1"', page)
    assert free, "a candidate home with exactly one free bed"
    home = free[0]
    reason = {"reason": "the team chose it"}
    data = {"participant": "caseworker", "home": home, "options_shown": shown, **takes, **reason}
    assert client.post(f"/pages/children/{child}/decision", data=data).status_code == 201
    other = next(c for c in a_list_of_waiting(client) if c != child)
    again = {**data, f"children:{home}": other}
    answer = client.post(f"/pages/children/{other}/decision", data=again)
    assert answer.status_code in (409, 422)  # 422 when the home left the other child's options
    assert "Not recorded" in answer.text


def a_list_of_waiting(client: TestClient) -> list[str]:
    """The waiting children now."""
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        return waiting_children(session)


def test_gap_downloads(county: tuple[TestClient, dict[str, str]]) -> None:
    """CSV, GeoJSON and SVG of the chosen segment, as attachments."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    csv = client.get("/pages/gaps.csv?segment=age:0-5&horizon=12")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "age:0-5" in csv.text
    geo = client.get("/pages/gaps.geojson?segment=all")
    assert geo.json()["type"] == "FeatureCollection"
    svg = client.get("/pages/gaps.svg")
    assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text


def test_the_community_page_lists_partners_and_languages(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """A community's figures per segment and its outreach partners with their languages."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    page = client.get("/pages/communities/51").text
    assert "Outreach partners" in page and "Ages 0-5" in page
    assert re.search(r"<td>(en|es)(, [a-z]+)*</td>", page)
    assert client.get("/pages/communities/nowhere").status_code == 404


def test_spanish_by_query_then_cookie(county: tuple[TestClient, dict[str, str]]) -> None:
    """``?lang=es`` turns the page Spanish and keeps it in a cookie for the next pages."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    first = client.get("/pages/children?lang=es")
    assert '<html lang="es">' in first.text and "Niños en espera" in first.text
    assert "Niños en espera" in client.get("/pages/children").text
    chosen = client.get("/pages/lang?lang=en&next=/pages/children", follow_redirects=False)
    assert chosen.headers["location"] == "/pages/children"


def test_every_key_has_both_languages_and_the_same_fields() -> None:
    """The table is complete: en and es for every key, with the same {fields}."""
    fields = string.Formatter()
    for key, texts in TEXT.items():
        assert set(texts) == {"en", "es"}, key
        assert all(texts.values()), key
        names = [{f for _, f, _, _ in fields.parse(texts[lang]) if f} for lang in ("en", "es")]
        assert names[0] == names[1], key


def test_every_key_the_templates_use_is_in_the_table() -> None:
    """No page string bypasses the table."""
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([^"']+)["']""", template.read_text()))
    assert used, "the templates call t()"
    assert used - set(TEXT) == set()


def test_numbers_and_dates_per_language() -> None:
    """Thousands and decimals, months, per language."""
    assert format_number(12345.678, "en", 1) == "12,345.7"
    assert format_number(12345.678, "es", 1) == "12.345,7"
    assert format_number(None, "es") == "—"
    assert format_date(date(2026, 11, 22), "en") == "22 November 2026"
    assert format_date(date(2026, 11, 22), "es") == "22 de noviembre de 2026"
    assert translate("child.freebeds", "es", n=2) == "Camas libres: 2"


def test_a_plan_beside_the_greedy_baseline(county: tuple[TestClient, dict[str, str]]) -> None:
    """Starting a plan runs it and the greedy baseline; the page compares and explains."""
    first, keys = county
    engine = first.app.state.engine  # type: ignore[attr-defined]
    with TestClient(create_app(engine)) as client:  # this one runs plan jobs
        _plan_beside_greedy(client, keys)


def _plan_beside_greedy(client: TestClient, keys: dict[str, str]) -> None:
    import time

    sign_in(client, keys["coordinator"])
    assert client.get("/pages/plans").status_code == 200
    started = client.post(
        "/pages/plans", data={"time_limit_s": "5", "seed": "0"}, follow_redirects=False
    )
    assert started.status_code == 303
    follow = started.headers["location"]
    deadline = time.monotonic() + 120
    while True:
        page = client.get(follow)
        if 'http-equiv="refresh"' not in page.text or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert page.status_code == 200
    assert 'http-equiv="refresh"' not in page.text
    assert "Greedy baseline" in page.text and 'id="assignments"' in page.text
    link = re.search(r'href="(/pages/plans/[0-9a-f]+/children/[^"]+)"', page.text)
    assert link is not None
    explained = client.get(link.group(1).replace("&amp;", "&"))
    assert explained.status_code == 200 and "Explanation for" in explained.text
    sign_in(client, keys["recruiter"])
    assert client.get(follow).status_code == 403


def test_nothing_comes_from_the_internet_and_every_page_has_landmarks() -> None:
    """No template loads a script, a font or a stylesheet from elsewhere; the frame has a
    skip link to the main landmark and a labelled navigation."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["'](https?:)?//""", text), template.name
        assert "<script" not in text, template.name
    base = (TEMPLATES / "base.html").read_text()
    assert 'class="skip" href="#main"' in base and '<main id="main"' in base
    assert "<nav aria-label=" in base
