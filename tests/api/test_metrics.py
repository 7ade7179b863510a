"""/metrics for Prometheus (the monitor role) and the liveness and readiness probes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from api.http.app import create_app
from data.db import session_scope
from data.models import PlanJob
from tests.helpers.auth import bearer

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (the first whose labels include these)."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if labels.items() <= found.items():
            return float(match.group(2))
    raise AssertionError(f"no sample {name} {labels} in the scrape")


def test_a_scrape_counts_requests_by_route_template(
    client: TestClient, keys: dict[str, str]
) -> None:
    """Every request is counted under its route template: never a path carrying an id."""
    coordinator = bearer(keys["coordinator"])
    assert client.get("/v1/children/C1", headers=coordinator).status_code == 200
    assert client.get("/v1/children/C404", headers=coordinator).status_code == 404
    assert client.post("/v1/matches", json={"child_id": "C1"}, headers=coordinator).is_success

    scrape = client.get("/metrics", headers=bearer(keys["monitor"]))
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = scrape.text
    count = "fostermatch_http_request_duration_seconds_count"
    route = "/v1/children/{record_id}"
    assert _sample(text, count, method="GET", route=route, status="200") == 1
    assert _sample(text, count, method="GET", route=route, status="404") == 1
    assert _sample(text, count, method="POST", route="/v1/matches", status="200") == 1
    assert "C1" not in text and "C404" not in text  # no record id reaches the scrape
    # the match built a snapshot at the database's change counter: the worker is current
    assert _sample(text, "fostermatch_snapshot_builds_total") == 1
    assert _sample(text, "fostermatch_snapshot_version") == _sample(
        text, "fostermatch_records_version"
    )
    assert _sample(text, "fostermatch_snapshot_age_seconds") >= 0  # reported; its size is no test
    assert _sample(text, "fostermatch_plan_jobs", status="queued") == 0


def test_a_write_shows_the_snapshot_behind(client: TestClient, keys: dict[str, str]) -> None:
    """After a record write, records_version is ahead of the snapshot until the next match."""
    coordinator, monitor = bearer(keys["coordinator"]), bearer(keys["monitor"])
    assert client.post("/v1/matches", json={"child_id": "C1"}, headers=coordinator).is_success
    home = client.get("/v1/homes/H2", headers=coordinator).json()
    body = {k: v for k, v in home.items() if k not in ("id", "community_id", "version")}
    body["capacity"] = 3
    written = client.put("/v1/homes/H2", json=body, headers=bearer(keys["admin"]))
    assert written.status_code == 200, written.text
    text = client.get("/metrics", headers=monitor).text
    assert _sample(text, "fostermatch_records_version") > _sample(
        text, "fostermatch_snapshot_version"
    )


def test_waiting_plans_are_the_queue_depth(api_engine: Engine, keys: dict[str, str]) -> None:
    """Plan jobs waiting and running (in any worker: read from the database) are counted."""
    with session_scope(api_engine) as session:
        for number, status in enumerate(("queued", "queued", "running", "done")):
            session.add(
                PlanJob(id=f"job{number}", status=status, worker="elsewhere:1", created_at=NOW)
            )
    with TestClient(create_app(api_engine, run_plan_jobs=False)) as client:
        text = client.get("/metrics", headers=bearer(keys["admin"])).text
    assert _sample(text, "fostermatch_plan_jobs", status="queued") == 2
    assert _sample(text, "fostermatch_plan_jobs", status="running") == 1


def test_only_the_monitor_and_admin_roles_scrape(client: TestClient, keys: dict[str, str]) -> None:
    assert client.get("/metrics").status_code == 401
    for role in ("case_system", "coordinator", "recruiter"):
        refused = client.get("/metrics", headers=bearer(keys[role]))
        assert refused.status_code == 403, role
        assert "metrics" in refused.json()["detail"]


def test_the_monitor_role_reads_nothing_else(client: TestClient, keys: dict[str, str]) -> None:
    monitor = bearer(keys["monitor"])
    assert client.get("/v1/children/C1", headers=monitor).status_code == 403
    assert client.get("/v1/recruitment/gaps", headers=monitor).status_code == 403


def test_liveness_and_readiness_need_no_key(client: TestClient) -> None:
    assert client.get("/v1/health/live").json() == {"status": "live"}
    ready = client.get("/v1/health/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["database"] == "sqlite"


def test_not_ready_on_a_database_without_the_schema(tmp_path: Path) -> None:
    """A database never migrated: live (the process answers), not ready, and it says why."""
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(engine, run_plan_jobs=False)) as client:
        assert client.get("/v1/health/live").status_code == 200
        ready = client.get("/v1/health/ready")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert "fostermatch db upgrade" in ready.json()["detail"]
    assert ready.headers["retry-after"]
    engine.dispose()
