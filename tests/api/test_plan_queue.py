"""Plans on the PostgreSQL job queue: taken by `fostermatch worker` processes, never run by the
web process; a worker killed mid-job leaves the job run again by another worker, or failed with
the reason when its workers keep dying."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

from api.http.app import create_app
from api.settings import load_settings
from data.importing import import_folder
from data.models import PlanJob
from tests.helpers.auth import bearer, make_keys
from tests.helpers.records import write_small_folder

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
STALLED_AFTER_S = 2.0  # the workers here take a silent worker for dead after this long


@pytest.fixture
def queue_engine(postgres_engine: Engine, tmp_path: Path) -> Engine:
    """A PostgreSQL database holding the small agency."""
    import_folder(postgres_engine, write_small_folder(tmp_path / "small-queue"))
    return postgres_engine


@pytest.fixture
def web(queue_engine: Engine) -> Iterator[tuple[TestClient, str]]:
    """The application with the default settings (the queue, on PostgreSQL), a coordinator's key."""
    key = make_keys(queue_engine)["coordinator"]
    with TestClient(create_app(queue_engine, settings=load_settings({}))) as client:
        yield client, key


class Workers:
    """`fostermatch worker` subprocesses against the test database, killed at the end."""

    def __init__(self, engine: Engine, logs: Path) -> None:
        self.url = engine.url.render_as_string(hide_password=False)
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "api.cli", "--database-url", self.url, "worker"]
        # the child writes to its own copy of the file's descriptor
        with open(self.logs / f"worker-{len(self.started)}.log", "wb") as log:
            process = subprocess.Popen(
                [*command, "--stalled-after", str(STALLED_AFTER_S)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return process

    def output(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.logs.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(queue_engine: Engine, tmp_path: Path) -> Iterator[Workers]:
    """Starts worker processes; stops every one it started."""
    started = Workers(queue_engine, tmp_path)
    yield started
    started.stop_all()


def _job(engine: Engine, job_id: str) -> PlanJob:
    with Session(engine) as session:
        job = session.get(PlanJob, job_id)
        assert job is not None, f"no plan job {job_id}"
        return job


def _wait_for(
    engine: Engine, job_id: str, workers: Workers, statuses: tuple[str, ...], on: int | None = None
) -> PlanJob:
    """The job once its status is one of ``statuses`` (and, with ``on``, its worker has that
    pid)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = _job(engine, job_id)
        if job.status in statuses and (on is None or job.worker.endswith(f":{on}")):
            return job
        time.sleep(0.05)
    raise AssertionError(
        f"plan {job_id} is {job.status} on {job.worker}, not {statuses}:\n{workers.output()}"
    )


def _post_plan(client: TestClient, key: str, **body: Any) -> str:
    answer = client.post("/v1/plans", json={"seed": 0, **body}, headers=bearer(key))
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "queued"
    job_id: str = answer.json()["id"]
    return job_id


def _lock_children(connection: Connection) -> None:
    """Hold the children table so that a worker loading the records waits, mid-job."""
    connection.execute(text("LOCK TABLE children IN ACCESS EXCLUSIVE MODE"))


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_a_worker_process_runs_the_plan_the_api_queued(
    web: tuple[TestClient, str], queue_engine: Engine, workers: Workers
) -> None:
    """POST /v1/plans only queues (the job and its queue entry in one commit); a separate
    `fostermatch worker` process runs it, and GET /v1/plans/{id} then serves the plan."""
    client, key = web
    job_id = _post_plan(client, key, time_limit_s=5)
    with queue_engine.connect() as connection:
        queued = connection.execute(
            text("SELECT task_name, args->>'job_id' FROM procrastinate_jobs WHERE status = 'todo'")
        ).all()
    assert [tuple(row) for row in queued] == [("fostermatch.plan", job_id)]
    time.sleep(1.0)  # a web process that ran plans itself would have started by now
    assert _job(queue_engine, job_id).status == "queued"

    worker = workers.start()
    done = _wait_for(queue_engine, job_id, workers, ("done", "failed"))
    assert done.status == "done", done.error
    assert done.worker == f"{socket.gethostname()}:{worker.pid}"  # not this (the web) process
    assert done.worker != f"{socket.gethostname()}:{os.getpid()}"
    body = client.get(f"/v1/plans/{job_id}", headers=bearer(key)).json()
    assert body["status"] == "done"
    assert [a["child_id"] for a in body["result"]["assignments"]] == ["C2"]
    with queue_engine.connect() as connection:
        status = connection.execute(text("SELECT status FROM procrastinate_jobs")).scalar_one()
    assert status == "succeeded"


def test_a_killed_workers_plan_is_run_again_by_another(
    web: tuple[TestClient, str], queue_engine: Engine, workers: Workers
) -> None:
    """A worker killed mid-job (SIGKILL while it loads the records): another worker notices
    its silence, takes the job over and finishes it; the job says it was taken over."""
    client, key = web
    job_id = _post_plan(client, key, time_limit_s=60)
    with queue_engine.connect() as holder:
        _lock_children(holder)
        first = workers.start()
        _wait_for(queue_engine, job_id, workers, ("running",), on=first.pid)
        _kill(first)
        holder.rollback()  # the lock goes; the killed worker's plan stays unfinished
    assert _job(queue_engine, job_id).status == "running"

    second = workers.start()
    done = _wait_for(queue_engine, job_id, workers, ("done", "failed"))
    assert done.status == "done", done.error
    assert done.worker.endswith(f":{second.pid}")
    taken_over = client.get(f"/v1/plans/{job_id}", headers=bearer(key)).json()
    assert taken_over["status"] == "done"
    assert taken_over["result"]["summary"]["placed"] == 1


def test_a_plan_whose_workers_keep_dying_fails_with_the_reason(
    web: tuple[TestClient, str], queue_engine: Engine, workers: Workers
) -> None:
    """Killed once, the job is run again; killed again, the next worker fails it and the job
    says why, never left running."""
    client, key = web
    job_id = _post_plan(client, key, time_limit_s=60)
    with queue_engine.connect() as holder:
        _lock_children(holder)
        for _ in range(2):  # each worker takes the job and waits on the lock: killed mid-job
            process = workers.start()
            running = _wait_for(queue_engine, job_id, workers, ("running",), on=process.pid)
            _kill(process)
        assert "again:" in (running.progress or {}).get("message", "")  # the second took it over
        holder.rollback()
    workers.start()
    failed = _wait_for(queue_engine, job_id, workers, ("done", "failed"))
    assert failed.status == "failed"
    body = client.get(f"/v1/plans/{job_id}", headers=bearer(key)).json()
    assert body["status"] == "failed"
    assert body["error"].startswith("the worker process running this plan stopped 2 times")


def test_the_metrics_show_the_job_queue(
    web: tuple[TestClient, str], queue_engine: Engine, workers: Workers
) -> None:
    """/metrics gives the job queue's depth from the queue's own tables, and its workers."""
    client, key = web
    _post_plan(client, key, time_limit_s=5)
    monitor = bearer(make_keys(queue_engine)["monitor"])
    scrape = client.get("/metrics", headers=monitor).text
    assert 'fostermatch_plan_queue_jobs{status="todo"} 1.0' in scrape
    assert "fostermatch_plan_queue_workers 0.0" in scrape
    assert 'fostermatch_plan_jobs{status="queued"} 1.0' in scrape


def test_a_plan_waiting_for_a_worker_is_not_failed_for_waiting(
    web: tuple[TestClient, str], queue_engine: Engine
) -> None:
    """With the queue, a plan asked for long ago and still waiting for a worker reads as
    queued (the queue keeps it until a worker comes), not failed."""
    client, key = web
    job_id = _post_plan(client, key, time_limit_s=5)
    with Session(queue_engine) as session:
        job = session.get(PlanJob, job_id)
        assert job is not None
        job.created_at = datetime.now(UTC) - timedelta(days=1)
        session.commit()
    assert client.get(f"/v1/plans/{job_id}", headers=bearer(key)).json()["status"] == "queued"
    assert _job(queue_engine, job_id).status == "queued"
