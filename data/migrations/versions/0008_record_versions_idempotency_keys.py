"""records.version and idempotency_keys: conditional updates and safe retries

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:00:00

Written by hand; mirrors data/models.py. Every kind of record the API writes gets a version
(1 for the records already stored), which the API's ETag and If-Match compare; the
idempotency_keys table keeps the answer of each POST sent with an Idempotency-Key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_TABLES = (
    "communities",
    "homes",
    "children",
    "episodes",
    "placements",
    "applicants",
    "partners",
)


def upgrade() -> None:
    # plain ALTER TABLE, not batch: a batch copy drops tables that other rows refer to, which
    # SQLite's enforced foreign keys refuse (SQLite adds and, since 3.35, drops columns in place)
    for table in RECORD_TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("caller", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("caller", "key", name="uq_idempotency_keys_caller_key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    for table in reversed(RECORD_TABLES):
        op.drop_column(table, "version")
