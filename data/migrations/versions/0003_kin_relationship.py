"""homes.kin_relationship: how a kin family is related to the children it is named for

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 23:40:00

Written by hand; mirrors data/models.py.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("homes") as batch:  # batch: SQLite cannot alter in place
        batch.add_column(sa.Column("kin_relationship", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("homes") as batch:
        batch.drop_column("kin_relationship")
