"""The FastAPI application: a health endpoint and a home page with the agency's summary.

The records API, matching, recruitment and outcomes endpoints arrive with their issues.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, text
from sqlmodel import Session

from data.db import describe_url, is_current, make_engine
from data.queries import agency_summary

__all__ = ["create_app"]

_templates = Jinja2Templates(directory=str(files("api") / "templates"))


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request, on the application's engine."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def create_app(engine: Engine | None = None) -> FastAPI:
    """Build the application over ``engine`` (default: the database of the environment)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="fostermatch",
        version="0.1.0",
        description="Foster and kinship family recruitment and matching engine.",
        lifespan=lifespan,
    )
    app.state.engine = engine if engine is not None else make_engine()

    @app.get("/v1/health", tags=["service"], summary="Is the service up and its database ready?")
    def health(session: SessionDep) -> dict[str, Any]:
        session.execute(text("SELECT 1"))
        engine = session.get_bind()
        return {
            "status": "ok",
            "database": engine.dialect.name,
            "schema_current": is_current(engine),  # type: ignore[arg-type]
        }

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, session: SessionDep) -> HTMLResponse:
        summary = agency_summary(session)
        return _templates.TemplateResponse(
            request,
            "home.html",
            {"summary": summary, "database": describe_url(str(session.get_bind().url))},  # type: ignore[union-attr]
        )

    return app
