"""Engine, sessions and schema migrations.

The database is picked by ``FOSTERMATCH_DATABASE_URL``; without it, a SQLite file at
``var/fostermatch.db`` under the current directory. PostgreSQL URLs use psycopg 3
(``postgresql://…`` is rewritten to ``postgresql+psycopg://…``). The schema is created and
changed only by Alembic migrations (``fostermatch db upgrade``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

__all__ = [
    "DATABASE_URL_ENV",
    "MigrationRefused",
    "alembic_config",
    "database_url",
    "describe_url",
    "find_database_url",
    "is_current",
    "make_engine",
    "ours",
    "schema_revision",
    "session_scope",
    "upgrade",
    "write_lock",
]

DATABASE_URL_ENV = "FOSTERMATCH_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path("var") / "fostermatch.db"


class MigrationRefused(ValueError):
    """A migration found records that break the rule it adds; nothing was changed.

    The message names the records and what to do with them before upgrading again.
    """


def database_url(url: str | None = None) -> str:
    """The database URL: the argument, else the environment, else the default SQLite file."""
    url = url or os.environ.get(DATABASE_URL_ENV)
    if not url:
        return f"sqlite:///{DEFAULT_SQLITE_PATH}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def find_database_url(start: Path | None = None) -> str:
    """The database URL for a notebook or script run anywhere inside a project: the
    environment's, else the default SQLite file of ``start`` (the working directory) or of the
    nearest folder above it that has one, else the default."""
    if os.environ.get(DATABASE_URL_ENV):
        return database_url()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / DEFAULT_SQLITE_PATH).is_file():
            return f"sqlite:///{folder / DEFAULT_SQLITE_PATH}"
    return database_url()


def describe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (see :func:`database_url`), with SQLite set up for safety.

    SQLite gets foreign keys enforced, WAL journaling for file databases (readers do not
    block the writer) and a busy timeout; its parent folder is created when missing. A
    server database (PostgreSQL) gets ``pool_pre_ping``: a connection that died while idle
    in the pool is replaced before a request uses it.
    """
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:
        # a server's connections die (restarts, failovers, idle timeouts): test each one as
        # it leaves the pool and replace a dead one, instead of failing the request
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        file_backed = bool(parsed.database) and parsed.database != ":memory:"

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if file_backed:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is one transaction: committed on success, rolled back on error."""
    with Session(engine) as session, session.begin():
        yield session


def write_lock(session: Session) -> None:
    """On SQLite, as the first statement of a transaction: take the database's write lock now
    (``BEGIN IMMEDIATE``), so what the transaction reads stays true until it commits; one
    writer at a time. PostgreSQL's callers lock the rows they read (``FOR UPDATE``) instead."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))


def alembic_config() -> Config:
    """Alembic's configuration for the migrations in ``data/migrations`` (no ini file)."""
    config = Config()
    config.set_main_option("script_location", str(files("data") / "migrations"))
    return config


def ours(name: str | None, kind: str, parents: Mapping[Any, str | None]) -> bool:
    """Whether a database object is one of our models' (Alembic's ``include_name``): the job
    queue's tables (migration 0010) are the queue library's, not described by our models."""
    table = name if kind == "table" else parents.get("table_name")
    return not (table or "").startswith("procrastinate_")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision`` on this engine's database."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at (None before the first)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_current(engine: Engine) -> bool:
    """True when the database is at the latest migration."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return schema_revision(engine) == head
