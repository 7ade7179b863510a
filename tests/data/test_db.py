"""Engine set-up and migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from data.db import DATABASE_URL_ENV, database_url, is_current, make_engine, upgrade


def test_migrations_create_every_table(engine: Engine) -> None:
    """After upgrade the schema is current and holds every record table."""
    assert is_current(engine)
    assert set(inspect(engine).get_table_names()) >= {
        "communities",
        "homes",
        "children",
        "sibling_groups",
        "episodes",
        "placements",
        "applicants",
        "partners",
        "change_counters",
        "alembic_version",
    }


def test_upgrade_is_idempotent(engine: Engine) -> None:
    """Running the migrations twice is harmless."""
    upgrade(engine)
    assert is_current(engine)


def test_new_database_is_not_current(tmp_path: Path) -> None:
    """A database that never ran the migrations is reported as not current."""
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert not is_current(engine)
    engine.dispose()


def test_database_url_defaults_to_sqlite_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the environment variable the database is var/fostermatch.db."""
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    assert database_url() == "sqlite:///var/fostermatch.db"


def test_postgres_url_uses_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain postgresql:// URL is given the psycopg 3 driver."""
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://u@db/x")
    assert database_url() == "postgresql+psycopg://u@db/x"
