"""Fixtures of the HTTP API tests: the small agency in a database, a key per role, a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.http.app import create_app
from api.services.keys import ROLES, create_key
from data.db import session_scope
from data.importing import import_folder
from tests.conftest import write_small_folder


@pytest.fixture
def api_engine(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    """A SQLite database holding the small agency."""
    import_folder(sqlite_engine, write_small_folder(tmp_path / "small-api"))
    return sqlite_engine


def make_keys(engine: Engine) -> dict[str, str]:
    """One new API key per role, role -> key."""
    with session_scope(engine) as session:
        return {role: create_key(session, role, f"test {role}")[1] for role in ROLES}


@pytest.fixture
def keys(api_engine: Engine) -> dict[str, str]:
    """An API key per role on the small agency's database."""
    return make_keys(api_engine)


@pytest.fixture
def client(api_engine: Engine) -> Iterator[TestClient]:
    """A test client of the application over the small agency."""
    with TestClient(create_app(api_engine)) as test_client:
        yield test_client


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}
