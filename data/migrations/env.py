"""Alembic environment: runs migrations on the connection handed over by ``data.db.upgrade``."""

from alembic import context
from sqlmodel import SQLModel

import data.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from data.db import ours

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `fostermatch db upgrade` (data.db.upgrade)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=ours,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
