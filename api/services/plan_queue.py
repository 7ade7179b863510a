"""Plans on a PostgreSQL job queue (procrastinate), taken by ``fostermatch worker`` processes.

With PostgreSQL (``FOSTERMATCH_PLAN_RUNNER=queue``, the default there) ``POST /v1/plans``
stores the ``plan_jobs`` row and defers the queue job that names it in the same transaction
(:func:`enqueue`): both are committed, or neither. Any number of :class:`PlanWorker` processes,
on any machines, take the queue's jobs and run each with :meth:`PlanRunner.run`, which keeps
the row's status, progress and result exactly as the in-process runner does.

A worker that dies mid-job: every worker writes a heartbeat every ``stalled_after_s / 3``
seconds. Every worker also looks, every ``stalled_after_s / 3`` seconds, for running jobs whose
worker has sent none for ``stalled_after_s``; one worker at a time does so (a PostgreSQL
advisory lock), so that two never put the same job back. Such a job is put back on the queue
:data:`RETRIES` time(s) and then taken by any live worker; a job whose worker died more often
than that is failed, its row saying why.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import procrastinate
import psycopg
from procrastinate.exceptions import ConnectorException
from procrastinate.jobs import Status
from sqlalchemy import Engine
from sqlmodel import Session

from api.services.plan_jobs import PlanRunner, fail_job
from matching import Policy

__all__ = [
    "QUEUE",
    "RETRIES",
    "STALLED_AFTER_S",
    "TASK",
    "PlanWorker",
    "conninfo",
    "enqueue",
    "queue_jobs",
    "run_in_process",
]

QUEUE = "plans"
TASK = "fostermatch.plan"
STALLED_AFTER_S = 30.0  # a worker silent this long is taken for dead
RETRIES = 1  # a job whose worker died is run again this many times, then failed
# one worker at a time puts the jobs of dead workers back ("plan" in ASCII)
_RECOVERY_LOCK = 0x706C616E

log = logging.getLogger("fostermatch.worker")


def conninfo(engine: Engine) -> str:
    """The libpq address of ``engine``'s PostgreSQL database (without SQLAlchemy's driver)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def enqueue(session: Session, job_id: str) -> None:
    """Defer the queue job that runs plan ``job_id``, in ``session``'s open transaction."""
    raw = session.connection().connection.driver_connection
    # never opened: the job is written on the caller's connection, so it commits with the row
    app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector())
    app.configure_task(TASK, queue=QUEUE, connection=raw).defer(job_id=job_id)


def queue_jobs(session: Session, mode: str, job_ids: list[str]) -> None:
    """With the queue (``mode`` ``"queue"``), defer the stored jobs before the commit."""
    if mode == "queue":
        for job_id in job_ids:
            enqueue(session, job_id)


def run_in_process(engine: Engine, runner: PlanRunner, mode: str, job_ids: list[str]) -> bool:
    """Without the queue, hand the committed jobs to this process's runner.

    Returns False when this process does not run plans (its runner was not started); the
    jobs are then failed with that reason.
    """
    if mode == "queue":
        return True
    accepted = True
    for job_id in job_ids:
        try:
            runner.submit(job_id)
        except RuntimeError:
            fail_job(engine, job_id, "this worker does not run plans")
            accepted = False
    return accepted


class PlanWorker:
    """Takes plan jobs from the queue and runs them, ``concurrency`` at a time."""

    def __init__(
        self,
        engine: Engine,
        policy: Policy,
        *,
        concurrency: int = 1,
        stalled_after_s: float = STALLED_AFTER_S,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be 1 or more; it is {concurrency}")
        if stalled_after_s <= 0:
            raise ValueError(f"stalled_after_s must be above 0 seconds; it is {stalled_after_s}")
        self.engine = engine
        self.runner = PlanRunner(engine, policy)
        self.concurrency = concurrency
        self.stalled_after_s = stalled_after_s
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=conninfo(engine))
        )
        # a plain function: procrastinate runs it on a thread, the heartbeat goes on meanwhile
        self.app.task(name=TASK, queue=QUEUE)(self._run_plan)

    def _run_plan(self, job_id: str) -> None:
        self.runner.run(job_id, take_over=True)

    def run(self) -> None:
        """Take and run jobs until SIGINT or SIGTERM (then the running plans finish first)."""
        asyncio.run(self._main())

    async def _main(self) -> None:
        async with self.app.open_async():
            recovering = asyncio.create_task(self._recover_forever())
            try:
                await self.app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=self.concurrency,
                    update_heartbeat_interval=self.stalled_after_s / 3,
                    stalled_worker_timeout=self.stalled_after_s,
                )
            finally:
                recovering.cancel()

    async def _recover_forever(self) -> None:
        while True:
            try:
                await self.recover_stalled()
            except (ConnectorException, psycopg.Error) as exc:  # the database is back later
                log.warning("looking for the jobs of dead workers failed: %s", type(exc).__name__)
            await asyncio.sleep(self.stalled_after_s / 3)

    async def recover_stalled(self) -> dict[str, int]:
        """Put back (or fail) the running jobs of workers silent for ``stalled_after_s``.

        Returns ``{"retried": n, "failed": m}``; nothing when another worker holds the lock.
        """
        counts = {"retried": 0, "failed": 0}
        async with await psycopg.AsyncConnection.connect(
            conninfo(self.engine), autocommit=True
        ) as connection:
            cursor = await connection.execute("SELECT pg_try_advisory_lock(%s)", (_RECOVERY_LOCK,))
            row = await cursor.fetchone()
            if not row or not row[0]:
                return counts
            try:  # the lock is this connection's: closing it releases the lock too
                stalled = await self.app.job_manager.get_stalled_jobs(
                    queue=QUEUE, seconds_since_heartbeat=self.stalled_after_s
                )
                for job in stalled:
                    counts["retried" if await self._recover(job) else "failed"] += 1
            finally:
                await connection.execute("SELECT pg_advisory_unlock(%s)", (_RECOVERY_LOCK,))
        return counts

    async def _recover(self, job: Any) -> bool:
        """Retry ``job`` (True) or fail it and its plan (False)."""
        plan_id = str(job.task_kwargs.get("job_id", ""))
        if job.attempts < RETRIES:
            await self.app.job_manager.retry_job(job)
            log.warning("plan %s: its worker stopped; it is queued again", plan_id)
            return True
        await self.app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
        reason = (
            f"the worker process running this plan stopped {job.attempts + 1} times "
            "(killed, out of memory, or its machine lost); it is not tried again"
        )
        await asyncio.to_thread(fail_job, self.engine, plan_id, reason)
        log.warning("plan %s: its worker stopped again; failed", plan_id)
        return False
