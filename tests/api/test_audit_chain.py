"""The audit log's hash chain: verified, tampering found, concurrent writers, append-only.

Tampering is done the way an intruder with database access would: plain SQL on the table
(on PostgreSQL after disabling the append-only trigger, which its owner can do).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, DateTime, Engine, Executable, String, column, insert, table, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from api.cli import main
from api.services.audit import Operator, audit_read, export_entries, verify_chain, write_audit
from data.audit_chain import GENESIS, HASHED_FIELDS, entry_hash
from data.db import session_scope, upgrade
from data.models import AuditEntry

WHO = Operator("cli:tester")


def _write(engine: Engine, n: int) -> None:
    for i in range(n):
        audit_read(engine, WHO, "read_child", "child", [f"C{i}"])


def _tamper(engine: Engine, *statements: str | Executable) -> None:
    """Run SQL on the log as its owner would, the append-only trigger disabled."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if postgres:
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        for statement in statements:
            connection.execute(text(statement) if isinstance(statement, str) else statement)
        if postgres:
            connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def _verify_cli(engine: Engine, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    url = engine.url.render_as_string(hide_password=False)
    status = main(["--database-url", url, "audit", "verify", "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_an_untouched_log_verifies(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    """Entries written by the application chain from the genesis; verify says OK with the count."""
    assert verify_chain(engine).ok and verify_chain(engine).entries == 0
    _write(engine, 5)
    report = verify_chain(engine)
    assert (report.ok, report.entries, report.head_id) == (True, 5, 5)
    status, out = _verify_cli(engine, capsys)
    assert status == 0 and out["ok"] and out["entries"] == 5
    assert out["head"]["hash"] == report.head_hash != GENESIS


@pytest.mark.parametrize(
    ("statements", "entry_id", "kind"),
    [
        pytest.param(
            ["UPDATE audit_log SET action = 'list_homes' WHERE id = 3"],
            3,
            "content_changed",
            id="altered",
        ),
        pytest.param(
            ["UPDATE audit_log SET child_ids = '[\"C9\"]' WHERE id = 2"],
            2,
            "content_changed",
            id="altered-child",
        ),
        pytest.param(["DELETE FROM audit_log WHERE id = 3"], 4, "entry_deleted", id="deleted"),
        pytest.param(
            ["DELETE FROM audit_log WHERE id = 1"], 2, "entry_deleted", id="first-deleted"
        ),
        pytest.param(
            [
                "INSERT INTO audit_log (id, at, key_label, role, action, resource, child_ids,"
                " fields, prev_hash, hash) VALUES (6, '2026-01-01 00:00:00', 'intruder', 'admin',"
                " 'read_child', 'child', '[]', '[]', 'forged', 'forged')"
            ],
            6,
            "entry_inserted",
            id="inserted",
        ),
        pytest.param(
            [
                "UPDATE audit_log SET id = 100 WHERE id = 2",
                "UPDATE audit_log SET id = 2 WHERE id = 3",
                "UPDATE audit_log SET id = 3 WHERE id = 100",
            ],
            2,
            "chain_reordered",
            id="reordered",
        ),
    ],
)
def test_tampering_is_reported_at_the_first_broken_link(
    engine: Engine,
    capsys: pytest.CaptureFixture[str],
    statements: list[str],
    entry_id: int,
    kind: str,
) -> None:
    """An altered, deleted, inserted or reordered entry: verify names it and exits 1."""
    _write(engine, 5)
    _tamper(engine, *statements)
    report = verify_chain(engine)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.kind) == (entry_id, kind), report.broken
    status, out = _verify_cli(engine, capsys)
    assert status == 1 and not out["ok"]
    assert out["broken"]["entry_id"] == entry_id and out["broken"]["kind"] == kind
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "audit", "verify"]) == 1
    assert f"BROKEN at entry {entry_id}" in capsys.readouterr().out


def test_an_entry_slipped_in_between_two_others_is_found(engine: Engine) -> None:
    """A forged entry chained properly onto entry 1 and put before entry 3 is found.

    The forger must first drop the unique index on ``prev_hash`` (which forbids two entries
    with one predecessor) and find a free id: a gap, as a rolled-back write leaves.
    """
    _write(engine, 2)
    with Session(engine) as session:
        first = session.execute(text("SELECT hash FROM audit_log WHERE id = 1")).scalar_one()
    forged = AuditEntry(
        id=2,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        key_label="intruder",
        role="admin",
        action="read_child",
        resource="child",
        child_ids=["C1"],
        prev_hash=first,
        hash="",
    )
    forged.hash = entry_hash(forged, first)
    values = {c: getattr(forged, c) for c in ("id", *HASHED_FIELDS, "prev_hash", "hash")}
    _tamper(
        engine,
        "UPDATE audit_log SET id = 3 WHERE id = 2",
        "DROP INDEX ix_audit_log_prev_hash",
        insert(AuditEntry).values(**values),
    )
    report = verify_chain(engine)
    assert report.broken is not None
    assert (report.broken.entry_id, report.broken.kind) == (2, "entry_inserted")


def _at_once(threads: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(n)`` in ``threads`` threads released together; the exceptions they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def run(n: int) -> None:
        try:
            start.wait()
            work(n)
        except BaseException as exc:  # pragma: no cover - reported by the caller
            errors.append(exc)

    running = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return errors


@pytest.mark.postgres
def test_the_chain_holds_under_concurrent_writers_on_postgres(postgres_engine: Engine) -> None:
    """8 threads, each its own sessions, write 400 entries at once: one unbroken chain."""

    def writer(n: int) -> None:
        for i in range(40):
            if i % 4 == 0:  # a write's transaction with two entries in it
                with session_scope(postgres_engine) as session:
                    write_audit(session, WHO, "upsert", "child", [f"C{n}"], record_id="x")
                    write_audit(session, WHO, "upsert", "episode", [f"C{n}"], record_id="y")
            else:
                audit_read(postgres_engine, WHO, "read_child", "child", [f"C{n}-{i}"])

    assert _at_once(8, writer) == []
    report = verify_chain(postgres_engine)
    assert report.ok, report.broken
    assert report.entries == 8 * 40 + 8 * 10


def test_the_chain_holds_under_concurrent_writers_on_sqlite(sqlite_engine: Engine) -> None:
    """4 threads writing to one SQLite file: the write lock is taken before the chain is read."""
    assert _at_once(4, lambda _n: _write(sqlite_engine, 25)) == []
    report = verify_chain(sqlite_engine)
    assert report.ok and report.entries == 100


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'nothing' WHERE id = 1",
        "DELETE FROM audit_log WHERE id = 1",
        "TRUNCATE audit_log",
    ],
)
def test_the_application_cannot_change_the_log_on_postgres(
    postgres_engine: Engine, statement: str
) -> None:
    """UPDATE, DELETE and TRUNCATE through the application's engine are refused; INSERT is not."""
    _write(postgres_engine, 2)
    with pytest.raises(DBAPIError, match="append-only"), postgres_engine.begin() as connection:
        connection.execute(text(statement))
    assert verify_chain(postgres_engine).entries == 2


@pytest.mark.postgres
def test_the_migration_revokes_changes_from_other_roles(postgres_engine: Engine) -> None:
    """A role granted everything before 0005 keeps INSERT and SELECT, loses UPDATE and DELETE."""
    from alembic import command

    from data.db import alembic_config

    role = f"fm_app_{uuid.uuid4().hex[:8]}"
    config = alembic_config()
    with postgres_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
        connection.execute(text(f'CREATE ROLE "{role}"'))
        connection.execute(text(f'GRANT ALL ON audit_log TO "{role}"'))
    try:
        upgrade(postgres_engine)
        with postgres_engine.connect() as connection:
            held = {
                p: connection.execute(
                    text(f"SELECT has_table_privilege('{role}', 'audit_log', '{p}')")
                ).scalar_one()
                for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
            }
        assert held == {
            "SELECT": True,
            "INSERT": True,
            "UPDATE": False,
            "DELETE": False,
            "TRUNCATE": False,
        }
    finally:
        with postgres_engine.begin() as connection:
            connection.execute(text(f'REVOKE ALL ON audit_log FROM "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))


def test_the_migration_chains_the_entries_written_before_it(engine: Engine) -> None:
    """Entries of a 0003 database are chained by 0005: verify passes after the upgrade."""
    from alembic import command

    from data.db import alembic_config

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    old_log = table(
        "audit_log",
        column("at", DateTime(timezone=True)),
        *(column(name, String()) for name in ("key_label", "role", "action", "resource")),
        column("child_ids", JSON()),
    )
    moment = datetime(2025, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            old_log.insert(),
            [
                {
                    "at": moment + timedelta(seconds=i),
                    "key_label": "old key",
                    "role": "coordinator",
                    "action": "read_child",
                    "resource": "child",
                    "child_ids": [f"C{i}"],
                }
                for i in range(3)
            ],
        )
    upgrade(engine)
    report = verify_chain(engine)
    assert (report.ok, report.entries) == (True, 3)
    _write(engine, 1)  # and new entries chain onto them
    assert verify_chain(engine).entries == 4 and verify_chain(engine).ok


def test_export_is_json_lines_after_an_id(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit export --after ID` prints the newer entries, one JSON object a line, with hashes;
    `--out FILE` appends only what the file does not hold yet."""
    _write(engine, 3)
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "audit", "export", "--after", "1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["id"] for e in lines] == [2, 3]
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    assert [e["id"] for e in export_entries(engine, 0)] == [1, 2, 3]

    out = tmp_path / "siem" / "audit.jsonl"
    assert main(["--database-url", url, "audit", "export", "--out", str(out)]) == 0
    _write(engine, 2)
    assert main(["--database-url", url, "audit", "export", "--out", str(out)]) == 0
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [e["id"] for e in exported] == [1, 2, 3, 4, 5]
    capsys.readouterr()
