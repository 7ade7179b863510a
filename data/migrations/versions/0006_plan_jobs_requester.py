"""plan_jobs.role and plan_jobs.requested_by: who asked for a plan, also without an API key

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 17:15:00

Written by hand; mirrors data/models.py. A person signed in at the agency's identity provider
has no API key, so the plan limits per caller and per role cannot find their jobs through
plan_jobs.key_id. The jobs already stored take the role of their key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_jobs") as batch:  # batch: SQLite cannot alter in place
        batch.add_column(sa.Column("role", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("requested_by", sa.String(length=200), nullable=True))
        batch.create_index("ix_plan_jobs_role", ["role"])
    op.execute(
        "UPDATE plan_jobs SET role = (SELECT role FROM api_keys WHERE api_keys.id = "
        "plan_jobs.key_id), requested_by = (SELECT label FROM api_keys WHERE api_keys.id = "
        "plan_jobs.key_id) WHERE key_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("plan_jobs") as batch:
        batch.drop_index("ix_plan_jobs_role")
        batch.drop_column("requested_by")
        batch.drop_column("role")
