"""The audit log: every read of a child record and every decision, with who and when.

An entry names the key (id and label) and its role, the action (``read_child``,
``list_children``, ``match``, ``plan_result``, ``decision``, ...), the kind of record and
the ids of the children concerned. Entries are written before the answer leaves: a read
whose audit entry cannot be written fails (the log is never silently incomplete). A
decision's entry is written in the decision's own transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, String, cast, select
from sqlmodel import Session, col

from api.auth import Principal
from data.db import session_scope
from data.models import AuditEntry

__all__ = ["AuditQuery", "audit_read", "entry_json", "query_audit", "write_audit"]


def write_audit(
    session: Session,
    principal: Principal,
    action: str,
    resource: str,
    child_ids: Sequence[str] = (),
    detail: str | None = None,
) -> AuditEntry:
    """Add an entry to ``session`` (committed with the caller's transaction)."""
    entry = AuditEntry(
        at=datetime.now(UTC),
        key_id=principal.key_id,
        key_label=principal.label,
        role=principal.role,
        action=action,
        resource=resource,
        child_ids=list(dict.fromkeys(child_ids)),
        detail=detail[:500] if detail else None,
    )
    session.add(entry)
    return entry


def audit_read(
    engine: Engine,
    principal: Principal,
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
    }
