"""API keys, roles and the permission of every endpoint for every role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from api.cli import main
from api.http.access import route_access
from api.services.keys import PERMISSIONS, ROLES, create_key, hash_key, revoke_key
from data.db import session_scope
from data.models import ApiKey
from tests.helpers.app import app_of
from tests.helpers.auth import bearer
from tests.helpers.records import COMMUNITY, small_zip

CHILD = {"birth_date": "2016-02-03", "sex": "male", "languages": ["en"]}
DECISION = {
    "placements": [{"child_id": "C2", "home_id": "H1"}],
    "participants": [{"role": "caseworker"}],
    "options_shown": ["H1"],
    "reason": "closest to school",
}

ZIP = "zip"  # the body is the small agency as a zip upload


# every endpoint, with a request that an allowed role may make, and the permission it needs
ENDPOINTS: list[tuple[str, str, dict[str, Any] | str | None, str]] = [
    ("GET", "/v1/children", None, "children:read"),
    ("GET", "/v1/children?waiting=true", None, "children:read"),
    ("GET", "/v1/children/C1", None, "children:read"),
    ("PUT", "/v1/children/C9", CHILD, "records:write"),
    ("DELETE", "/v1/children/C404", None, "records:write"),
    ("GET", "/v1/homes", None, "homes:read"),
    ("GET", "/v1/homes/H1", None, "homes:read"),
    (
        "PUT",
        "/v1/homes/H9",
        {
            "kind": "foster",
            "status": "active",
            "latitude": 41.92,
            "longitude": -87.66,
            "capacity": 1,
        },
        "records:write",
    ),
    ("DELETE", "/v1/homes/H404", None, "records:write"),
    ("GET", "/v1/episodes", None, "children:read"),
    ("GET", "/v1/episodes/C1/2024-01-01", None, "children:read"),
    (
        "PUT",
        "/v1/episodes/C3/2024-02-01",
        {"removal_latitude": 41.86, "removal_longitude": -87.72},
        "records:write",
    ),
    ("DELETE", "/v1/episodes/C404/2024-01-01", None, "records:write"),
    ("GET", "/v1/placements", None, "children:read"),
    ("GET", "/v1/placements/C1/2024-01-02/kin_home", None, "children:read"),
    ("PUT", "/v1/placements/C1/2024-01-02/kin_home", {"home_id": "H2"}, "records:write"),
    ("DELETE", "/v1/placements/C404/2024-01-01/shelter", None, "records:write"),
    ("GET", "/v1/applicants", None, "applicants:read"),
    ("GET", "/v1/applicants/A1", None, "applicants:read"),
    ("PUT", "/v1/applicants/A9", {"stage": "inquiry", "stage_on": "2026-10-01"}, "records:write"),
    ("DELETE", "/v1/applicants/A404", None, "records:write"),
    ("GET", "/v1/partners", None, "partners:read"),
    ("GET", "/v1/partners/P1", None, "partners:read"),
    (
        "PUT",
        "/v1/partners/P9",
        {"name": "Library", "kind": "other", "latitude": 41.87, "longitude": -87.67},
        "records:write",
    ),
    ("DELETE", "/v1/partners/P404", None, "records:write"),
    ("GET", "/v1/communities", None, "partners:read"),
    ("GET", "/v1/communities/1", None, "partners:read"),
    ("PUT", "/v1/communities/4", COMMUNITY, "records:write"),
    ("DELETE", "/v1/communities/404", None, "records:write"),
    ("POST", "/v1/imports", ZIP, "records:write"),
    ("POST", "/v1/matches", {"child_id": "C2"}, "matches"),
    ("POST", "/v1/plans", {"time_limit_s": 1, "baseline": "greedy"}, "plans"),
    ("GET", "/v1/plans/0123456789abcdef", None, "plans"),
    ("GET", "/v1/plans/0123456789abcdef/equity", None, "equity"),
    ("POST", "/v1/decisions", DECISION, "decisions"),
    ("GET", "/v1/decisions/1", None, "decisions"),
    ("GET", "/v1/decisions?child_id=C2", None, "decisions"),
    ("GET", "/v1/changes", None, "changes"),
    # a loopback port nothing listens on: the deliverer of the test app calls no outside host
    ("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/events"}, "webhooks"),
    ("GET", "/v1/webhooks", None, "webhooks"),
    ("DELETE", "/v1/webhooks/404", None, "webhooks"),
    ("POST", "/v1/webhooks/404/rotate", {}, "webhooks"),
    ("GET", "/v1/webhooks/404/deliveries", None, "webhooks"),
    ("GET", "/v1/recruitment/gaps", None, "gaps"),
    ("GET", "/v1/recruitment/gaps.svg", None, "gaps"),
    ("GET", "/v1/outcomes", None, "outcomes"),
    ("GET", "/v1/audit", None, "audit"),
    ("GET", "/metrics", None, "metrics"),
    (
        "POST",
        "/v1/offers",
        {"child_ids": ["C1"], "home_id": "H1", "outcome": "offered"},
        "decisions",
    ),
    ("GET", "/v1/homes/H1/offers", None, "decisions"),
    ("GET", "/v1/children/C1/offers", None, "decisions"),
]


def _call(client: TestClient, method: str, path: str, body: Any, key: str | None) -> Any:
    headers = bearer(key) if key else {}
    if body == ZIP:
        files = {"file": ("small.zip", small_zip(), "application/zip")}
        return client.request(method, path, files=files, headers=headers)
    return client.request(method, path, json=body, headers=headers)


def test_every_route_is_in_the_matrix(client: TestClient) -> None:
    """The matrix below covers every operation of the OpenAPI document (but health), each
    with the permission the route declares (the role matrix of docs/security.md)."""
    declared = {(row.method, row.path): row.permission for row in route_access(app_of(client))}
    documented = {
        (method.upper(), path)
        for path, item in client.get("/openapi.json").json()["paths"].items()
        for method in item
        if not path.startswith("/v1/health")
    }
    covered = set()
    for method, path, _, permission in ENDPOINTS:
        bare = path.split("?")[0]
        parts = bare.split("/")
        for template_path in {p for _, p in documented}:
            template = template_path.split("/")
            if len(template) == len(parts) and all(
                t == p or t.startswith("{") for t, p in zip(template, parts, strict=True)
            ):
                covered.add((method, template_path))
                assert declared[(method, template_path)] == permission, (method, template_path)
    assert documented <= covered, sorted(documented - covered)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "permission"), ENDPOINTS)
def test_role_matrix(
    client: TestClient,
    keys: dict[str, str],
    role: str,
    method: str,
    path: str,
    body: Any,
    permission: str,
) -> None:
    """Each role is let through exactly the endpoints of its permissions; others get 403."""
    response = _call(client, method, path, body, keys[role])
    if role in PERMISSIONS[permission]:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert role in response.json()["detail"]


@pytest.mark.parametrize(("method", "path", "body", "permission"), ENDPOINTS)
def test_no_key_is_401(
    client: TestClient, method: str, path: str, body: Any, permission: str
) -> None:
    """Every endpoint but health refuses a request without a key, with WWW-Authenticate."""
    response = _call(client, method, path, body, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401


def test_recruiter_never_receives_a_child_level_record() -> None:
    """No permission a recruiter holds reads children, their placements, matches or plans."""
    child_level = {
        "children:read",
        "matches",
        "plans",
        "equity",
        "decisions",
        "homes:read",
        "applicants:read",
    }
    held = {p for p, roles in PERMISSIONS.items() if "recruiter" in roles}
    assert held == {"partners:read", "gaps", "outcomes"}
    assert not held & child_level


def test_keys_are_stored_hashed(api_engine: Engine) -> None:
    """Only the SHA-256 of a key and its prefix are stored; the secret is nowhere in the row."""
    with session_scope(api_engine) as session:
        row, key = create_key(session, "coordinator", "night desk")
        assert row.key_hash == hash_key(key)
        stored = json.dumps(row.model_dump(), default=str)
        prefix = row.prefix
    assert key.split("_", 2)[2] not in stored
    assert key.startswith(f"fm_{prefix}_")


def test_revoked_and_forged_keys_are_refused(client: TestClient, api_engine: Engine) -> None:
    """A revoked key, a key with a right prefix but wrong secret, and garbage all get 401."""
    with session_scope(api_engine) as session:
        row, key = create_key(session, "admin", "temporary")
        key_id = row.id
    assert client.get("/v1/audit", headers=bearer(key)).status_code == 200
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert client.get("/v1/audit", headers=bearer(forged)).status_code == 401
    assert client.get("/v1/audit", headers=bearer("not-a-key")).status_code == 401
    assert client.get("/v1/audit", headers={"Authorization": f"Basic {key}"}).status_code == 401
    with session_scope(api_engine) as session:
        assert key_id is not None
        revoke_key(session, key_id)
    response = client.get("/v1/audit", headers=bearer(key))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_cli_keys_create_list_revoke(
    api_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """keys create prints the key once; list never shows it; revoke stops it."""
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", str(api_engine.url))
    assert (
        main(["keys", "create", "--role", "recruiter", "--label", "outreach team", "--json"]) == 0
    )
    created = json.loads(capsys.readouterr().out)
    assert created["role"] == "recruiter" and created["key"].startswith("fm_")
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "outreach team" in listing and created["key"] not in listing
    assert main(["keys", "revoke", str(created["id"])]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "list", "--json"]) == 0
    rows = {k["id"]: k for k in json.loads(capsys.readouterr().out)["keys"]}
    assert rows[created["id"]]["revoked_at"] is not None
    assert main(["keys", "revoke", "99999"]) == 2
    assert main(["keys", "create", "--role", "recruiter", "--label", " "]) == 2


def test_cli_demo_keys_revoke_the_previous_ones(
    api_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """keys demo prints one key per role and revokes the demo keys of the run before."""
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", str(api_engine.url))
    assert main(["keys", "demo", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["keys"]
    assert set(first) == set(ROLES)
    assert main(["keys", "demo"]) == 0
    assert "coordinator" in capsys.readouterr().out
    with Session(api_engine) as session:
        live = (
            session.execute(select(ApiKey).where(col(ApiKey.revoked_at).is_(None))).scalars().all()
        )
    assert sorted(k.role for k in live) == sorted(ROLES)
