"""The changes feed: the change log (data/changes.py) as the API and the webhooks send it.

A change is sent the same way by ``GET /v1/changes`` and in a webhook's POST body, so a case
system may read either (or both: the ``id`` is the same, and tells a repeat).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlmodel import Session

from data.changes import changes_after
from data.models import ChangeEntry

__all__ = ["ChangesPage", "change_json", "event_id", "read_changes"]


def event_id(seq: int) -> str:
    """The event id of the change numbered ``seq``: the same in the feed and every delivery."""
    return f"evt_{seq}"


def change_json(entry: ChangeEntry) -> dict[str, Any]:
    """One change as the feed lists it and a webhook receives it."""
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    return {
        "id": event_id(entry.seq),
        "seq": entry.seq,
        "kind": entry.kind,
        "at": at.isoformat(),
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "payload": dict(entry.payload),
    }


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """A page of the feed: its changes, the cursor to ask with next, whether more are there."""

    items: list[dict[str, Any]]
    next: int
    has_more: bool

    def children(self) -> list[str]:
        """The ids of the children the page's changes name (the read is audited with them)."""
        return sorted({c for item in self.items for c in item["payload"].get("children", [])})


def read_changes(session: Session, after: int, limit: int) -> ChangesPage:
    """The committed changes after cursor ``after``, oldest first, at most ``limit``.

    ``next`` is the last sequence number returned, or ``after`` itself when there is none
    yet: asking again with it returns what committed since, never a change twice.
    """
    entries = changes_after(session, after, limit + 1)
    has_more = len(entries) > limit
    entries = entries[:limit]
    return ChangesPage(
        [change_json(e) for e in entries], entries[-1].seq if entries else after, has_more
    )
