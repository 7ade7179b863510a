"""Shared fixtures: databases (SQLite always; PostgreSQL when its URL is set) and folders."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from data.db import database_url, make_engine, upgrade
from tests.helpers.database import fresh_sqlite
from tests.helpers.records import write_small_folder

POSTGRES_URL_ENV = "FOSTERMATCH_TEST_POSTGRES_URL"


def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_URL_ENV}, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test (.ci/run sets it)"
        )
    return database_url(url)


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A migrated engine on a fresh PostgreSQL database, dropped afterwards."""
    url = make_url(_postgres_url())
    name = f"fostermatch_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on a new SQLite file."""
    engine = fresh_sqlite(tmp_path / "fostermatch.db")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The data-layer tests run on both databases."""
    chosen: Engine = request.getfixturevalue(f"{request.param}_engine")
    return chosen


@pytest.fixture
def small_folder(tmp_path: Path) -> Path:
    """The small agency written as a folder of the import format."""
    return write_small_folder(tmp_path / "small")


@pytest.fixture(scope="session")
def county_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database holding the sample county (seed 1), built once per test session.

    Read-only by convention: tests that write use their own database.
    """
    from data.generate import generate
    from data.importing import import_folder

    root = tmp_path_factory.mktemp("sample-county")
    generate(root / "folder", seed=1, scale="county")
    url = f"sqlite:///{root / 'county.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        import_folder(engine, root / "folder")
    finally:
        engine.dispose()
    return url
