"""placements: one open family placement per child (partial unique index); capacity_waiver

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:00:00

Written by hand; mirrors data/models.py. An open family placement is one not ended
(``ended_on`` empty) in a family setting (pre_adoptive, kin_home, foster_home): a child lives in
at most one family home at a time, and the database now refuses a second whatever the path
of the write. ``capacity_waiver`` holds the case system's reason for a placement recorded in
a home that had no free bed.

The upgrade refuses, changing nothing, when a child already has two or more open family
placements: it names them, to be ended (or corrected) first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from data.db import MigrationRefused

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the same predicate as data.models.OPEN_FAMILY_PLACEMENT, frozen here as of this revision
OPEN_FAMILY = "ended_on IS NULL AND setting IN ('pre_adoptive', 'kin_home', 'foster_home')"
NAMED = 20  # children named in the refusal; the count says how many more


def _children_placed_twice() -> list[tuple[str, int]]:
    rows = op.get_bind().execute(
        sa.text(
            f"SELECT child_id, count(*) FROM placements WHERE {OPEN_FAMILY} "
            "GROUP BY child_id HAVING count(*) > 1 ORDER BY child_id"
        )
    )
    return [(str(child_id), int(n)) for child_id, n in rows]


def upgrade() -> None:
    placed_twice = _children_placed_twice()
    if placed_twice:
        named = ", ".join(f"{child_id} ({n})" for child_id, n in placed_twice[:NAMED])
        more = len(placed_twice) - NAMED
        raise MigrationRefused(
            "migration 0004 (one open family placement per child) was not applied: "
            f"{len(placed_twice)} child(ren) have more than one open family placement: "
            f"{named}{f' and {more} more' if more > 0 else ''}. End all but the current one "
            "(set ended_on, e.g. PUT /v1/placements/CHILD/STARTED_ON/SETTING) and upgrade again"
        )
    with op.batch_alter_table("placements") as batch:  # batch: SQLite cannot alter in place
        batch.add_column(sa.Column("capacity_waiver", sa.String(length=500), nullable=True))
    op.create_index(
        "uq_placements_one_open_family",
        "placements",
        ["child_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_FAMILY),
        postgresql_where=sa.text(OPEN_FAMILY),
    )


def downgrade() -> None:
    op.drop_index("uq_placements_one_open_family", table_name="placements")
    with op.batch_alter_table("placements") as batch:
        batch.drop_column("capacity_waiver")
