"""The FastAPI application: the ``/v1`` API, a health endpoint and the home page.

Built by :func:`create_app` over an engine. What the app holds in memory per worker process:
the matching policy, the matching snapshot (:mod:`api.services.snapshots`, refreshed when the
change counter moves) and the plan job runner (:mod:`api.services.plan_jobs`). Everything else lives
in the database, so several workers can serve one PostgreSQL.

Privacy: no request path is logged (paths carry child ids); the access log written here
names the route template (``/v1/children/{record_id}``), the status and the time only.
CORS is closed unless ``FOSTERMATCH_CORS_ORIGINS`` lists origins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.dependencies import SessionDep
from api.responses import Health
from api.settings import Settings, load_settings
from data.db import describe_url, is_current, make_engine
from data.queries import agency_summary

__all__ = ["create_app"]

_templates = Jinja2Templates(directory=str(files("api") / "templates"))
access_log = logging.getLogger("fostermatch.access")

MAX_BODY_BYTES = 1 << 20  # 1 MiB: a record, a match request or a decision is far smaller
MAX_IMPORT_BYTES = 256 << 20  # a zipped state-scale folder fits
CORS_ENV = "FOSTERMATCH_CORS_ORIGINS"


class BodyLimit:
    """Refuse request bodies above a size with 413, by header or while reading the stream."""

    def __init__(self, app: ASGIApp, default: int, larger: dict[str, int]) -> None:
        self.app = app
        self.default = default
        self.larger = larger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.default)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, limit)
            return
        if declared is not None:
            # the server stops reading at the declared length: the check above suffices
            await self.app(scope, receive, send)
            return
        # no length declared (chunked): read the body here, up to the limit, then replay it
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                await self._refuse(scope, send, limit)
                return
            if not message.get("more_body", False):
                break
        replay = iter(messages)

        async def replaying_receive() -> Message:
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        await self.app(scope, replaying_receive, send)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        from starlette.requests import Request as StarletteRequest

        from api.http.problems import problem_response

        response = problem_response(
            StarletteRequest(scope),
            413,
            f"the request body is larger than {limit:,} bytes, the limit for this endpoint",
        )
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def create_app(
    engine: Engine | None = None,
    *,
    run_plan_jobs: bool = True,
    run_webhooks: bool | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    """Build the application over ``engine`` (default: the database of the settings).

    Parameters
    ----------
    settings
        The deployment's settings (default: read from the environment, and refused here,
        at start-up, with a :class:`~api.settings.SettingsError` naming a wrong variable).

    run_plan_jobs
        Start the background runner of plan jobs in this process (and mark jobs left by a
        dead worker failed at start-up) when the settings have plans run by the web
        processes (``FOSTERMATCH_PLAN_RUNNER=web``, the default with SQLite); with the job
        queue (the default with PostgreSQL) plans go to the queue and no runner starts.
    run_webhooks
        Deliver the webhooks from a thread of this process; by default with SQLite only
        (with PostgreSQL, ``fostermatch webhooks deliver`` runs as its own process).
    """
    from api.http.apidocs import add_docs
    from api.http.auth_first import AuthenticateFirst
    from api.http.contract import ContractRoute, install_contract, operation_id
    from api.http.faults import DatabaseFaults, UrlLimit
    from api.http.headers import SecurityHeaders
    from api.http.metrics import Metrics, add_probes
    from api.http.problems import install_problem_handlers
    from api.http.routers import (
        audit,
        changes,
        decisions,
        equity,
        matches,
        offers,
        outcomes,
        plans,
        records,
        recruitment,
        webhooks,
    )
    from api.pages import router as pages_router
    from api.services.gaps import GapCache
    from api.services.oidc import Provider, oidc_settings
    from api.services.outcomes import OutcomeReportCache
    from api.services.plan_jobs import PlanRunner
    from api.services.plan_quota import PlanQuota
    from api.services.snapshots import SnapshotCache
    from api.services.webhooks import Deliverer
    from matching import load_policy

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner: PlanRunner = app.state.plan_runner
        deliverer: Deliverer = app.state.deliverer
        if running_plans:
            runner.start()
        delivering = (
            run_webhooks if run_webhooks is not None else app.state.engine.dialect.name == "sqlite"
        )
        if delivering:
            deliverer.start()
        yield
        if delivering:
            deliverer.stop()
        if running_plans:  # a runner never started has no jobs (and needs no database) to end
            runner.stop()
        app.state.engine.dispose()

    app = FastAPI(
        title="fostermatch",
        version="0.1.0",
        description=(
            "Foster and kinship family recruitment and matching engine.\n\n"
            "Every `/v1` endpoint but `/v1/health` needs a bearer API key "
            "(`fostermatch keys create --role ROLE --label TEXT`). Errors are "
            "`application/problem+json` with a sentence (`detail`) and the fields at fault "
            "(`errors[].loc`)."
        ),
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url=None,  # served from the package's own assets instead of a CDN: add_docs
        redoc_url=None,
    )
    settings = settings if settings is not None else load_settings()
    app.state.settings = settings
    app.state.engine = engine if engine is not None else make_engine(settings.database_url)
    app.state.policy = load_policy()
    app.state.snapshots = SnapshotCache(app.state.engine)
    app.state.metrics = Metrics(app.state.engine, app.state.snapshots)
    app.state.gaps = GapCache(app.state.engine)
    app.state.outcome_reports = OutcomeReportCache(app.state.engine)
    app.state.plan_runner = PlanRunner(app.state.engine, app.state.policy)
    # with the queue, the `fostermatch worker` processes run the plans: never a solver here
    app.state.plan_runner_mode = settings.plan_runner_for(app.state.engine.dialect.name)
    running_plans = run_plan_jobs and app.state.plan_runner_mode == "web"
    app.state.deliverer = Deliverer(app.state.engine)
    oidc = oidc_settings(settings)
    app.state.oidc = Provider(oidc) if oidc is not None else None  # the agency's, when set
    app.state.plan_quota = PlanQuota(settings.plan_jobs_per_key, settings.plan_jobs_per_role)
    install_problem_handlers(app)
    install_contract(app)
    app.router.route_class = ContractRoute  # for the routes defined here (health)
    routers = (records, matches, plans, equity, decisions, offers, recruitment, outcomes, audit)
    for module in (*routers, changes, webhooks):
        app.include_router(module.router)
    app.include_router(pages_router)  # the pages for people, under /pages
    add_docs(app)
    # innermost first: the key is checked before a body is read, and a database lost while
    # checking it (or anywhere later) answers 503
    app.add_middleware(AuthenticateFirst)
    app.add_middleware(DatabaseFaults)

    origins = settings.cors_origin_list
    if origins:  # closed by default: no cross-origin browser access unless configured
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
        )
    app.add_middleware(BodyLimit, default=MAX_BODY_BYTES, larger={"/v1/imports": MAX_IMPORT_BYTES})
    app.add_middleware(UrlLimit)

    @app.middleware("http")
    async def log_access(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception as exc:
            # answered here, so that the server does not print the traceback: its text and
            # local values may carry record values. The class and the route are enough.
            from api.http.problems import problem_response

            route = getattr(request.scope.get("route"), "path", "(no route)")
            logging.getLogger("fostermatch.api").error(
                "unexpected %s in %s %s", type(exc).__name__, request.method, route
            )
            response = problem_response(
                request, 500, "the server failed to answer this request; the error was logged"
            )
        # the route template, never the path: paths carry child ids
        route = getattr(request.scope.get("route"), "path", "(no route)")
        elapsed = time.perf_counter() - started
        access_log.info(
            "%s %s %d %.1f ms", request.method, route, response.status_code, elapsed * 1000
        )
        app.state.metrics.observe(request.method, route, response.status_code, elapsed)
        return response

    # outermost: on every answer, errors included
    app.add_middleware(SecurityHeaders, tile_origin=settings.tile_origin)

    @app.get(
        "/v1/health",
        tags=["service"],
        summary="Is the service up and its database ready?",
        response_model=Health,
        response_model_exclude_unset=True,
        name="get_health",
    )
    def health(session: SessionDep) -> dict[str, Any]:
        session.execute(text("SELECT 1"))
        engine = session.get_bind()
        return {
            "status": "ok",
            "database": engine.dialect.name,
            "schema_current": is_current(engine),  # type: ignore[arg-type]
        }

    add_probes(app)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, session: SessionDep) -> HTMLResponse:
        summary = agency_summary(session)
        return _templates.TemplateResponse(
            request,
            "home.html",
            {"summary": summary, "database": describe_url(str(session.get_bind().url))},  # type: ignore[union-attr]
        )

    return app
