"""Fixtures of the HTTP API tests: the small agency in a database, a key per role, a client;
the sample county for the page tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.http.app import create_app
from api.services.keys import ROLES, create_key
from data.db import make_engine, session_scope
from data.importing import import_folder
from tests.helpers.auth import make_keys
from tests.helpers.records import write_small_folder


@pytest.fixture
def api_engine(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    """A SQLite database holding the small agency."""
    import_folder(sqlite_engine, write_small_folder(tmp_path / "small-api"))
    return sqlite_engine


@pytest.fixture
def keys(api_engine: Engine) -> dict[str, str]:
    """An API key per role on the small agency's database."""
    return make_keys(api_engine)


@pytest.fixture
def client(api_engine: Engine) -> Iterator[TestClient]:
    """A test client of the application over the small agency."""
    with TestClient(create_app(api_engine)) as test_client:
        yield test_client


@pytest.fixture
def county_engine(county_database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A writable copy of the sample county."""
    copy = tmp_path / "county.db"
    shutil.copy(county_database_url.removeprefix("sqlite:///"), copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture
def county(county_engine: Engine) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """A client over a writable copy of the sample county, and a key per role."""
    with session_scope(county_engine) as session:
        keys = {role: create_key(session, role, f"pages {role}")[1] for role in ROLES}
    with TestClient(create_app(county_engine, run_plan_jobs=False)) as client:
        yield client, keys
