"""The pages defend themselves: security headers on every answer, no inline script or style
for the Content-Security-Policy to block, and forms accepted from this site only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.http.headers import API_CSP, PAGE_CSP
from api.pages import router as pages_router
from api.pages.origin import PUBLIC_ORIGIN_ENV
from data.models import Decision, Placement, PlanJob
from tests.helpers.app import app_of
from tests.helpers.pages import (
    TEMPLATES,
    a_waiting_child,
    count_rows,
    csrf_of,
    decision_form,
    sign_in,
    signin_token,
)

EVIL = "https://evil.example"


def _page_paths(client: TestClient, child: str) -> list[str]:
    """Every GET route of the pages (and the home page), its parameters filled in."""
    values = {
        "child_id": child,
        "community_id": "51",
        "plan_id": "0" * 32,
        "decision_id": "1",
        "name": "gapmap.js",
    }
    routes = [*pages_router.routes, *app_of(client).routes]
    paths = []
    for route in routes:
        if not isinstance(route, APIRoute) or "GET" not in (route.methods or set()):
            continue
        if route.path == "/" or route.path.startswith("/pages"):
            paths.append(re.sub(r"{(\w+)}", lambda m: values[m.group(1)], route.path))
    return paths


def test_every_page_route_sends_the_security_headers(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Each page route (found in the app, so a new one is covered) answers with the page CSP,
    nosniff, a same-origin referrer policy and no framing; the API answers with a CSP that
    loads nothing."""
    client, keys = county
    sign_in(client, keys["admin"])
    paths = _page_paths(client, a_waiting_child(client))
    assert {"/", "/pages/children", "/pages/gaps", "/pages/plans"} <= set(paths)
    for path in paths:
        answer = client.get(path, follow_redirects=False)
        assert answer.headers.get("content-security-policy") == PAGE_CSP, path
        assert answer.headers.get("x-content-type-options") == "nosniff", path
        assert answer.headers.get("referrer-policy") == "same-origin", path
        assert answer.headers.get("x-frame-options") == "DENY", path
    assert "'unsafe-inline'" not in PAGE_CSP and "frame-ancestors 'none'" in PAGE_CSP
    for path in ("/v1/health", "/v1/children"):  # answered, and refused
        answer = client.get(path)
        assert answer.headers["content-security-policy"] == API_CSP, path
        assert answer.headers["x-content-type-options"] == "nosniff", path


def test_no_inline_script_style_or_handler_in_the_templates() -> None:
    """What the policy would block is not there: no inline <script> (only the map's files from
    this site, and JSON data blocks that never run), no <style>, no style="" attribute, no
    on...="" handler, no javascript: link, in any template."""
    inline = re.compile(
        r'<script(?! src="/pages/static/map/[a-z]+\.js" defer></script>)'
        r'(?! type="application/json" id="[a-z-]+">)|<style|\sstyle=|\son[a-z]+=|javascript:',
        re.IGNORECASE,
    )
    templates = [*TEMPLATES.glob("*.html"), *Path(TEMPLATES).parent.glob("*.html")]
    assert len(templates) > 10
    for template in templates:
        found = inline.search(template.read_text(encoding="utf-8"))
        assert found is None, f"{template.name}: {found.group(0) if found else ''}"


def test_a_form_posted_from_another_site_is_refused(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """A decision, a plan and a sign-out posted with a valid token but from another origin
    (by Origin, else by Referer; "null" too) get a readable 403 page and change nothing;
    the same forms from this site pass."""
    client, keys = county
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    page = client.get(f"/pages/children/{child}").text
    shown, data = decision_form(page)
    decision = {**data, "participant": "caseworker", "home": shown[0], "options_shown": shown}
    plans = {"time_limit_s": "5", "seed": "0", **csrf_of(page)}
    before = (
        count_rows(client, Decision),
        count_rows(client, Placement),
        count_rows(client, PlanJob),
    )
    for header in (
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Referer": f"{EVIL}/pages/children/{child}"},
        {"Origin": "http://testserver.evil.example"},
    ):
        for path, form in (
            (f"/pages/children/{child}/decision", decision),
            ("/pages/plans", plans),
            ("/pages/signout", csrf_of(page)),
        ):
            answer = client.post(path, data=form, headers=header, follow_redirects=False)
            assert answer.status_code == 403, (path, header)
            assert "was sent from" in answer.text and 'role="alert"' in answer.text
            assert f"/pages/children/{child}" not in answer.text.split("<main")[1]
    assert (
        count_rows(client, Decision),
        count_rows(client, Placement),
        count_rows(client, PlanJob),
    ) == before
    ours = client.post(
        f"/pages/children/{child}/decision",
        data=decision,
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert ours.status_code == 303, ours.text


def test_the_sign_in_form_from_another_site_signs_nobody_in(
    county: tuple[TestClient, dict[str, str]],
) -> None:
    """Posting the sign-in form, token included, from another origin sets no session."""
    client, keys = county
    client.cookies.clear()
    form = {"api_key": keys["coordinator"], **signin_token(client)}
    answer = client.post(
        "/pages/signin", data=form, headers={"Origin": EVIL}, follow_redirects=False
    )
    assert answer.status_code == 403 and "https://evil.example" in answer.text
    assert "fm_session" not in answer.headers.get("set-cookie", "")


def test_the_configured_public_origin_is_the_only_one(
    county: tuple[TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With FOSTERMATCH_PUBLIC_ORIGIN set, a form from that origin passes and one from the
    request's own host (another scheme or name) does not."""
    client, keys = county
    monkeypatch.setenv(PUBLIC_ORIGIN_ENV, "https://fostermatch.agency.example")
    client.cookies.clear()
    form = {"api_key": keys["coordinator"], **signin_token(client)}
    refused = client.post(
        "/pages/signin", data=form, headers={"Origin": "http://testserver"}, follow_redirects=False
    )
    assert refused.status_code == 403
    passed = client.post(
        "/pages/signin",
        data=form,
        headers={"Origin": "https://fostermatch.agency.example"},
        follow_redirects=False,
    )
    assert passed.status_code == 303
