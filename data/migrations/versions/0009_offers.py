"""offers and offer_children: the calls to families about a child and how they ended

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 20:00:00

Written by hand; mirrors data/models.py. An offer is one call to a home about a child or a
sibling group (offer_children names the children); its outcome is offered, accepted,
declined (with a reason code) or no_answer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("home_id", sa.String(length=64), sa.ForeignKey("homes.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("key_id", sa.Integer(), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("called_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_offers_home_id", "offers", ["home_id"])
    op.create_index("ix_offers_at", "offers", ["at"])
    op.create_table(
        "offer_children",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("offer_id", sa.Integer(), sa.ForeignKey("offers.id"), nullable=False),
        sa.Column("child_id", sa.String(length=64), sa.ForeignKey("children.id"), nullable=False),
        sa.UniqueConstraint("offer_id", "child_id", name="uq_offer_children"),
    )
    op.create_index("ix_offer_children_offer_id", "offer_children", ["offer_id"])
    op.create_index("ix_offer_children_child_id", "offer_children", ["child_id"])


def downgrade() -> None:
    op.drop_index("ix_offer_children_child_id", table_name="offer_children")
    op.drop_index("ix_offer_children_offer_id", table_name="offer_children")
    op.drop_table("offer_children")
    op.drop_index("ix_offers_at", table_name="offers")
    op.drop_index("ix_offers_home_id", table_name="offers")
    op.drop_table("offers")
