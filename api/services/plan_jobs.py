"""Placement plans as jobs: stored in ``plan_jobs``, run by a background thread per worker.

Lifecycle of a job: ``queued`` (stored, its id returned at once) -> ``running`` (this worker's
runner thread took it; ``progress`` is updated at most every half second) -> ``done`` (the plan
passed :func:`matching.validate` and its JSON (README, "Placement plan") is in ``result``) or
``failed`` (``error`` says why). One plan runs at a time per worker process: a plan uses every
core.

A job whose worker died would stay ``queued`` or ``running`` for ever; so at start-up a
runner marks failed every unfinished job of a dead process on this host, and any unfinished
job past its deadline (its time limit plus :data:`GRACE_S`, from when it started or, not yet
started, from when it was asked for) is failed when it is read. With the PostgreSQL job
queue (:mod:`api.services.plan_queue`) the queue finds a dead worker's job, and a job waiting
for a worker is not failed for waiting.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from api.services.keys import Principal
from data.changes import Change, append_changes
from data.db import session_scope
from data.models import PlanJob
from matching import Policy

__all__ = [
    "GRACE_S",
    "PlanRunner",
    "create_job",
    "fail_job",
    "fail_stale_jobs",
    "job_json",
    "read_job",
]

GRACE_S = 300.0  # loading the records and validating, on top of the solver's time limit
UNFINISHED = ("queued", "running")
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands timestamps back without their zone; they were written in UTC
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def create_job(
    session: Session, params: dict[str, Any], principal: Principal | None = None
) -> PlanJob:
    """Store a queued job for ``principal`` (None: no caller, e.g. a test; committed by the
    caller)."""
    job = PlanJob(
        id=uuid.uuid4().hex,
        status="queued",
        params=params,
        progress={"stage": "queued", "fraction": 0.0},
        key_id=principal.key_id if principal else None,
        role=principal.role if principal else None,
        requested_by=principal.label if principal else None,
        worker=_worker(),
        created_at=_now(),
    )
    session.add(job)
    return job


def _deadline(job: PlanJob) -> datetime:
    # a running job has its whole time from when it started: it may have waited its turn
    since = _aware(job.started_at if job.status == "running" and job.started_at else None)
    since = since or _aware(job.created_at)
    assert since is not None
    return since + timedelta(seconds=float(job.params.get("time_limit_s", 10.0)) + GRACE_S)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _log_finished(session: Session, jobs: list[PlanJob]) -> None:
    """Log each job that just finished as ``plan.done`` or ``plan.failed``, in the caller's
    transaction (a plan changes no record: the matching snapshots stay valid)."""
    changes = []
    for job in jobs:
        summary = (job.result or {}).get("summary", {}) if job.status == "done" else {}
        payload = {"status": job.status, "placed": summary.get("placed")}
        changes.append(Change(f"plan.{job.status}", "plan", job.id, payload, records=False))
    append_changes(session, changes)


def fail_stale_jobs(engine: Engine) -> int:
    """Mark failed the unfinished jobs whose worker is gone; returns how many."""
    host, own = socket.gethostname(), os.getpid()
    failed: list[PlanJob] = []
    with session_scope(engine) as session:
        jobs = session.execute(select(PlanJob).where(col(PlanJob.status).in_(UNFINISHED))).scalars()
        for job in jobs:
            job_host, _, pid = job.worker.rpartition(":")
            # a job of this very pid was left by an earlier process that had the same pid
            dead = (
                job_host == host and pid.isdigit() and (int(pid) == own or not _pid_alive(int(pid)))
            )
            if dead or _now() > _deadline(job):
                job.status = "failed"
                job.error = "the worker process running this plan stopped before it finished"
                job.finished_at = _now()
                failed.append(job)
        _log_finished(session, failed)
    return len(failed)


def fail_job(engine: Engine, job_id: str, error: str) -> None:
    """Mark a job failed with ``error`` (its own transaction)."""
    with session_scope(engine) as session:
        job = session.get(PlanJob, job_id)
        if job is not None and job.status in UNFINISHED:
            job.status = "failed"
            job.error = error
            job.finished_at = _now()
            _log_finished(session, [job])


def read_job(session: Session, job_id: str, *, queued_expire: bool = True) -> PlanJob | None:
    """The job, with a job past its deadline marked failed (committed).

    ``queued_expire=False`` (the job queue): a job still waiting for a worker keeps waiting,
    however long; the queue keeps it until a worker takes it.
    """
    job = session.get(PlanJob, job_id)
    expires = UNFINISHED if queued_expire else ("running",)
    if job is not None and job.status in expires and _now() > _deadline(job):
        job.status = "failed"
        job.error = "the plan did not finish in its time limit plus grace: its worker is gone"
        job.finished_at = _now()
        _log_finished(session, [job])
        session.commit()
        session.refresh(job)
    return job


def job_json(job: PlanJob) -> dict[str, Any]:
    """A job as ``GET /v1/plans/{id}`` answers it."""

    def stamp(moment: datetime | None) -> str | None:
        aware = _aware(moment)
        return aware.isoformat() if aware else None

    out: dict[str, Any] = {
        "id": job.id,
        "status": job.status,
        "params": job.params,
        "progress": job.progress,
        "created_at": stamp(job.created_at),
        "started_at": stamp(job.started_at),
        "finished_at": stamp(job.finished_at),
    }
    if job.status == "done":
        out["result"] = job.result
    if job.status == "failed":
        out["error"] = job.error
    return out


class PlanRunner:
    """Runs this worker's plan jobs one at a time on a background thread."""

    def __init__(self, engine: Engine, policy: Policy) -> None:
        self.engine = engine
        self.policy = policy
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Fail the jobs a dead worker left, then accept jobs."""
        fail_stale_jobs(self.engine)
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan")

    def stop(self) -> None:
        """Finish the running plan; fail the queued ones (nobody would run them)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        with session_scope(self.engine) as session:
            queued = session.execute(
                select(PlanJob).where(
                    col(PlanJob.status) == "queued", col(PlanJob.worker) == _worker()
                )
            ).scalars()
            for job in (stopped := list(queued)):
                job.status = "failed"
                job.error = "the service stopped before this plan started"
                job.finished_at = _now()
            _log_finished(session, stopped)

    def submit(self, job_id: str) -> None:
        """Run a stored job in the background."""
        with self._lock:
            if self._executor is None:
                raise RuntimeError("the plan runner is not started")
            self._executor.submit(self.run, job_id)

    def _update(self, job_id: str, **values: Any) -> None:
        with session_scope(self.engine) as session:
            job = session.get(PlanJob, job_id)
            if job is not None:
                for name, value in values.items():
                    setattr(job, name, value)
                if values.get("status") in ("done", "failed"):
                    _log_finished(session, [job])

    def run(self, job_id: str, *, take_over: bool = False) -> None:
        """Compute a job's plan and store its result (or why it failed).

        ``take_over``: also run a job marked ``running`` (the job queue hands a job whose
        worker died to another worker; only the queue knows that worker is gone).
        """
        try:
            self._run(job_id, take_over)
        except Exception as exc:  # a job never dies silently: the reason is stored
            self._update(
                job_id,
                status="failed",
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=_now(),
            )

    def _run(self, job_id: str, take_over: bool) -> None:
        from api.services.matching import load_matching_inputs, load_waiting_children
        from matching import greedy, plan, validate
        from matching.plan_result import checked

        with Session(self.engine) as session:
            job = session.get(PlanJob, job_id)
            if job is None or job.status not in (UNFINISHED if take_over else ("queued",)):
                return
            params = dict(job.params)
            message = "reading the records"
            if job.status == "running":
                message += f" (again: {job.worker}, which was running it, stopped)"
        started = time.perf_counter()
        limit = float(params.get("time_limit_s", 10.0))
        self._update(
            job_id,
            status="running",
            started_at=_now(),
            worker=_worker(),
            progress={"stage": "loading", "fraction": 0.0, "message": message},
        )
        as_of = datetime.fromisoformat(params["as_of"]).date() if params.get("as_of") else None
        with Session(self.engine) as session:
            children = load_waiting_children(session, as_of=as_of)
            inputs = load_matching_inputs(session, as_of=as_of)
        solutions = 0
        last = 0.0

        def progress(message: str) -> None:
            nonlocal solutions, last
            solutions += 1
            now = time.perf_counter()
            if now - last < 0.5:  # at most two writes a second
                return
            last = now
            fraction = min(0.99, (now - started) / max(limit, 1e-9))
            self._update(
                job_id,
                progress={
                    "stage": "solving",
                    "fraction": round(fraction, 3),
                    "message": message,
                    "updates": solutions,
                },
            )

        self._update(
            job_id,
            progress={
                "stage": "solving",
                "fraction": 0.0,
                "message": f"{len(children)} waiting children, {len(inputs.snapshot)} homes",
            },
        )
        if params.get("baseline") == "greedy":
            result = greedy(children, inputs.snapshot, inputs.communities, self.policy)
        else:
            result = plan(
                children,
                inputs.snapshot,
                inputs.communities,
                self.policy,
                time_limit_s=limit,
                seed=int(params.get("seed", 0)),
                progress=progress,
            )
        if params.get("baseline") == "greedy":
            violations = validate(
                children, inputs.snapshot, inputs.communities, self.policy, result
            )
        else:  # a family whose placement breaks a rule is taken out and reported
            result, violations = checked(
                result, children, inputs.snapshot, inputs.communities, self.policy
            )
        payload = result.to_json()
        if violations and params.get("baseline") != "greedy":
            # the solver-free checks are the specification: a plan breaking one is not served
            self._update(
                job_id,
                status="failed",
                error=f"the plan breaks {len(violations)} rule(s), e.g. "
                f"{violations[0].kind}: {violations[0].message}"[:2000],
                finished_at=_now(),
                progress={"stage": "validated", "fraction": 1.0},
            )
            return
        if violations:  # today's practice may break rules the plan keeps
            payload["violations"] = [v.to_json() for v in violations]
        self._update(
            job_id,
            status="done",
            result=payload,
            finished_at=_now(),
            progress={"stage": "done", "fraction": 1.0, "message": "validated"},
        )
