"""The pages for people without a browser: sign in and out, the cookie, each page for each
role, the decision form, the audit entries and the translation table."""

from __future__ import annotations

import re
import string
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from api.http.app import create_app
from api.pages import session as cookie
from api.pages.i18n import TEXT, format_date, format_number, translate
from api.services.keys import ROLES, revoke_key
from data.db import session_scope
from data.models import AuditEntry, Episode
from data.queries import waiting_children
from tests.helpers.app import engine_of
from tests.helpers.auth import bearer
from tests.helpers.pages import (
    TEMPLATES,
    a_child_in_a_family_home,
    a_done_plan_for_half_the_waiting,
    a_spanish_teen_turning_18,
    a_waiting_child,
    count_rows,
    csrf_of,
    decision_form,
    sign_in,
    signin_token,
)


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
        data={"api_key": keys["coordinator"], "next": "/pages/children", **signin_token(client)},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/pages/children"
    set_cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{cookie.COOKIE}=")
    )
    assert "HttpOnly" in set_cookie
    assert "samesite=lax" in set_cookie.lower()
    assert "Path=/pages" in set_cookie
    assert keys["coordinator"] not in set_cookie


def test_a_wrong_key_signs_nobody_in(county: tuple[TestClient, dict[str, str]]) -> None:
    """An unknown key answers 401 with a message and sets no cookie."""
    client, _ = county
    answer = client.post("/pages/signin", data={"api_key": "fm_nope_nope", **signin_token(client)})
    assert answer.status_code == 401
    assert "unknown or revoked" in answer.text
    assert not any(c.startswith(f"{cookie.COOKIE}=") for c in answer.headers.get_list("set-cookie"))


def test_signing_in_needs_the_sign_in_forms_token(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """A sign-in posted without the form's token, with another browser's token, or with the
    token but without its pre-session cookie signs nobody in (login CSRF): 403, no session."""
    client, keys = county
    key = {"api_key": keys["coordinator"]}
    token = signin_token(client)
    elsewhere = TestClient(client.app)
    theirs = signin_token(elsewhere)
    for data, drop_cookie in ((key, False), ({**key, **theirs}, False), ({**key, **token}, True)):
        if drop_cookie:
            client.cookies.clear()
        answer = client.post("/pages/signin", data=data, follow_redirects=False)
        assert answer.status_code == 403
        assert "out of date" in answer.text
        assert not any(
            c.startswith(f"{cookie.COOKIE}=") for c in answer.headers.get_list("set-cookie")
        )
    # the page it answers with is a fresh form that works
    fresh = re.search(r'name="csrf" value="([^"]+)"', answer.text)
    assert fresh is not None
    ok = client.post("/pages/signin", data={**key, "csrf": fresh.group(1)}, follow_redirects=False)
    assert ok.status_code == 303


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
    engine = engine_of(client)
    with session_scope(engine) as session:
        key_id = cookie.read_cookie(client.cookies.get(cookie.COOKIE))
        assert key_id is not None
        revoke_key(session, key_id)
    assert client.get("/pages/children", follow_redirects=False).status_code == 303


def test_sign_out_clears_the_cookie(county: tuple[TestClient, dict[str, str]]) -> None:
    """After signing out the pages lead to sign-in again."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    token = csrf_of(client.get("/pages/gaps").text)
    answer = client.post("/pages/signout", data=token, follow_redirects=False)
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
        data={
            "api_key": keys["coordinator"],
            "next": "//elsewhere.example/pages",
            **signin_token(client),
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/pages/"


# what each role may open, as the API's permissions: children:read, matches, gaps
ALLOWED = {
    "admin": {"children", "child", "gaps", "community", "csv"},
    "case_system": {"children", "child"},
    "coordinator": {"children", "child", "gaps", "community", "csv"},
    "recruiter": {"gaps", "community", "csv"},
    "monitor": set(),  # /metrics only
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


def test_a_days_filter_that_is_no_number_is_said_beside_it(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """``days=abc`` is not silently ignored: 422, the list unfiltered by days, and a sentence
    beside the field in the page's language."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    everyone = len(re.findall(r'href="/pages/children/C', client.get("/pages/children").text))
    for lang, words in (("en", "is not a number of days"), ("es", "no es un número de días")):
        page = client.get(f"/pages/children?days=abc&lang={lang}")
        assert page.status_code == 422
        assert 'id="error-days"' in page.text and words in page.text
        assert "“abc”" in page.text or "«abc»" in page.text
        assert len(re.findall(r'href="/pages/children/C', page.text)) == everyone
        assert 'aria-invalid="true"' in page.text


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
    with Session(engine_of(client)) as session:
        entries = session.execute(
            select(AuditEntry).where(col(AuditEntry.action) == "match")
        ).scalars()
        assert any(child in e.child_ids and e.role == "coordinator" for e in entries)


def test_an_unknown_child_is_not_found(county: tuple[TestClient, dict[str, str]]) -> None:
    """A child id with no record answers 404 with a page."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    assert client.get("/pages/children/NOBODY").status_code == 404


def test_a_decision_through_the_page_takes_a_bed(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """The top-ranked home needs no reason; the post redirects (303) to the decision's page,
    which shows the placement and one bed fewer."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    page = client.get(f"/pages/children/{child}").text
    shown, takes = decision_form(page)
    before = int(re.search(rf'data-home="{shown[0]}" data-free="(\d+)"', page).group(1))  # type: ignore[union-attr]
    answer = client.post(
        f"/pages/children/{child}/decision",
        data={
            "participant": ["caseworker", "youth"],
            "home": shown[0],
            "options_shown": shown,
            **takes,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert re.fullmatch(r"/pages/decisions/\d+", answer.headers["location"])
    answer = client.get(answer.headers["location"])
    assert answer.status_code == 200
    after = int(re.search(rf'data-home="{shown[0]}" data-free="(\d+)"', answer.text).group(1))  # type: ignore[union-attr]
    assert after == before - 1
    assert f"{child} is placed in home {shown[0]}" in answer.text
    with Session(engine_of(client)) as session:
        actions = session.execute(select(col(AuditEntry.action))).scalars().all()
    assert "decision" in actions


def test_a_decision_off_the_top_needs_a_reason(county: tuple[TestClient, dict[str, str]]) -> None:
    """Choosing rank 2 without a reason is refused with 422 and a sentence beside the reason
    field naming the first-ranked home; the field is marked and has the focus."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    shown, takes = decision_form(client.get(f"/pages/children/{child}").text)
    assert len(shown) >= 2
    answer = client.post(
        f"/pages/children/{child}/decision",
        data={"participant": "caseworker", "home": shown[1], "options_shown": shown, **takes},
    )
    assert answer.status_code == 422
    error = re.search(
        r'<p class="field-error" role="alert" id="error-reason">(.*?)</p>', answer.text
    )
    assert error is not None
    assert error.group(1) == (
        f"Not recorded: give a reason. Home {shown[1]} is not the first-ranked home "
        f"({shown[0]}), so the team says why it chose it."
    )
    # right above the reason box, which says it is invalid and takes the focus
    box = answer.text[error.end() : answer.text.index("</textarea>", error.end())]
    assert box.lstrip().startswith('<textarea id="reason"')
    assert 'aria-invalid="true" aria-describedby="error-reason" autofocus' in box
    assert "the decision was not recorded" not in answer.text  # no API text


def test_a_bed_taken_meanwhile_answers_409_on_the_page(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """The same transaction as the API: the second decision for the last bed gets 409."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    page = client.get(f"/pages/children/{child}").text
    shown, takes = decision_form(page)
    free = re.findall(r'data-home="([^"]+)" data-free="1"', page)
    assert free, "a candidate home with exactly one free bed"
    home = free[0]
    reason = {"reason": "the team chose it"}
    data = {"participant": "caseworker", "home": home, "options_shown": shown, **takes, **reason}
    taken = client.post(f"/pages/children/{child}/decision", data=data, follow_redirects=False)
    assert taken.status_code == 303
    other = next(c for c in a_list_of_waiting(client) if c != child)
    again = {**data, f"children:{home}": other}
    answer = client.post(f"/pages/children/{other}/decision", data=again)
    assert answer.status_code in (409, 422)  # 422 when the home left the other child's options
    assert "Not recorded" in answer.text


def a_list_of_waiting(client: TestClient) -> list[str]:
    """The waiting children now."""
    with Session(engine_of(client)) as session:
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
    # the page's download links keep its horizon (the 24-month table is not the 12-month one)
    page = client.get("/pages/gaps?segment=all&horizon=24").text
    link = re.search(r'href="(/pages/gaps\.csv\?[^"]+)"', page)
    assert link is not None
    linked = client.get(link.group(1).replace("&amp;", "&")).text
    assert linked == client.get("/pages/gaps.csv?segment=all&horizon=24").text
    assert linked != client.get("/pages/gaps.csv?segment=all&horizon=12").text


def test_the_community_page_lists_partners_and_languages(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """A community's figures per segment and its outreach partners with their languages."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    page = client.get("/pages/communities/51").text
    assert "Outreach partners" in page and "Ages 0-5" in page
    assert re.search(r"<td>(English|Spanish)(, [A-Z][a-z]+)*</td>", page)
    spanish = client.get("/pages/communities/51?lang=es").text
    assert re.search(r"<td>(inglés|español)(, \w+)*</td>", spanish)
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
    engine = engine_of(first)
    with TestClient(create_app(engine)) as client:  # this one runs plan jobs
        _plan_beside_greedy(client, keys)


def _plan_beside_greedy(client: TestClient, keys: dict[str, str]) -> None:
    import time

    sign_in(client, keys["coordinator"])
    form = client.get("/pages/plans")
    assert form.status_code == 200
    started = client.post(
        "/pages/plans",
        data={"time_limit_s": "5", "seed": "0", **csrf_of(form.text)},
        follow_redirects=False,
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
    assert "Today&#39;s practice" in page.text and 'id="assignments"' in page.text
    # the solver's status as the API gives it: "done" alone once hid an unproven plan
    job = client.get(f"/v1/plans/{follow.rsplit('/', 1)[1]}", headers=bearer(keys["coordinator"]))
    solver = re.search(r'<span id="plan-solver">([^<]*)</span>', page.text)
    assert solver is not None
    if job.json()["status"] == "optimal":
        assert "(proven)" in solver.group(1)
    else:
        assert "not proven optimal" in solver.group(1) or "no bound" in solver.group(1)
    link = re.search(r'href="(/pages/plans/[0-9a-f]+/children/[^"]+)"', page.text)
    assert link is not None
    explained = client.get(link.group(1).replace("&amp;", "&"))
    assert explained.status_code == 200 and "Explanation for" in explained.text
    sign_in(client, keys["recruiter"])
    assert client.get(follow).status_code == 403


def test_nothing_comes_from_the_internet_and_every_page_has_landmarks() -> None:
    """No template loads a script, a font or a stylesheet from elsewhere (the only scripts are
    the gap map's, from this site); the frame has a skip link to the main landmark and a
    labelled navigation."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["'](https?:)?//""", text), template.name
        sources = re.findall(r"<script src=\"([^\"]+)\"", text)
        assert all(s.startswith("/pages/static/map/") for s in sources), template.name
    base = (TEMPLATES / "base.html").read_text()
    assert 'class="skip" href="#main"' in base and '<main id="main"' in base
    assert "<nav aria-label=" in base


def _gap_map_of(text: str) -> tuple[str, list[str], dict[str | None, tuple[str | None, str]]]:
    """The gap map in a page or a file: its heading, its legend's lines and, per community,
    its link (``None`` without one) and its tooltip."""
    from xml.etree import ElementTree

    ns = "{http://www.w3.org/2000/svg}"
    root = ElementTree.fromstring(text[text.index("<svg") : text.index("</svg>") + len("</svg>")])
    heading = root.findtext(f"{ns}title") or ""
    legend = [line.text or "" for line in root.iterfind(f".//{ns}g[@id='legend']/{ns}text")]
    communities: dict[str | None, tuple[str | None, str]] = {}
    for shape in root.iterfind(f".//{ns}g[@id='communities']/*"):
        path = shape.find(f"{ns}path") if shape.tag == f"{ns}a" else shape
        assert path is not None
        communities[path.get("data-id")] = (shape.get("href"), shape.findtext(f"{ns}title") or "")
    return heading, legend, communities


def test_the_spanish_gap_map_speaks_spanish(county: tuple[TestClient, dict[str, str]]) -> None:
    """On the Spanish page and in its download the map's heading, legend and tooltips are
    Spanish, with the segment's Spanish name and a decimal comma."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    for text in (client.get("/pages/gaps?lang=es").text, client.get("/pages/gaps.svg").text):
        heading, legend, communities = _gap_map_of(text)
        assert heading.startswith(
            "Déficit de familias, Todos los niños: hogares necesarios menos hogares previstos "
            "(a 12 meses desde el "
        )
        assert legend[:2] == [
            "Déficit, Todos los niños",
            "hogares necesarios menos hogares previstos",
        ]
        assert "omitido" in legend and "Señale una comunidad para ver sus cifras." in legend
        tips = [tip for _, tip in communities.values()]
        assert any(
            re.search(r"\ndéficit de [+-][\d.]*\d,\d hogares \(intervalo de ", t) for t in tips
        )
        assert all(t.split("\n")[1].startswith("Todos los niños") for t in tips)
        words = " ".join([heading, *legend, *tips])
        for english in ("homes", "segment", "Gap", "suppressed", "figures", "months", "recruit"):
            assert english not in words


def test_the_gap_page_links_every_community(county: tuple[TestClient, dict[str, str]]) -> None:
    """Each community of the page's map links to its page for the same segment and horizon,
    titled with its tooltip; the hint says how to use the keyboard."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    page = client.get("/pages/gaps?segment=age:0-5&horizon=24").text
    assert "press Tab to move through the communities and Enter" in page
    heading, _, communities = _gap_map_of(page)
    assert heading.startswith("Recruitment gap, Ages 0-5: ")
    assert len(communities) > 1
    for community, (href, tip) in communities.items():
        assert href == f"/pages/communities/{community}?segment=age%3A0-5&horizon=24"
        assert tip.split("\n")[1].startswith("Ages 0-5")
    href, tip = next(iter(communities.values()))
    assert href is not None
    opened = client.get(href)
    assert opened.status_code == 200
    assert tip.split(" (")[0] in opened.text  # the community's name


def test_the_downloaded_gap_map_has_no_links(county: tuple[TestClient, dict[str, str]]) -> None:
    """The SVG file has the page's tooltips but no links (it leaves the site)."""
    client, keys = county
    sign_in(client, keys["recruiter"])
    page = _gap_map_of(client.get("/pages/gaps?segment=age:0-5").text)[2]
    download = client.get("/pages/gaps.svg?segment=age:0-5&horizon=12").text
    assert "<a " not in download and 'role="img"' in download
    communities = _gap_map_of(download)[2]
    assert {c: tip for c, (_, tip) in page.items()} == {
        c: tip for c, (_, tip) in communities.items()
    }
    assert {href for href, _ in communities.values()} == {None}


def test_a_form_without_the_session_token_changes_nothing(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Decision, plan and sign-out posts without the token, or with a wrong one, get a 403
    page and record nothing: no decision, no placement, no plan, the session goes on."""
    from data.models import Decision, Placement, PlanJob

    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    page = client.get(f"/pages/children/{child}").text
    shown, takes = decision_form(page)
    takes.pop("csrf")
    data: dict[str, Any] = {
        **takes,
        "participant": "caseworker",
        "home": shown[0],
        "options_shown": shown,
    }
    before = (
        count_rows(client, Decision),
        count_rows(client, Placement),
        count_rows(client, PlanJob),
    )
    wrong = cookie.form_token(cookie.sign(1))  # a token of another session
    tokens: list[dict[str, str]] = [
        {},
        {"csrf": ""},
        {"csrf": "x" * 43},
        {"csrf": wrong},
        {"csrf": "é"},
    ]
    for token in tokens:
        posts: dict[str, dict[str, Any]] = {
            f"/pages/children/{child}/decision": {**data, **token},
            "/pages/plans": {"time_limit_s": "5", "seed": "0", **token},
            "/pages/signout": token,
        }
        for path, form in posts.items():
            answer = client.post(path, data=form, follow_redirects=False)
            assert answer.status_code == 403, (path, token)
            assert "Nothing was changed" in answer.text and 'role="alert"' in answer.text
    after = (
        count_rows(client, Decision),
        count_rows(client, Placement),
        count_rows(client, PlanJob),
    )
    assert after == before
    assert client.get("/pages/children", follow_redirects=False).status_code == 200
    spanish = client.post("/pages/plans?lang=es", data={"time_limit_s": "5"})
    assert spanish.status_code == 403 and "No se cambió nada" in spanish.text


def test_the_form_token_is_bound_to_the_session(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Every signed-in form carries the session's token; a new sign-in makes a new token and
    the old one no longer works."""
    import time

    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    first = csrf_of(client.get(f"/pages/children/{child}").text)
    for path in ("/pages/children", "/pages/plans", f"/pages/children/{child}"):
        page = client.get(path).text
        forms = re.findall(r'<form[^>]*method="post".*?</form>', page, flags=re.S)
        assert forms, path
        assert all(f'name="csrf" value="{first["csrf"]}"' in form for form in forms), path
    key_id = cookie.read_cookie(client.cookies.get(cookie.COOKIE))
    assert key_id is not None
    # the same key signed in a minute earlier: another valid session, another token
    client.cookies.clear()
    client.cookies.set(cookie.COOKIE, cookie.sign(key_id, now=time.time() - 60))
    page = client.get(f"/pages/children/{child}").text
    assert csrf_of(page) != first
    shown, takes = decision_form(page)
    data: dict[str, Any] = {
        **takes,
        "participant": "caseworker",
        "home": shown[0],
        "options_shown": shown,
    }
    stale = client.post(f"/pages/children/{child}/decision", data={**data, **first})
    assert stale.status_code == 403


def _a_child_waiting_since_before_yesterday(client: TestClient) -> tuple[str, date]:
    """A waiting child whose removal and current stay began before yesterday, and the day
    after the later of the two (a start day the service accepts)."""
    from datetime import timedelta

    from data.models import Placement

    yesterday = date.today() - timedelta(days=1)
    with Session(engine_of(client)) as session:
        for child in waiting_children(session):
            days = [
                *session.execute(
                    select(col(Episode.removed_on)).where(
                        col(Episode.child_id) == child, col(Episode.discharged_on).is_(None)
                    )
                ).scalars(),
                *session.execute(
                    select(col(Placement.started_on)).where(
                        col(Placement.child_id) == child, col(Placement.ended_on).is_(None)
                    )
                ).scalars(),
            ]
            if days and max(days) < yesterday:
                return child, max(days) + timedelta(days=1)
    raise AssertionError("the sample county has a child waiting for more than two days")


def test_the_chosen_start_date_reaches_the_placement(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """The form offers today (and nothing later); a chosen earlier day is the placement's
    start, on the confirmation page and in the records."""
    from data.models import Placement

    client, keys = county
    sign_in(client, keys["coordinator"])
    child, day = _a_child_waiting_since_before_yesterday(client)
    page = client.get(f"/pages/children/{child}").text
    today = date.today().isoformat()
    assert re.search(
        rf'<input type="date" id="started-on" name="started_on" required max="{today}"\s+'
        rf'value="{today}">',
        page,
    )
    assert '<label for="started-on">' in page
    shown, takes = decision_form(page)
    data = {"participant": "caseworker", "home": shown[0], "options_shown": shown, **takes}
    # the service ranks as of the start day, when another home may have been the first
    reason = {"reason": "the team met that day"}
    answer = client.post(
        f"/pages/children/{child}/decision",
        data={**data, **reason, "started_on": day.isoformat()},
    )
    assert answer.status_code == 200, answer.text  # the decision's page, after the redirect
    assert f"{child} is placed in home {shown[0]} from {format_date(day, 'en')}." in answer.text
    with Session(engine_of(client)) as session:
        placed = session.execute(
            select(Placement).where(
                col(Placement.child_id) == child, col(Placement.ended_on).is_(None)
            )
        ).scalar_one()
    assert (placed.home_id, placed.started_on) == (shown[0], day)


def test_a_start_date_that_is_no_date_or_in_the_future_records_nothing(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """An unparsable day gives the form back with a translated message and what was typed; a
    day after today is refused by the service; neither records anything."""
    from datetime import timedelta

    from data.models import Decision, Placement

    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    shown, takes = decision_form(client.get(f"/pages/children/{child}").text)
    data = {"participant": "caseworker", "home": shown[0], "options_shown": shown, **takes}
    before = (count_rows(client, Decision), count_rows(client, Placement))
    path = f"/pages/children/{child}/decision"
    bad = client.post(path, data={**data, "started_on": "31/02/2026"})
    assert bad.status_code == 422
    assert "Not recorded: “31/02/2026” is not a date." in bad.text
    assert 'value="31/02/2026"' in bad.text and 'id="error-started_on"' in bad.text
    spanish = client.post(f"{path}?lang=es", data={**data, "started_on": "mañana"})
    assert spanish.status_code == 422 and "«mañana» no es una fecha" in spanish.text
    later = (date.today() + timedelta(days=1)).isoformat()
    future = client.post(f"{path}?lang=en", data={**data, "started_on": later})
    assert future.status_code == 422
    assert "Not recorded: the start date is after today." in future.text
    assert 'id="error-started_on"' in future.text
    assert (count_rows(client, Decision), count_rows(client, Placement)) == before


def _listed(page: str) -> list[str]:
    """The child ids of a waiting-list page, in order."""
    return re.findall(r'<th scope="row"><a href="/pages/children/([^"]+)">', page)


def _pager(page: str) -> dict[str, str]:
    """The previous and next links of a waiting-list page, by their rel."""
    nav = re.search(r'<nav class="pager" aria-label="Pages of the list">.*?</nav>', page, re.S)
    assert nav is not None, "the list has a labelled page navigation"
    links = re.findall(r'<a href="([^"]+)" rel="(prev|next)">', nav.group(0))
    return {rel: href.replace("&amp;", "&") for href, rel in links}


def test_the_waiting_list_in_pages_of_a_hundred(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Page 2 shows the next hundred rows, says which rows they are, links back and on; the
    audit entry of each page names only the children on it."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    everyone = a_list_of_waiting(client)
    assert len(everyone) > 200, "the sample county has three pages of waiting children"
    first = client.get("/pages/children").text
    assert len(_listed(first)) == 100
    assert f"Rows 1–100 of {len(everyone)}" in first
    assert _pager(first) == {"next": "/pages/children?page=2"}
    second = client.get("/pages/children?page=2").text
    assert f"Rows 101–200 of {len(everyone)}" in second and "Page 2 of 3" in second
    assert _pager(second) == {"prev": "/pages/children?page=1", "next": "/pages/children?page=3"}
    shown = _listed(second)
    assert len(shown) == 100 and not set(shown) & set(_listed(first))
    with Session(engine_of(client)) as session:
        last = (
            session.execute(
                select(AuditEntry)
                .where(col(AuditEntry.action) == "list_children")
                .order_by(col(AuditEntry.id).desc())
            )
            .scalars()
            .first()
        )
    assert last is not None and sorted(last.child_ids) == sorted(shown)
    third = client.get("/pages/children?page=3").text
    assert len(_listed(third)) == len(everyone) - 200
    assert _pager(third) == {"prev": "/pages/children?page=2"}
    assert sorted(_listed(first) + shown + _listed(third)) == sorted(everyone)
    spanish = client.get("/pages/children?page=2&lang=es").text
    assert f"Filas 101–200 de {len(everyone)}" in spanish and 'rel="next">Siguiente<' in spanish


def test_the_page_links_keep_the_filters_and_odd_pages_are_clamped(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Previous and next keep every filter; a page past the end shows the last page and a
    page that is no number shows the first, never an error."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    query = "age=&siblings=alone&days=0&q=C"
    matching = len(_listed(client.get(f"/pages/children?{query}&page=1").text))
    assert matching == 100, "more than a page of children waiting alone"
    page = client.get(f"/pages/children?{query}").text
    following = _pager(page)["next"]
    assert following == "/pages/children?q=C&siblings=alone&days=0&page=2"
    second = client.get(following).text
    assert _pager(second)["prev"] == "/pages/children?q=C&siblings=alone&days=0&page=1"
    last = client.get(f"/pages/children?{query}&page=2").text
    for odd, same_as in (("99999", last), ("9" * 5000, last), ("0", page), ("x", page)):
        answer = client.get(f"/pages/children?{query}&page={odd}")
        assert answer.status_code == 200, odd
        assert _listed(answer.text) == _listed(same_as), odd
    unfiltered = _listed(client.get("/pages/children").text)
    for odd in ("-1", "²", "1.5"):  # "²".isdigit() is true, int("²") fails
        answer = client.get(f"/pages/children?days={odd}&page={odd}")
        assert answer.status_code == 422, odd  # the days are no whole number: said beside them
        assert 'id="error-days"' in answer.text, odd
        assert _listed(answer.text) == unfiltered, odd


def test_plan_page_shows_equity_to_supervisors_only(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Admin and coordinator see the Equity section (baseline beside, small groups suppressed,
    the read audit-logged); a case system sees the plan without it."""
    client, keys = county
    engine = engine_of(client)
    job_id = a_done_plan_for_half_the_waiting(engine)
    for role in ("admin", "coordinator"):
        sign_in(client, keys[role])
        page = client.get(f"/pages/plans/{job_id}")
        assert page.status_code == 200 and 'id="equity"' in page.text
        assert page.text.count('class="list equity"') == 3
        assert "suppressed (small group)" in page.text and "(reference)" in page.text
    spanish = client.get(f"/pages/plans/{job_id}?lang=es")
    assert "Equidad" in spanish.text and "omitido (grupo pequeño)" in spanish.text
    sign_in(client, keys["case_system"])
    page = client.get(f"/pages/plans/{job_id}")
    assert page.status_code == 200 and 'id="equity"' not in page.text
    with Session(engine) as session:
        logged = session.execute(
            select(AuditEntry).where(col(AuditEntry.action) == "plan_equity")
        ).scalars()
        assert {e.role for e in logged} == {"admin", "coordinator"}


def test_the_child_page_says_waiting_days_the_18th_birthday_and_what_counts_against(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Eva's page: 30 days waiting, her 18th birthday in 100 days, and "does not speak
    Spanish" against her only home, beside what speaks for it; in Spanish too."""
    client, keys = county
    ids = a_spanish_teen_turning_18(engine_of(client))
    sign_in(client, keys["coordinator"])
    page = client.get(f"/pages/children/{ids['eva']}?lang=en").text
    waiting = re.search(r'<li id="waiting-ZE-EVA">(.*?)</li>', page, re.S)
    assert waiting is not None
    assert "ZE-EVA: waiting 30 days for a family home" in waiting.group(1)
    said = format_date(date.fromisoformat(ids["birthday"]), "en")
    assert f"turns 18 on {said} (in {ids['days']} days)" in waiting.group(1)
    card = page[page.index('id="home-ZE-HOME"') :]
    against = card[
        card.index('class="against"') : card.index("</ul>", card.index('class="against"'))
    ]
    assert "does not speak Spanish, the child&#39;s first language" in against
    assert 'class="for"' in card
    spanish = client.get(f"/pages/children/{ids['eva']}?lang=es").text
    assert "ZE-EVA: en espera de un hogar de familia desde hace 30 días" in spanish
    assert "no habla español, primer idioma del niño" in spanish
    assert "cumple 18 años el" in spanish


def test_a_child_in_a_family_home_shows_where_and_moves_on_purpose(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """A child living in a family home placed over its beds: the page says where since when and
    the waiver (English and Spanish); its decision form moves the child from that home."""
    from data.models import Placement

    client, keys = county
    engine = engine_of(client)
    child, home = a_child_in_a_family_home(engine, "a <b>night</b> emergency")
    sign_in(client, keys["coordinator"])
    page = client.get(f"/pages/children/{child}").text
    assert f"{child} lives in home {home} since" in page
    assert "capacity waiver: a &lt;b&gt;night&lt;/b&gt; emergency" in page
    assert f'name="moves_from" value="{home}"' in page
    spanish = client.get(f"/pages/children/{child}?lang=es").text
    assert f"{child} vive en el hogar {home} desde" in spanish
    assert "excepción de capacidad" in spanish
    shown, takes = decision_form(page)
    answer = client.post(
        f"/pages/children/{child}/decision",
        data={
            "participant": "caseworker",
            "home": shown[0],
            "options_shown": shown,
            "reason": "the family home can no longer care for the child",
            "moves_from": home,
            **takes,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    with Session(engine) as session:
        open_homes = (
            session.execute(
                select(col(Placement.home_id)).where(
                    col(Placement.child_id) == child, col(Placement.ended_on).is_(None)
                )
            )
            .scalars()
            .all()
        )
    assert open_homes == [shown[0]]
