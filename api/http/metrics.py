"""``/metrics`` for Prometheus, and the liveness and readiness probes.

What a scrape carries (never a record value: route templates, statuses and counts only):

- ``fostermatch_http_request_duration_seconds`` (histogram): every request, by method, route
  template (``/v1/children/{record_id}``, never the path, which carries ids) and status;
- ``fostermatch_snapshot_version`` and ``fostermatch_snapshot_age_seconds``: the change counter
  the worker's newest matching snapshot was built at, and how long ago it was built;
  ``fostermatch_snapshot_builds_total``: builds in this worker;
- ``fostermatch_records_version``: the change counter in the database, so that
  ``records_version - snapshot_version`` is how far behind the worker's snapshot is;
- ``fostermatch_plan_jobs`` (by status, ``queued`` and ``running``): the queue's depth;
- ``fostermatch_plan_queue_jobs`` (PostgreSQL, by the job queue's status ``todo`` and
  ``doing``) and ``fostermatch_plan_queue_workers`` (workers whose last heartbeat is recent):
  what the ``fostermatch worker`` processes see, read from the queue's own tables.

Each application has its own registry (tests build many applications in one process); with
several worker processes, each answers for itself, as Prometheus expects of a target.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from alembic.script import ScriptDirectory
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from api.http.auth import Monitor
from api.http.problems import problem_response, problem_responses
from api.responses import Liveness, Readiness
from data.db import alembic_config, schema_revision
from data.models import PlanJob

if TYPE_CHECKING:
    from api.services.snapshots import SnapshotCache

__all__ = ["CONTENT_TYPE", "Metrics", "add_probes"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
QUEUE_STATUSES = ("queued", "running")
# from a ranking on a warm snapshot (milliseconds) to a cold state-scale build (seconds)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _StateCollector(Collector):
    """Read at each scrape: the snapshot in memory, the change counter and the job queue."""

    def __init__(self, engine: Engine, snapshots: SnapshotCache) -> None:
        self.engine = engine
        self.snapshots = snapshots

    def collect(self) -> Iterator[Metric]:
        from api.services.snapshots import records_version

        builds = CounterMetricFamily(
            "fostermatch_snapshot_builds", "Matching snapshots built by this worker"
        )
        builds.add_metric([], self.snapshots.builds)
        yield builds
        newest = self.snapshots.newest()
        if newest is not None:
            version, built_at = newest
            yield GaugeMetricFamily(
                "fostermatch_snapshot_version",
                "The records change counter the newest matching snapshot was built at",
                value=version,
            )
            yield GaugeMetricFamily(
                "fostermatch_snapshot_age_seconds",
                "Seconds since the newest matching snapshot was built",
                value=max(0.0, time.monotonic() - built_at),
            )
        with Session(self.engine) as session:
            yield GaugeMetricFamily(
                "fostermatch_records_version",
                "The records change counter in the database",
                value=records_version(session),
            )
            counts = dict(
                session.execute(
                    select(col(PlanJob.status), func.count())
                    .where(col(PlanJob.status).in_(QUEUE_STATUSES))
                    .group_by(col(PlanJob.status))
                ).all()
            )
        jobs = GaugeMetricFamily(
            "fostermatch_plan_jobs", "Plan jobs waiting or running", labels=["status"]
        )
        for status in QUEUE_STATUSES:
            jobs.add_metric([status], counts.get(status, 0))
        yield jobs
        if self.engine.dialect.name == "postgresql":
            yield from self._queue()

    def _queue(self) -> Iterator[Metric]:
        """The job queue's depth and its live workers (its tables: migration 0010)."""
        from api.services.plan_queue import QUEUE, STALLED_AFTER_S

        with self.engine.connect() as connection:
            counts: dict[str, int] = dict(
                connection.execute(
                    text(
                        "SELECT status::text, count(*) FROM procrastinate_jobs "
                        "WHERE queue_name = :queue AND status IN ('todo', 'doing') "
                        "GROUP BY status"
                    ),
                    {"queue": QUEUE},
                ).all()
            )
            workers = connection.execute(
                text(
                    "SELECT count(*) FROM procrastinate_workers "
                    "WHERE last_heartbeat > now() - make_interval(secs => :stalled)"
                ),
                {"stalled": STALLED_AFTER_S * 2},
            ).scalar_one()
        queue = GaugeMetricFamily(
            "fostermatch_plan_queue_jobs",
            "Plan jobs in the job queue: todo (waiting for a worker) and doing",
            labels=["status"],
        )
        for status in ("todo", "doing"):
            queue.add_metric([status], counts.get(status, 0))
        yield queue
        yield GaugeMetricFamily(
            "fostermatch_plan_queue_workers",
            "fostermatch worker processes that sent a heartbeat recently",
            value=workers,
        )


class Metrics:
    """One application's registry: the request histogram and the state read at each scrape."""

    def __init__(self, engine: Engine, snapshots: SnapshotCache) -> None:
        self.registry = CollectorRegistry(auto_describe=False)  # collect only when scraped
        self.requests = Histogram(
            "fostermatch_http_request_duration_seconds",
            "Time to answer a request, by method, route template and status",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_StateCollector(engine, snapshots))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).observe(seconds)

    def exposition(self) -> bytes:
        """The text a scrape receives."""
        return generate_latest(self.registry)


def add_probes(app: FastAPI) -> None:
    """``/metrics`` (the ``metrics`` permission) and the public liveness and readiness probes."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    @app.get(
        "/metrics",
        tags=["service"],
        summary="Prometheus metrics: request latency by route, snapshot, plan queue",
        response_class=PlainTextResponse,
        responses=problem_responses(401, 403),
        name="get_metrics",
    )
    def metrics(request: Request, who: Monitor) -> Response:
        return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE)

    @app.get(
        "/v1/health/live",
        tags=["service"],
        summary="Liveness: the process answers",
        response_model=Liveness,
        name="get_health_live",
    )
    def live() -> dict[str, str]:
        return {"status": "live"}

    @app.get(
        "/v1/health/ready",
        tags=["service"],
        summary="Readiness: the database answers and its schema is the latest",
        response_model=Readiness,
        responses=problem_responses(503),
        name="get_health_ready",
    )
    def ready(request: Request) -> Response:
        engine: Engine = request.app.state.engine
        try:
            revision = schema_revision(engine)
        except SQLAlchemyError as exc:
            return problem_response(
                request,
                503,
                f"the database does not answer ({type(exc).__name__})",
                headers={"Retry-After": "5"},
            )
        if revision != head:
            return problem_response(
                request,
                503,
                f"the database schema is at revision {revision or 'none'}, not {head}: "
                "run `fostermatch db upgrade`",
                headers={"Retry-After": "30"},
            )
        return JSONResponse({"status": "ready", "database": engine.dialect.name, "schema": head})
