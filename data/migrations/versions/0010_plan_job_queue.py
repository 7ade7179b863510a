"""the plan job queue: procrastinate's tables and functions (PostgreSQL only)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 20:00:00

With PostgreSQL, plans are jobs on a procrastinate queue taken by ``fostermatch worker``
processes (api/services/plan_queue.py). The queue's schema is the library's own, installed
here from the package so that ``fostermatch db upgrade`` is the one step an operator runs.
It matches the pinned procrastinate release (pyproject.toml); moving to a release that
changes the schema takes a new migration applying that release's own migration scripts.
SQLite runs plans in the web process and gets nothing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)
_TYPES = (
    "procrastinate_job_to_defer_v1",
    "procrastinate_job_event_type",
    "procrastinate_job_status",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    # psycopg's own execute, without parameters: the schema's text is SQL, not a template
    # (its "%" are literal), on the migration's connection and in its transaction
    bind.connection.driver_connection.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    # the functions are versioned by name (…_v1, …_v2): drop every one the library made
    op.execute(
        """
        DO $$
        DECLARE fn regprocedure;
        BEGIN
            FOR fn IN SELECT p.oid::regprocedure FROM pg_proc p
                      JOIN pg_namespace n ON n.oid = p.pronamespace
                      WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
            LOOP
                EXECUTE 'DROP FUNCTION ' || fn || ' CASCADE';
            END LOOP;
        END $$;
        """
    )
    for type_name in _TYPES:
        op.execute(f"DROP TYPE IF EXISTS {type_name} CASCADE")
