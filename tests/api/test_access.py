"""The role x route matrix: read from the routes, and the one in docs/security.md is it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from api.cli import main
from api.http.access import PUBLIC, matrix_markdown, route_access
from api.http.app import create_app
from api.http.auth import Matcher

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
MARKED = re.compile(r"<!-- role-matrix:start -->\n(.*?)<!-- role-matrix:end -->", re.S)


@pytest.fixture
def app(api_engine: Engine) -> FastAPI:
    return create_app(api_engine, run_plan_jobs=False)


def test_the_documented_matrix_is_the_code(app: FastAPI) -> None:
    """A route added, removed or re-permissioned without docs/security.md fails here."""
    documented = MARKED.search(DOC.read_text(encoding="utf-8"))
    assert documented, "docs/security.md lost its role-matrix markers"
    assert documented.group(1) == matrix_markdown(route_access(app)), (
        "regenerate the table with `fostermatch keys roles` into docs/security.md"
    )


def test_every_page_and_api_route_has_a_row(app: FastAPI) -> None:
    rows = {(row.method, row.path): row.permission for row in route_access(app)}
    assert rows[("GET", "/v1/children")] == "children:read"
    assert rows[("POST", "/pages/children/{child_id}/decision")] == "decisions"
    assert rows[("GET", "/pages/gaps.csv")] == "gaps"  # through the pages' download helper
    assert rows[("GET", "/v1/audit")] == "audit"
    assert all(rows[key] is None for key in PUBLIC if key in rows)
    assert {key for key, permission in rows.items() if permission is None} <= set(PUBLIC)


def test_a_route_without_a_permission_is_refused(app: FastAPI) -> None:
    @app.get("/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    with pytest.raises(ValueError, match="GET /v1/forgotten checks no permission"):
        route_access(app)


def test_a_route_with_a_permission_joins_the_matrix(app: FastAPI) -> None:
    @app.get("/v1/new")
    def new(who: Matcher) -> dict[str, str]:
        return {"role": who.role}

    rows = {(row.method, row.path): row for row in route_access(app)}
    assert rows[("GET", "/v1/new")].permission == "matches"
    assert not rows[("GET", "/v1/new")].allows("recruiter")


def test_the_cli_prints_the_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "roles"]) == 0
    printed = capsys.readouterr().out
    assert "| `POST /v1/decisions` | decisions | yes | yes | yes | no |" in printed
