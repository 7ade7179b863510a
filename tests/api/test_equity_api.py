"""``GET /v1/plans/{id}/equity``: roles, 404, 409, the audit log and the declared shape."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.services.plan_jobs import create_job
from data.db import session_scope
from tests.helpers.auth import bearer

# the small agency's three children: C1 with kin in H2, C2 placed in H1, C3 not placed
RESULT: dict[str, Any] = {
    "method": "cp-sat",
    "assignments": [
        {"child_id": "C1", "home_id": "H2", "distance_km": 0.0, "kin": True},
        {"child_id": "C2", "home_id": "H1", "distance_km": 5.6, "kin": False},
    ],
    "unplaced": [{"child_id": "C3", "reasons": []}],
    "summary": {},
}


def _stored(engine: Engine, status: str, result: dict[str, Any] | None) -> str:
    with session_scope(engine) as session:
        job = create_job(session, {"time_limit_s": 1, "as_of": "2024-06-01"}, None)
        job.status = status
        job.result = result
        return job.id


@pytest.fixture
def open_client(client: TestClient) -> TestClient:
    """The client with suppression off, so that three children show figures."""
    app: Any = client.app
    app.state.policy = replace(app.state.policy, suppression_threshold=0)
    return client


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_supervisors_read_the_audit(
    open_client: TestClient, api_engine: Engine, keys: dict[str, str], role: str
) -> None:
    """Admin and coordinator get the table: C1 (Black) and C2 placed, C3 (Hispanic) not."""
    with_baseline = {**RESULT, "baseline_assignments": RESULT["assignments"][1:]}
    job_id = _stored(api_engine, "done", with_baseline)
    response = open_client.get(f"/v1/plans/{job_id}/equity", headers=bearer(keys[role]))
    assert response.status_code == 200, response.text
    audit = response.json()
    assert audit["as_of"] == "2024-06-01" and audit["plan"]["placed"] == 2
    race = {r["group"]: r for r in audit["rows"] if r["dimension"] == "race"}
    assert set(race) == {"black", "two_or_more", "hispanic"}
    assert race["black"]["placed_pct"] == 100.0 and race["black"]["kin_pct"] == 100.0
    assert race["black"]["baseline"]["placed_pct"] == 0.0
    assert race["hispanic"]["placed_pct"] == 0.0
    assert audit["baseline"]["placed"] == 1


@pytest.mark.parametrize("role", ["recruiter", "case_system"])
def test_other_roles_are_refused(
    client: TestClient, api_engine: Engine, keys: dict[str, str], role: str
) -> None:
    """Recruiters and case systems get a 403 problem, not the audit."""
    job_id = _stored(api_engine, "done", RESULT)
    response = client.get(f"/v1/plans/{job_id}/equity", headers=bearer(keys[role]))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_plan_is_404(client: TestClient, keys: dict[str, str]) -> None:
    """An id that names no job is a 404 problem."""
    response = client.get("/v1/plans/nope/equity", headers=bearer(keys["coordinator"]))
    assert response.status_code == 404 and response.json()["detail"] == "no plan job 'nope'"


@pytest.mark.parametrize("status", ["queued", "failed"])
def test_unfinished_plan_is_409(
    client: TestClient, api_engine: Engine, keys: dict[str, str], status: str
) -> None:
    """A plan that is not done has no audit yet: a 409 problem that says its status."""
    job_id = _stored(api_engine, status, None)
    response = client.get(f"/v1/plans/{job_id}/equity", headers=bearer(keys["coordinator"]))
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert f"is {status}" in response.json()["detail"]


def test_old_plan_has_no_baseline_and_small_groups_are_hidden(
    client: TestClient, api_engine: Engine, keys: dict[str, str]
) -> None:
    """A plan without baseline assignments: baseline null; three children: all suppressed."""
    job_id = _stored(api_engine, "done", RESULT)
    audit = client.get(f"/v1/plans/{job_id}/equity", headers=bearer(keys["admin"])).json()
    assert audit["baseline"] is None and audit["suppression_threshold"] == 10
    assert all(r["suppressed"] and r["children"] is None for r in audit["rows"])


def test_the_read_is_audit_logged(
    client: TestClient, api_engine: Engine, keys: dict[str, str]
) -> None:
    """The audit names the children whose records it read, under action plan_equity."""
    job_id = _stored(api_engine, "done", RESULT)
    client.get(f"/v1/plans/{job_id}/equity", headers=bearer(keys["coordinator"]))
    log = client.get("/v1/audit?action=plan_equity", headers=bearer(keys["admin"])).json()
    (entry,) = log["items"]
    assert entry["child_ids"] == ["C1", "C2", "C3"] and entry["role"] == "coordinator"


def test_response_model_is_in_openapi(client: TestClient) -> None:
    """The 200 answer is declared as the EquityAudit schema, rows and spread included."""
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/v1/plans/{plan_id}/equity"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/EquityAudit")
    declared = document["components"]["schemas"]["EquityAudit"]["properties"]
    assert {"rows", "reference", "plan", "baseline", "spread"} <= set(declared)
    assert "409" in operation["responses"]
