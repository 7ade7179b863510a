"""the service's tables: API keys, audit log, decisions and their participants, plan jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:00:00

Written by hand (issue 5); the tables mirror data/models.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        _when("created_at", False),
        _when("revoked_at", True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_api_keys_prefix", "api_keys", ["prefix"], unique=True)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        _when("at", False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("key_label", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("resource", sa.String(length=30), nullable=False),
        sa.Column("child_ids", sa.JSON(), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_key_id", "audit_log", ["key_id"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        _when("created_at", False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("placements", sa.JSON(), nullable=False),
        sa.Column("options_shown", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("icwa_good_cause", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "decision_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_decision_participants_decision_id", "decision_participants", ["decision_id"]
    )

    op.create_table(
        "plan_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=False),
        _when("created_at", False),
        _when("started_at", True),
        _when("finished_at", True),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_jobs_status", "plan_jobs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_plan_jobs_status", table_name="plan_jobs")
    op.drop_table("plan_jobs")
    op.drop_index("ix_decision_participants_decision_id", table_name="decision_participants")
    op.drop_table("decision_participants")
    op.drop_table("decisions")
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_index("ix_audit_log_key_id", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_api_keys_prefix", table_name="api_keys")
    op.drop_table("api_keys")
