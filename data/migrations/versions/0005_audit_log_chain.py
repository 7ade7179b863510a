"""audit_log: the record and fields a write changed, a hash chain, and append-only on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:00:00

Written by hand; mirrors data/models.py. The entries written before this revision are chained
here, in id order, with the hash of data/audit_chain.py, so `fostermatch audit verify` passes
on an upgraded database. On PostgreSQL the table then becomes append-only: a trigger refuses
every UPDATE, DELETE and TRUNCATE, whoever runs it, and those privileges are revoked from
PUBLIC and from every role other than the table's owner that held them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from data.audit_chain import GENESIS, entry_hash

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000

_LOG = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("key_id", sa.Integer()),
    sa.column("key_label", sa.String()),
    sa.column("role", sa.String()),
    sa.column("action", sa.String()),
    sa.column("resource", sa.String()),
    sa.column("record_id", sa.String()),
    sa.column("child_ids", sa.JSON()),
    sa.column("fields", sa.JSON()),
    sa.column("detail", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)

_APPEND_ONLY = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- lock the chain's end for this transaction, then read it: one round trip, and (a volatile
-- function takes a fresh snapshot per statement) the read sees the previous holder's entry
CREATE FUNCTION audit_log_chain_end() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1718444405);
    RETURN (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1);
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
"""

# PUBLIC, and every other role that was granted a way to change the entries; the owner keeps
# its rights (it could grant them back to itself anyway): the trigger is what holds it
_REVOKE = """
DO $$
DECLARE grantee_name text;
BEGIN
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
    FOR grantee_name IN
        SELECT DISTINCT g.grantee FROM information_schema.role_table_grants AS g
        WHERE g.table_schema = current_schema() AND g.table_name = 'audit_log'
          AND g.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
          AND g.grantee <> 'PUBLIC'
          AND g.grantee <> (SELECT tableowner FROM pg_tables
                            WHERE schemaname = current_schema() AND tablename = 'audit_log')
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', grantee_name);
    END LOOP;
END
$$;
"""


def _chain_existing_entries() -> None:
    connection = op.get_bind()
    prev, last = GENESIS, 0
    while True:
        rows = connection.execute(
            sa.select(_LOG).where(_LOG.c.id > last).order_by(_LOG.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for row in rows:
            digest = entry_hash(row, prev)
            changes.append({"entry_id": row.id, "prev_hash": prev, "hash": digest})
            prev, last = digest, row.id
        connection.execute(
            _LOG.update()
            .where(_LOG.c.id == sa.bindparam("entry_id"))
            .values(prev_hash=sa.bindparam("prev_hash"), hash=sa.bindparam("hash")),
            changes,
        )


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:  # batch: SQLite cannot alter in place
        batch.add_column(sa.Column("record_id", sa.String(length=200), nullable=True))
        batch.add_column(
            sa.Column("fields", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("fields", server_default=None)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_index("ix_audit_log_prev_hash", ["prev_hash"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY)
        op.execute(_REVOKE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
        op.execute("DROP FUNCTION audit_log_chain_end()")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_prev_hash")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("fields")
        batch.drop_column("record_id")
