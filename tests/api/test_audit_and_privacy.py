"""The audit log, logs without personal data, request size limits, CORS closed."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.cli import main
from api.http.app import CORS_ENV, create_app
from tests.helpers.auth import bearer


def test_reads_of_child_records_are_audited(client: TestClient, keys: dict[str, str]) -> None:
    """Reading a child, listing children, an episode, a placement: one entry each, who and what."""
    headers = bearer(keys["case_system"])
    client.get("/v1/children/C1", headers=headers)
    client.get("/v1/children?waiting=true", headers=headers)
    client.get("/v1/episodes/C1/2024-01-01", headers=headers)
    client.get("/v1/placements?child_id=C1", headers=headers)
    client.get("/v1/homes/H1", headers=headers)  # not a child record: not audited
    entries = client.get("/v1/audit", headers=bearer(keys["admin"])).json()["items"]
    assert [(e["action"], e["child_ids"]) for e in entries] == [
        ("read_child", ["C1"]),
        ("list_children", ["C2"]),
        ("read_episode", ["C1"]),
        ("list_placements", ["C1"]),
    ]
    assert {e["role"] for e in entries} == {"case_system"}
    assert all(e["at"] and e["key_id"] for e in entries)


def test_audit_filters_and_pages(client: TestClient, keys: dict[str, str]) -> None:
    """The log filters by child and action and pages with `next`."""
    headers = bearer(keys["coordinator"])
    for child in ("C1", "C2", "C1"):
        client.get(f"/v1/children/{child}", headers=headers)
    admin = bearer(keys["admin"])
    about_c1 = client.get("/v1/audit?child_id=C1", headers=admin).json()["items"]
    assert len(about_c1) == 2
    page = client.get("/v1/audit?limit=2", headers=admin).json()
    assert len(page["items"]) == 2 and page["next"] == page["items"][-1]["id"]
    rest = client.get(f"/v1/audit?after={page['next']}", headers=admin).json()
    assert len(rest["items"]) == 1 and rest["next"] is None


def test_cli_audit(
    client: TestClient,
    keys: dict[str, str],
    api_engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`fostermatch audit --child C2 --json` lists the entries about that child."""
    client.get("/v1/children/C2", headers=bearer(keys["coordinator"]))
    client.get("/v1/children/C1", headers=bearer(keys["coordinator"]))
    url = api_engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "audit", "--child", "C2", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)["entries"]
    assert [(e["action"], e["child_ids"], e["key_label"]) for e in entries] == [
        ("read_child", ["C2"], "test coordinator")
    ]
    assert main(["--database-url", url, "audit"]) == 0
    assert "read_child" in capsys.readouterr().out


def test_access_log_names_routes_not_child_ids(
    client: TestClient, keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """The access log prints the route template; no child id reaches any log record."""
    with caplog.at_level(logging.INFO):
        client.get("/v1/children/C2", headers=bearer(keys["coordinator"]))
        client.get("/v1/children/C404", headers=bearer(keys["coordinator"]))
        client.post("/v1/matches", json={"child_id": "C2"}, headers=bearer(keys["coordinator"]))
    # the test client's own request log (httpx) is the caller's side, not the server's
    lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert any("GET /v1/children/{record_id} 200" in line for line in lines), lines
    assert not any("C2" in line or "C404" in line for line in lines)


def test_serve_turns_uvicorn_access_log_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """`fostermatch serve` runs uvicorn without its access log (paths carry child ids)."""
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", f"sqlite:///{tmp_path}/serve.db")
    assert main(["serve", "--workers", "2"]) == 0
    assert seen["access_log"] is False and seen["workers"] == 2
    assert "fostermatch" in seen["log_config"]["loggers"]


def test_large_bodies_are_refused(client: TestClient, keys: dict[str, str]) -> None:
    """A JSON body over 1 MiB is a 413 problem, by header or streamed without one."""
    headers = bearer(keys["coordinator"])
    big = json.dumps({"child_id": "C2", "padding": "x" * (2 << 20)})
    response = client.post(
        "/v1/matches", content=big, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:
        for _ in range(3):
            yield b"x" * (1 << 20)

    streamed = client.post(
        "/v1/matches", content=chunks(), headers={**headers, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_cors_is_closed_by_default(
    api_engine: Engine, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without FOSTERMATCH_CORS_ORIGINS no origin is allowed; with it, only those listed."""
    preflight = {
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "Authorization",
    }
    monkeypatch.delenv(CORS_ENV, raising=False)
    with TestClient(create_app(api_engine)) as closed:
        answer = closed.options("/v1/children", headers=preflight)
        assert "access-control-allow-origin" not in answer.headers
        got = closed.get("/v1/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in got.headers
    monkeypatch.setenv(CORS_ENV, "https://case.example.org")
    with TestClient(create_app(api_engine)) as opened:
        allowed = opened.options(
            "/v1/children", headers={**preflight, "Origin": "https://case.example.org"}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://case.example.org"
        refused = opened.options("/v1/children", headers=preflight)
        assert "access-control-allow-origin" not in refused.headers


def test_unknown_paths_and_methods_are_problems(client: TestClient, keys: dict[str, str]) -> None:
    """404 and 405 are problem+json too; without a key every /v1 path answers 401 first, so
    that a caller without a key learns nothing, not even which paths exist."""
    missing = client.get("/v1/nothing", headers=bearer(keys["admin"]))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = client.patch("/v1/children/C1", headers=bearer(keys["admin"]))
    assert wrong.status_code == 405 and "PATCH" in wrong.json()["detail"]
    assert client.get("/v1/nothing").status_code == 401


def test_an_unexpected_error_is_a_problem_and_logs_no_values(
    api_engine: Engine, keys: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A bug answers a 500 problem; the log names the exception class and route, not its text."""
    app = create_app(api_engine)

    @app.get("/v1/boom/{child_id}")
    def boom(child_id: str) -> None:
        raise RuntimeError(f"cannot place {child_id}")

    with caplog.at_level(logging.INFO), TestClient(app) as client:
        response = client.get("/v1/boom/C2", headers=bearer(keys["admin"]))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "C2" not in response.json()["detail"]
    server_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert any(
        "unexpected RuntimeError in GET /v1/boom/{child_id}" in line for line in server_lines
    )
    assert not any("C2" in line for line in server_lines)
    assert all(r.exc_info is None for r in caplog.records)
