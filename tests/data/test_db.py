"""Engine set-up and migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from data.db import DATABASE_URL_ENV, database_url, is_current, make_engine, ours, upgrade


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
        "api_keys",
        "audit_log",
        "decisions",
        "decision_participants",
        "plan_jobs",
        "changes",
        "webhooks",
        "webhook_deliveries",
    }


def test_migrations_match_the_models(engine: Engine) -> None:
    """The hand-written migrations create exactly the tables, columns and indexes of the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import data.models  # noqa: F401  (registers the tables)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": ours})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_downgrade_removes_the_service_tables(engine: Engine) -> None:
    """Revision 0002 downgrades to 0001 (the records stay) and upgrades again."""
    from alembic import command

    from data.db import alembic_config

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    tables = set(inspect(engine).get_table_names())
    assert "api_keys" not in tables and "plan_jobs" not in tables and "homes" in tables
    upgrade(engine)
    assert is_current(engine)


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


def test_record_versions_migrate_up_and_down(engine: Engine, small_folder: Path) -> None:
    """Revision 0008 gives the stored records version 1 and the idempotency_keys table; its
    downgrade takes both away and keeps the records; upgrading again restores them."""
    from alembic import command
    from sqlalchemy import text

    from data.db import alembic_config
    from data.importing import import_folder

    import_folder(engine, small_folder)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    inspector = inspect(engine)
    assert "idempotency_keys" not in inspector.get_table_names()
    assert "version" not in {c["name"] for c in inspector.get_columns("homes")}
    upgrade(engine)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT DISTINCT version FROM children")).scalars()
        assert list(versions) == [1]
        homes = connection.execute(text("SELECT count(*) FROM homes")).scalar_one()
    assert homes == 3 and is_current(engine)


def test_the_change_log_downgrades_and_upgrades(engine: Engine, small_folder: Path) -> None:
    """Revision 0007 downgrades to 0006 (the change log and webhooks go, the records and the
    snapshot's counter stay) and upgrades again, numbering on from the records counter."""
    from alembic import command
    from sqlmodel import Session

    from data.changes import Change, append_changes
    from data.db import alembic_config, session_scope
    from data.importing import import_folder
    from data.models import ChangeCounter

    import_folder(engine, small_folder)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    tables = set(inspect(engine).get_table_names())
    assert not tables & {"changes", "webhooks", "webhook_deliveries"} and "homes" in tables
    with Session(engine) as session:
        assert session.get(ChangeCounter, "changes") is None
        records = session.get(ChangeCounter, "records")
        assert records is not None and records.value == 1
    upgrade(engine)
    assert is_current(engine)
    with session_scope(engine) as session:
        assert append_changes(session, [Change("home.updated", "home", "H1")]) == [2]
