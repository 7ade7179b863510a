"""The application behind a test client, typed: TestClient.app is any ASGI app to mypy."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine


def app_of(client: TestClient) -> FastAPI:
    """The FastAPI application ``client`` talks to."""
    app = client.app
    assert isinstance(app, FastAPI), f"the client serves {type(app).__name__}, not FastAPI"
    return app


def engine_of(client: TestClient) -> Engine:
    """The database engine of the application ``client`` talks to."""
    engine = app_of(client).state.engine
    assert isinstance(engine, Engine)
    return engine
