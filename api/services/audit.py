"""The audit log: every read of a child record and every write, with who and when.

An entry names who acted (the API key's id, label and role; ``cli:<user>`` with role ``cli``
for the command line), the action (``read_child``, ``list_children``, ``match``,
``plan_result``, ``upsert``, ``delete``, ``import``, ``decision``, ``plan_start``,
``key_create``, ...), the kind of record, its id, the ids of the children concerned and the
names of the fields a write changed (never their values). Entries are written before the
answer leaves: a read whose audit entry cannot be written fails (the log is never silently
incomplete). A write's entry is written in the write's own transaction.

The entries form a hash chain (data/audit_chain.py): each entry is written under a lock on
the chain's end (a transaction-scoped advisory lock on PostgreSQL, the write lock on SQLite),
so concurrent writers never fork it, and :func:`verify_chain` reports the first broken link.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Engine, String, cast, select, text
from sqlmodel import Session, col

from data.audit_chain import GENESIS, entry_hash
from data.changes import ENTITY_OF_FILE
from data.db import session_scope
from data.importing import ImportReport
from data.models import AuditEntry

__all__ = [
    "Actor",
    "AuditQuery",
    "ChainBreak",
    "ChainReport",
    "Operator",
    "audit_import",
    "audit_read",
    "entry_json",
    "export_entries",
    "query_audit",
    "verify_chain",
    "write_audit",
]


class Actor(Protocol):
    """Who wrote: an API caller (:class:`api.services.keys.Principal`) or the command line."""

    @property
    def key_id(self) -> int | None: ...

    @property
    def label(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Operator:
    """The command line's actor: the operating-system user, with no API key."""

    label: str
    role: str = "cli"
    key_id: int | None = None

    @classmethod
    def current(cls) -> Operator:
        """``cli:<user>`` for the user running this process."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no login name (e.g. a container's anonymous uid)
            user = f"uid {os.getuid()}"
        return cls(f"cli:{user}")


def _lock_chain_end(session: Session) -> str:
    """Lock the end of the chain for this transaction; the last entry's hash.

    PostgreSQL: an advisory lock held until commit, so the next writer reads this entry as
    its predecessor. SQLite: the database's write lock (``BEGIN IMMEDIATE`` unless this
    transaction already writes), taken before the read so that no other writer commits an
    entry between the read and the insert.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # migration 0005's function: the advisory lock, then the read, in one round trip
        session.flush()  # this transaction's own entries first
        last = connection.execute(text("SELECT audit_log_chain_end()")).scalar_one()
        return str(last) if last else GENESIS
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    last = session.execute(
        select(col(AuditEntry.hash)).order_by(col(AuditEntry.id).desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS


def write_audit(
    session: Session,
    principal: Actor,
    action: str,
    resource: str,
    child_ids: Sequence[str] = (),
    detail: str | None = None,
    *,
    record_id: str | None = None,
    fields: Sequence[str] = (),
) -> AuditEntry:
    """Add an entry to ``session``, chained to the last one (committed with the caller).

    Call it last in a transaction: the chain's end stays locked until the commit.
    """
    prev_hash = _lock_chain_end(session)
    entry = AuditEntry(
        at=datetime.now(UTC),
        key_id=principal.key_id,
        key_label=principal.label[:200],
        role=principal.role,
        action=action,
        resource=resource,
        record_id=record_id[:200] if record_id else None,
        child_ids=list(dict.fromkeys(child_ids)),
        fields=sorted(set(fields)),
        detail=detail[:500] if detail else None,
        prev_hash=prev_hash,
        hash="",
    )
    entry.hash = entry_hash(entry, prev_hash)
    session.add(entry)  # flushed before the next entry of this transaction reads the chain
    return entry


def audit_import(principal: Actor) -> Callable[[Session, ImportReport], None]:
    """The import's ``before_commit``: one ``import`` entry per file, with its counts."""

    def write(session: Session, report: ImportReport) -> None:
        for name, counts in report.files.items():
            write_audit(
                session,
                principal,
                "import",
                ENTITY_OF_FILE.get(name, name),
                detail=f"{name}: {counts.inserted} inserted, {counts.updated} updated, "
                f"{counts.unchanged} unchanged",
            )

    return write


def audit_read(
    engine: Engine,
    principal: Actor,
    action: str,
    resource: str,
    child_ids: Sequence[str] = (),
    detail: str | None = None,
) -> None:
    """Write a read's entry in its own transaction."""
    with session_scope(engine) as session:
        write_audit(session, principal, action, resource, child_ids, detail)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of the audit log; ``after`` is the last entry id already seen (paging)."""

    child_id: str | None = None
    action: str | None = None
    key_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: int | None = None
    limit: int = 100


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query_audit(session: Session, query: AuditQuery) -> list[AuditEntry]:
    """Entries matching ``query``, oldest first."""
    statement = select(AuditEntry).order_by(col(AuditEntry.id)).limit(query.limit)
    if query.child_id is not None:
        # the ids are a JSON array: match the quoted id inside its text (both databases)
        needle = f'%"{_like_escape(query.child_id)}"%'
        statement = statement.where(
            cast(col(AuditEntry.child_ids), String).like(needle, escape="\\")
        )
    if query.action is not None:
        statement = statement.where(col(AuditEntry.action) == query.action)
    if query.key_id is not None:
        statement = statement.where(col(AuditEntry.key_id) == query.key_id)
    if query.since is not None:
        statement = statement.where(col(AuditEntry.at) >= query.since)
    if query.until is not None:
        statement = statement.where(col(AuditEntry.at) < query.until)
    if query.after is not None:
        statement = statement.where(col(AuditEntry.id) > query.after)
    return list(session.execute(statement).scalars())


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the API and ``fostermatch audit --json`` print it."""
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    return {
        "id": entry.id,
        "at": at.isoformat(),
        "key_id": entry.key_id,
        "key_label": entry.key_label,
        "role": entry.role,
        "action": entry.action,
        "resource": entry.resource,
        "child_ids": list(entry.child_ids),
        "detail": entry.detail,
        "record_id": entry.record_id,
        "fields": list(entry.fields),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


# -- the chain: verify, export ----------------------------------------------------------------

_PAGE = 5000


def _pages(session: Session, after: int) -> Iterator[AuditEntry]:
    """Every entry after id ``after``, oldest first, read a page at a time (bounded memory)."""
    while True:
        page = list(
            session.execute(
                select(AuditEntry)
                .where(col(AuditEntry.id) > after)
                .order_by(col(AuditEntry.id))
                .limit(_PAGE)
            ).scalars()
        )
        yield from page
        if len(page) < _PAGE:
            return
        after = page[-1].id or after
        session.expunge_all()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first broken link: the entry where the chain stops holding, and why.

    ``kind`` is ``content_changed`` (the entry does not match its hash), ``entry_deleted``
    (the entry it is chained to is gone), ``entry_inserted`` (entries before it are not in
    the chain, or it is not: written outside the application) or ``chain_reordered`` (it is
    chained to an entry that comes after it).
    """

    entry_id: int
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What :func:`verify_chain` found: the entries walked, the chain's end, the first break."""

    entries: int
    head_id: int | None
    head_hash: str
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def summary(self) -> str:
        if self.broken is not None:
            b = self.broken
            return f"audit log BROKEN at entry {b.entry_id} ({b.kind}): {b.message}"
        return (
            f"audit log OK: {self.entries} entries chained; "
            f"last entry {self.head_id}, hash {self.head_hash}"
        )

    def to_json(self) -> dict[str, Any]:
        broken = self.broken
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": {"id": self.head_id, "hash": self.head_hash},
            "broken": None
            if broken is None
            else {"entry_id": broken.entry_id, "kind": broken.kind, "message": broken.message},
        }


def _holder_of(session: Session, digest: str, other_than: int) -> int | None:
    """The id of another entry whose hash is ``digest`` (one scan: only at a broken link)."""
    return session.execute(
        select(col(AuditEntry.id))
        .where(col(AuditEntry.hash) == digest, col(AuditEntry.id) != other_than)
        .limit(1)
    ).scalar_one_or_none()


def _diagnose(
    session: Session, entry: AuditEntry, expected: str, previous_id: int | None
) -> ChainBreak | None:
    assert entry.id is not None
    content_ok = entry_hash(entry, entry.prev_hash) == entry.hash
    if entry.prev_hash == expected:
        if content_ok:
            return None
        return ChainBreak(
            entry.id,
            "content_changed",
            f"entry {entry.id} does not match its hash: it was changed after it was written "
            "(or written outside the application)",
        )
    holder = _holder_of(session, entry.prev_hash, entry.id)
    if holder is not None and holder > entry.id:
        return ChainBreak(
            entry.id,
            "chain_reordered",
            f"entry {entry.id} is chained to entry {holder}, which comes after it",
        )
    if holder is not None:
        first = previous_id if previous_id is not None else entry.id
        return ChainBreak(
            first,
            "entry_inserted",
            f"entry {entry.id} is chained to entry {holder}: the entries between them "
            f"(from entry {first}) were not written by the application",
        )
    if not content_ok:
        return ChainBreak(
            entry.id,
            "entry_inserted",
            f"entry {entry.id} matches neither its hash nor its predecessor: "
            "it was not written by the application",
        )
    before = f"entry {previous_id}" if previous_id is not None else "the start of the log"
    return ChainBreak(
        entry.id,
        "entry_deleted",
        f"entry {entry.id} is chained to an entry that is no longer in the log: "
        f"one or more entries after {before} were deleted",
    )


def verify_chain(engine: Engine) -> ChainReport:
    """Walk the whole log in id order and check every link and every hash.

    Deleting the newest entries leaves a shorter chain that still holds: compare the end
    reported here (``head_id``, ``head_hash``) with the copy exported to the agency's SIEM.
    """
    expected, previous_id, count = GENESIS, None, 0
    with Session(engine) as session:
        for entry in _pages(session, 0):
            broken = _diagnose(session, entry, expected, previous_id)
            if broken is not None:
                return ChainReport(count, previous_id, expected, broken)
            expected, previous_id, count = entry.hash, entry.id, count + 1
    return ChainReport(count, previous_id, expected, None)


def export_entries(engine: Engine, after: int = 0) -> Iterator[dict[str, Any]]:
    """Every entry after id ``after``, oldest first, as :func:`entry_json` writes it."""
    with Session(engine) as session:
        for entry in _pages(session, after):
            yield entry_json(entry)
