"""The change log: every committed change, in commit order, numbered by a cursor.

Each write (a record put or deleted, an import, a team decision, a plan finished) calls
:func:`append_changes` in its own transaction, so a change is logged exactly when it commits.
The log feeds ``GET /v1/changes`` and the webhooks, and tells a matching worker what changed
since its snapshot (the ``records`` counter is the sequence number of the last change of the
records).

Why sequence numbers never skip a row a reader has not seen yet: the numbers come from one
counter row (``change_counters`` row ``changes``), incremented by an ``INSERT ... ON CONFLICT
DO UPDATE ... RETURNING`` that locks that row until the transaction ends. A second writer
waits at the same statement until the first has committed (or rolled back, which gives its
numbers back), so numbers are handed out in commit order with no gap: a reader who has seen
number *n* has seen every number below it, and a later commit always gets a larger number.
A database sequence would not do: on PostgreSQL a number taken in one transaction may commit
after a larger one, and a reader paging by cursor would step over it for good. The price is
that writes of changes are serialised from their append to their commit; that is why the
append comes last in each transaction (it is short: a few rows). SQLite serialises writers
anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from data.formats import COMMUNITIES_FILE, CSV_FILES, FileSpec
from data.models import ChangeCounter, ChangeEntry
from data.upsert import table_of

__all__ = [
    "CHANGES",
    "ENTITY_OF_FILE",
    "RECORDS",
    "Change",
    "append_changes",
    "changed_fields",
    "changes_after",
    "entity_id",
    "record_change",
]

CHANGES = "changes"  # the counter the sequence numbers come from
RECORDS = "records"  # the sequence number of the last change of the records (the snapshot's)

# the singular name of each file's records, as changes and audit entries name them
ENTITY_OF_FILE = {
    COMMUNITIES_FILE: "community",
    "homes.csv": "home",
    "children.csv": "child",
    "episodes.csv": "episode",
    "placements.csv": "placement",
    "applicants.csv": "applicant",
    "partners.csv": "partner",
}

# the columns that name a record in the API's paths (a placement's home is not among them)
_ID_COLUMNS = {
    "episode": ("child_id", "removed_on"),
    "placement": ("child_id", "started_on", "setting"),
}


@dataclass(frozen=True, slots=True)
class Change:
    """A change about to be logged.

    ``kind`` is ``ENTITY.VERB`` (``child.updated``, ``decision.recorded``); ``payload`` holds
    ids and field names only. ``records`` is False for a change that leaves the records as
    they were (a plan finished), so the matching snapshot stays valid.
    """

    kind: str
    entity: str
    entity_id: str | None
    payload: Mapping[str, Any] = field(default_factory=dict)
    records: bool = True


def _add(session: Session, name: str, amount: int, *, set_to: int | None = None) -> int:
    """Add ``amount`` to a counter (or set it to ``set_to``) and return its new value.

    One statement that creates the row when missing and locks it until the transaction ends.
    """
    table = table_of(ChangeCounter)
    dialect = session.get_bind().dialect.name
    build: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new = amount if set_to is None else set_to
    statement = build(table).values(name=name, value=new)
    value = table.c.value + amount if set_to is None else statement.excluded.value
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.name], set_={"value": value}
    ).returning(table.c.value)
    return int(session.execute(statement).scalar_one())


def append_changes(
    session: Session, changes: Sequence[Change], *, at: datetime | None = None
) -> list[int]:
    """Log ``changes`` in the caller's transaction; their sequence numbers.

    Call it last in a transaction (before the audit entries): the counter row stays locked
    until the commit. When a change concerns the records, the ``records`` counter moves to
    its number, so cached matching snapshots know they are stale.
    """
    if not changes:
        return []
    last = _add(session, CHANGES, len(changes))
    numbers = list(range(last - len(changes) + 1, last + 1))
    when = at or datetime.now(UTC)
    session.execute(
        insert(table_of(ChangeEntry)),
        [
            {
                "seq": seq,
                "at": when,
                "kind": change.kind,
                "entity": change.entity,
                "entity_id": change.entity_id,
                "payload": _plain(change.payload),
            }
            for seq, change in zip(numbers, changes, strict=True)
        ],
    )
    records = [seq for seq, change in zip(numbers, changes, strict=True) if change.records]
    if records:
        _add(session, RECORDS, 0, set_to=records[-1])
    return numbers


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO text, tuples and sets as lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def changes_after(session: Session, after: int, limit: int) -> list[ChangeEntry]:
    """Up to ``limit`` logged changes with a sequence number above ``after``, in order."""
    return list(
        session.execute(
            select(ChangeEntry)
            .where(col(ChangeEntry.seq) > after)
            .order_by(col(ChangeEntry.seq))
            .limit(limit)
        ).scalars()
    )


# -- changes of records -------------------------------------------------------------------


def entity_id(entity: str, key: Mapping[str, Any]) -> str:
    """A record's id in changes and audit entries: its path key's values joined by ``/``."""
    columns = _ID_COLUMNS.get(entity, ("id",))
    return "/".join(str(key[c]) for c in columns)  # a date as ISO 8601


def changed_fields(
    key: Sequence[str], old: Mapping[str, Any] | None, row: Mapping[str, Any]
) -> list[str]:
    """The columns writing ``row`` over ``old`` sets (a new record: those not empty, besides
    the ``key`` columns that name it)."""
    if old is None:
        return [k for k, v in row.items() if k not in key and v not in (None, [], "")]
    return [k for k, v in row.items() if old.get(k) != v]


def _spec_of(entity: str) -> FileSpec | None:
    return next((s for s in CSV_FILES if ENTITY_OF_FILE[s.name] == entity), None)


def record_change(
    entity: str,
    old: Mapping[str, Any] | None,
    row: Mapping[str, Any] | None,
    fields: Sequence[str] = (),
) -> Change:
    """The change of one record written (``row``) or deleted (``row`` None) over ``old``.

    The payload names the fields written and which children, homes and communities the
    change touches (a live snapshot updates those): ids only, never values.
    """
    current = row if row is not None else old
    assert current is not None, "a record change needs the row written or the row deleted"
    verb = "deleted" if row is None else "created" if old is None else "updated"
    children: set[str] = set()
    homes: set[str] = set()
    communities: set[str] = set()
    for version in (old, row):
        if version is None:
            continue
        if entity == "child":
            children.add(str(version["id"]))
        elif "child_id" in version:
            children.add(str(version["child_id"]))
        if entity == "home":
            homes.add(str(version["id"]))
        elif version.get("home_id"):
            homes.add(str(version["home_id"]))
        if entity == "community":
            communities.add(str(version["id"]))
        spec = _spec_of(entity)
        for _, _, target in spec.points if spec is not None else ():
            if version.get(target):
                communities.add(str(version[target]))
    return Change(
        f"{entity}.{verb}",
        entity,
        entity_id(entity, current),
        {
            "fields": sorted(set(fields)),
            "children": sorted(children),
            "homes": sorted(homes),
            "communities": sorted(communities),
        },
    )
