"""The web application: health endpoint and home page."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.http.app import create_app
from data.importing import import_folder


def test_health(sqlite_engine: Engine) -> None:
    """The health endpoint answers with the database kind and schema state."""
    with TestClient(create_app(sqlite_engine)) as client:
        response = client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "sqlite", "schema_current": True}


def test_home_page_shows_the_summary(sqlite_engine: Engine, small_folder: Path) -> None:
    """The home page lists the agency's headline figures."""
    import_folder(sqlite_engine, small_folder)
    with TestClient(create_app(sqlite_engine)) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert "Children waiting for a family home" in response.text
    assert '<td class="n">2</td>' in response.text  # homes open; children in care


def test_home_page_on_an_empty_database(sqlite_engine: Engine) -> None:
    """An empty database says how to load records."""
    with TestClient(create_app(sqlite_engine)) as client:
        response = client.get("/")
    assert "fostermatch demo" in response.text
