"""Writing checked rows: upsert by id (or natural key), sibling groups, derived communities.

(What a write changed is logged by :mod:`data.changes`.)"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Table, bindparam, insert, select, update
from sqlmodel import Session, SQLModel, col

from data.formats import CSV_FILES, FileSpec
from data.models import SiblingGroup
from data.parsing import Row
from data.queries import among
from geo import CommunityIndex

__all__ = [
    "FileCounts",
    "add_sibling_groups",
    "natural_key",
    "rederive_all",
    "table_of",
    "update_rows",
    "upsert",
]


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table of a SQLModel table class."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def natural_key(spec: FileSpec, row: Mapping[Any, Any]) -> tuple[Any, ...]:
    """The values a record is upserted by (its id, or its natural key for episodes)."""
    return tuple(row[k] for k in spec.key)


@dataclass
class FileCounts:
    """What import did to one file's records."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged


def upsert(
    session: Session,
    model: type[SQLModel],
    key: tuple[str, ...],
    rows: list[Row],
    existing: Mapping[tuple[Any, ...], Row],
) -> FileCounts:
    """Insert the rows not in ``existing`` (stored rows by key), update those that differ."""
    counts = FileCounts()
    inserts: list[Row] = []
    updates: list[Row] = []
    for row in rows:
        old = existing.get(tuple(row[k] for k in key))
        if old is None:
            inserts.append(row)
        elif any(old[k] != v for k, v in row.items()):
            updates.append({**row, "id": old["id"]})
        else:
            counts.unchanged += 1
    table = table_of(model)
    if inserts:
        session.execute(insert(table), inserts)
    update_rows(session, model, updates)
    counts.inserted, counts.updated = len(inserts), len(updates)
    return counts


def update_rows(session: Session, model: type[SQLModel], rows: list[Row]) -> None:
    """Update stored rows by primary key with the columns each row gives, one more version each.

    The version is incremented by the database (``version = version + 1``), not computed from
    a value read earlier: two writers changing one record end two versions further on.
    """
    if not rows:
        return
    table = table_of(model)
    pk = next(iter(table.primary_key.columns)).name
    shapes: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        shapes.setdefault(tuple(sorted(k for k in row if k not in (pk, "version"))), []).append(row)
    for columns, same in shapes.items():
        # the bound names differ from the columns': SQLAlchemy reserves those for SET
        statement = (
            update(table)
            .where(table.c[pk] == bindparam("b__pk"))
            .values({**{c: bindparam(f"b_{c}") for c in columns}, "version": table.c.version + 1})
        )
        session.execute(
            statement, [{"b__pk": r[pk], **{f"b_{c}": r[c] for c in columns}} for r in same]
        )


def add_sibling_groups(session: Session, children: Iterable[Row]) -> None:
    """Create the sibling groups the children name that are not stored yet."""
    groups = {r["sibling_group_id"] for r in children} - {None}
    if not groups:
        return
    stored = select(col(SiblingGroup.id)).where(among(col(SiblingGroup.id), groups))
    new = sorted(groups - set(session.execute(stored).scalars()))
    if new:
        session.execute(insert(table_of(SiblingGroup)), [{"id": g} for g in new])


def rederive_all(session: Session, index: CommunityIndex) -> None:
    """After the communities changed: recompute the derived community of every record."""
    for spec in CSV_FILES:
        for lat, lon, target in spec.points:
            table = table_of(spec.model)
            pk = next(iter(table.primary_key.columns)).name
            rows = session.execute(
                select(table.c[pk], table.c[lat], table.c[lon], table.c[target])
            ).all()
            if not rows:
                continue
            found = index.locate(
                [np.nan if r[1] is None else r[1] for r in rows],
                [np.nan if r[2] is None else r[2] for r in rows],
            )
            changed = [{pk: r[0], target: c} for r, c in zip(rows, found, strict=True) if r[3] != c]
            update_rows(session, spec.model, changed)
