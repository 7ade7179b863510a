"""Plans as jobs: queued, running, done with the validated plan; stale jobs fail."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session

from api.http.app import create_app
from api.services.plan_jobs import create_job, fail_stale_jobs, read_job
from data.db import session_scope
from data.models import PlanJob
from tests.helpers.auth import bearer


def _wait(client: TestClient, key: str, job_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/v1/plans/{job_id}", headers=bearer(key)).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"plan {job_id} did not finish in {timeout_s} s")


def test_plan_job_lifecycle(client: TestClient, keys: dict[str, str]) -> None:
    """POST answers 202 with an id at once; GET then gives the validated §12 plan."""
    key = keys["coordinator"]
    started = client.post("/v1/plans", json={"time_limit_s": 5, "seed": 0}, headers=bearer(key))
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] == "queued" and started.headers["location"] == f"/v1/plans/{job['id']}"
    done = _wait(client, key, job["id"])
    assert done["status"] == "done", done
    assert done["progress"]["fraction"] == 1.0
    result = done["result"]
    assert result["method"] == "cp-sat"
    assert [a["child_id"] for a in result["assignments"]] == ["C2"]
    assert result["assignments"][0]["home_id"] == "H1"
    assert result["assignments"][0]["factors"]  # explained
    assert result["summary"]["placed"] == 1
    # the lawful baseline beside the plan, and the fields a coordinator reads (the plan JSON)
    assert result["baseline"]["placed"] == 1 and result["summary"]["conflicts"] == []
    assert result["assignments"][0]["waited_days"] is not None
    assert result["assignments"][0]["good_cause_required"] is False
    assert set(result["summary"]["long_waiting"]) == {"children", "placed"}
    audit = client.get("/v1/audit?action=plan_result", headers=bearer(keys["admin"])).json()
    assert audit["items"][0]["child_ids"] == ["C2"]


def test_greedy_baseline_job(client: TestClient, keys: dict[str, str]) -> None:
    """baseline=greedy runs today's practice in the same shape."""
    key = keys["case_system"]
    job = client.post("/v1/plans", json={"baseline": "greedy"}, headers=bearer(key)).json()
    done = _wait(client, key, job["id"])
    assert done["status"] == "done" and done["result"]["method"] == "greedy"


def test_unknown_plan_is_404(client: TestClient, keys: dict[str, str]) -> None:
    """An id that names no job is a 404 problem."""
    response = client.get("/v1/plans/nope", headers=bearer(keys["coordinator"]))
    assert response.status_code == 404
    assert response.json()["detail"] == "no plan job 'nope'"


def test_plan_request_errors_name_the_field(client: TestClient, keys: dict[str, str]) -> None:
    """A time limit of 0 is a 422 on body.time_limit_s."""
    response = client.post(
        "/v1/plans", json={"time_limit_s": 0}, headers=bearer(keys["coordinator"])
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "time_limit_s"]


def _job(engine: Engine, worker: str, age_s: float = 0.0, status: str = "running") -> str:
    with session_scope(engine) as session:
        job = create_job(session, {"time_limit_s": 10}, None)
        job.worker = worker
        job.status = status
        job.created_at = datetime.now(UTC) - timedelta(seconds=age_s)
        return job.id


def test_jobs_of_a_dead_worker_fail_at_start_up(api_engine: Engine) -> None:
    """A job left running by a dead process on this host is marked failed when the app starts."""
    import socket

    dead = _job(api_engine, f"{socket.gethostname()}:999999999")
    alive = _job(api_engine, f"{socket.gethostname()}:{os.getppid()}")
    elsewhere_old = _job(api_engine, "other-host:1", age_s=3600)
    with TestClient(create_app(api_engine)):
        pass
    with Session(api_engine) as session:
        statuses = {j: session.get(PlanJob, j).status for j in (dead, alive, elsewhere_old)}  # type: ignore[union-attr]
    assert statuses == {dead: "failed", alive: "running", elsewhere_old: "failed"}
    assert fail_stale_jobs(api_engine) == 0


def test_a_job_past_its_deadline_reads_as_failed(api_engine: Engine) -> None:
    """A running job older than its time limit plus grace is failed when it is read."""
    job_id = _job(api_engine, "other-host:1", age_s=10_000)
    with Session(api_engine) as session:
        job = read_job(session, job_id)
        assert job is not None and job.status == "failed" and job.error


def test_a_job_that_waited_its_turn_has_its_whole_time_once_started(api_engine: Engine) -> None:
    """The deadline of a running job counts from when it started, not from when it was asked
    for: a plan that waited behind others in the queue is not failed for the wait."""
    job_id = _job(api_engine, "other-host:1", age_s=10_000)
    with session_scope(api_engine) as session:
        job = session.get(PlanJob, job_id)
        assert job is not None
        job.started_at = datetime.now(UTC) - timedelta(seconds=5)
    with Session(api_engine) as session:
        job = read_job(session, job_id)
        assert job is not None and job.status == "running"


def test_a_worker_without_the_runner_refuses_plans(
    api_engine: Engine, keys: dict[str, str]
) -> None:
    """An app built without the plan runner answers 503 and leaves no job queued for ever."""
    with TestClient(create_app(api_engine, run_plan_jobs=False)) as client:
        response = client.post("/v1/plans", json={}, headers=bearer(keys["coordinator"]))
    assert response.status_code == 503
    with Session(api_engine) as session:
        jobs = session.execute(select(PlanJob)).scalars().all()
    assert [j.status for j in jobs] == ["failed"]
