"""Records one at a time and folders as zip files, written through the importer.

A record sent by ``PUT`` is written as a one-row file of the folder format and imported with
:func:`data.importing.import_record`: the same checks as a bulk import (codes, references,
timelines, the community of every point, beds), the same upsert by id, one transaction, and its
change logged (data/changes.py) when anything changed. The importer's problems come back as
field errors: ``homes.csv:2: column capacity: ...`` becomes ``loc: ["body", "capacity"]``.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel
from sqlalchemy import Engine, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from api.services.audit import Actor, audit_import, write_audit
from api.services.errors import Conflict, FieldError, Invalid, NotFound, TooLarge
from api.services.preconditions import Preconditions
from core.csv_cells import CsvWriter
from data import importing
from data.capacity import OverCapacity, Overfull
from data.changes import Change, append_changes, changed_fields, entity_id, record_change
from data.db import session_scope, write_lock
from data.formats import (
    CHILDREN,
    COMMUNITIES_FILE,
    CSV_FILES,
    EPISODES,
    HOMES,
    PLACEMENTS,
    FileSpec,
    format_cell,
)
from data.importing import ImportReport, import_folder, import_record
from data.models import (
    Applicant,
    Child,
    Community,
    Episode,
    Home,
    Partner,
    Placement,
)
from data.problems import ImportFailed
from data.queries import in_care, mentions, waiting_children
from data.upsert import table_of

__all__ = [
    "KINDS",
    "Kind",
    "delete_record",
    "get_record",
    "import_zip",
    "list_records",
    "put_record",
    "record_json",
    "record_version",
]


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of record: its table, its file, the path key and the permission to read it."""

    name: str  # the URL segment: children, homes, ...
    model: type[SQLModel]
    spec: FileSpec | None  # None: communities (GeoJSON)
    key: tuple[str, ...]  # the path parameters, in order
    read_permission: str
    child_level: bool  # reads are audit-logged

    @property
    def singular(self) -> str:
        return {"children": "child", "communities": "community"}.get(
            self.name, self.name.removesuffix("s")
        )


_SPECS = {s.name.removesuffix(".csv"): s for s in CSV_FILES}
KINDS: dict[str, Kind] = {
    "children": Kind("children", Child, CHILDREN, ("id",), "children:read", True),
    "homes": Kind("homes", Home, HOMES, ("id",), "homes:read", False),
    "episodes": Kind(
        "episodes", Episode, EPISODES, ("child_id", "removed_on"), "children:read", True
    ),
    "placements": Kind(
        "placements",
        Placement,
        PLACEMENTS,
        ("child_id", "started_on", "setting"),
        "children:read",
        True,
    ),
    "applicants": Kind(
        "applicants", Applicant, _SPECS["applicants"], ("id",), "applicants:read", False
    ),
    "partners": Kind("partners", Partner, _SPECS["partners"], ("id",), "partners:read", False),
    "communities": Kind("communities", Community, None, ("id",), "partners:read", False),
}

# fields a coordinator does not see: race and ethnicity are for outcome monitoring only
# (MEPA: a placement is never decided on them)
MONITORING_ONLY = ("race", "hispanic")


def record_json(kind: Kind, row: Any, *, monitoring: bool = True) -> dict[str, Any]:
    """A record with the folder's column names, its derived communities and surrogate id,
    and its ``version`` (the ETag's)."""
    if kind.spec is None:
        return {
            "id": row.id,
            "name": row.name,
            "child_population": row.child_population,
            "geometry": json.loads(row.geometry),
            "version": row.version,
        }
    out: dict[str, Any] = {}
    if kind.key != ("id",):
        out["id"] = row.id
    for column in kind.spec.columns:
        if not monitoring and column.name in MONITORING_ONLY:
            continue
        value = getattr(row, column.target)
        out[column.name] = value.isoformat() if isinstance(value, date) else value
    for _, _, target in kind.spec.points:
        out[target] = getattr(row, target)
    out["version"] = row.version
    return out


def _where(kind: Kind, key: Mapping[str, Any]) -> list[Any]:
    return [getattr(kind.model, name) == value for name, value in key.items()]


def get_record(session: Session, kind: Kind, key: Mapping[str, Any]) -> Any:
    """The record with this key; raises :class:`NotFound` when there is none."""
    row = session.execute(select(kind.model).where(*_where(kind, key))).scalars().first()
    if row is None:
        raise NotFound(f"no {kind.singular} {_describe(key)} in the records")
    return row


def record_version(session: Session, kind: Kind, key: Mapping[str, Any]) -> int | None:
    """The stored version of the record with this key (None: there is none), locked until the
    transaction ends on PostgreSQL (``FOR UPDATE``; SQLite's callers hold the write lock)."""
    statement = select(table_of(kind.model).c.version).where(*_where(kind, key))
    if session.get_bind().dialect.name != "sqlite":
        statement = statement.with_for_update()
    found: int | None = session.execute(statement).scalars().first()
    return found


def _guard(
    kind: Kind, key: Mapping[str, Any], conditions: Preconditions | None
) -> Callable[[Session], None] | None:
    """The check of ``conditions`` run first in a write's transaction (None: no check)."""
    if conditions is None:
        return None

    def check(session: Session) -> None:
        conditions.check(
            f"the {kind.singular} {_describe(key)}", record_version(session, kind, key)
        )

    return check


def _audit_write(
    session: Session,
    principal: Actor,
    kind: Kind,
    key: Mapping[str, Any],
    action: str,
    fields: Sequence[str] = (),
) -> None:
    """The audit entry of one record written or deleted (field names only, never values)."""
    child_id = key.get("id") if kind.name == "children" else key.get("child_id")
    write_audit(
        session,
        principal,
        action,
        kind.singular,
        [str(child_id)] if kind.child_level and child_id is not None else [],
        record_id=entity_id(kind.singular, key),
        fields=fields,
    )


def _describe(key: Mapping[str, Any]) -> str:
    if set(key) == {"id"}:
        return repr(key["id"])
    return "with " + ", ".join(f"{k} {v}" for k, v in key.items())


# -- writing one record -----------------------------------------------------------------


def _errors(
    problems: Sequence[Any], path_columns: Sequence[str], zip_file: bool
) -> list[FieldError]:
    out: list[FieldError] = []
    for p in problems:
        if zip_file:
            # "file" is the zip as a whole
            loc: list[str | int] = ["body", "file"] + ([p.file] if p.file != "file" else [])
            if p.line:
                loc.append(p.line)
            if p.column:
                loc.append(p.column)
        elif p.column in path_columns:
            # the path parameter of a record's own id is called record_id
            loc = ["path", "record_id" if p.column == "id" else p.column]
        else:
            loc = ["body", p.column] if p.column else ["body"]
        out.append({"loc": loc, "message": p.message, "where": str(p)})
    return out


# where the folder format and the checks of an import are described (the source tree's docs/)
FORMAT_DOC = "docs/data-format.md"


def _import_problem(
    failed: ImportFailed, path_columns: Sequence[str], zip_file: bool
) -> Invalid | TooLarge:
    errors = _errors(failed.problems, path_columns, zip_file)
    first = errors[0]["message"] if errors else "the records do not pass the import checks"
    what = "folder" if zip_file else "record"
    count = failed.total
    listed = f"; the first {len(errors)} are listed" if failed.more else ""
    if zip_file:  # a folder's author may not know the format yet: say where it is described
        listed += f"; the format and its checks: {FORMAT_DOC}"
    refusal = TooLarge if failed.too_large else Invalid
    return refusal(
        f"the {what} was not written ({count:,} problem{'s' if count != 1 else ''}{listed}): "
        f"{failed.problems[0] if failed.problems else first}",
        errors=errors,
        errors_total=count,
    )


def _one_row_file(spec: FileSpec, cells: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(spec.header)
    writer.writerow([format_cell(cells.get(c.name)) for c in spec.columns])
    return out.getvalue()


def _community_collection(session: Session, community_id: str, body: BaseModel) -> str:
    data = body.model_dump()
    features = []
    for stored in session.execute(select(Community).order_by(col(Community.id))).scalars():
        if stored.id == community_id:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "id": stored.id,
                    "name": stored.name,
                    "child_population": stored.child_population,
                },
                "geometry": json.loads(stored.geometry),
            }
        )
    features.append(
        {
            "type": "Feature",
            "properties": {
                "id": community_id,
                "name": data["name"],
                "child_population": data["child_population"],
            },
            "geometry": data["geometry"],
        }
    )
    return json.dumps({"type": "FeatureCollection", "features": features})


def _waiver_recorded(spec: FileSpec, old: Mapping[str, Any] | None, row: Mapping[str, Any]) -> bool:
    """Whether a placement written records a new or changed capacity waiver (to be audited)."""
    if spec is not PLACEMENTS or row["capacity_waiver"] is None:
        return False
    return old is None or old["capacity_waiver"] != row["capacity_waiver"]


def _overfull_problem(over: OverCapacity) -> Conflict:
    """409: the placement would put more children in its home than beds, without a waiver."""
    return Conflict(
        f"the placement was not written: {over}",
        errors=[{"loc": ["body", "capacity_waiver"], "message": str(over)}],
    )


def _audit_waiver(session: Session, principal: Actor, row: Mapping[str, Any]) -> None:
    """The entry of a capacity waiver recorded: which home and how many beds (the reason is
    the case system's free text, which may name people: it stays on the placement)."""
    home = session.get(Home, row["home_id"])
    write_audit(
        session,
        principal,
        "capacity_waiver",
        "placement",
        [row["child_id"]],
        f"placement started {row['started_on']} in home {row['home_id']} "
        f"({home.capacity if home else '?'} bed(s)) recorded with a capacity waiver",
        record_id=f"{row['child_id']}/{row['started_on']}/{row['setting']}",
    )


def _community_fields(stored: Community | None, body: BaseModel) -> list[str]:
    data = body.model_dump()
    if stored is None:
        return [k for k in ("name", "child_population", "geometry") if data.get(k) is not None]
    was = {
        "name": stored.name,
        "child_population": stored.child_population,
        "geometry": json.loads(stored.geometry),
    }
    return [k for k, v in was.items() if data.get(k) != v]


def put_record(
    engine: Engine,
    kind: Kind,
    key: Mapping[str, Any],
    body: BaseModel,
    principal: Actor,
    conditions: Preconditions | None = None,
) -> tuple[str, Any]:
    """Create or replace one record; returns ``inserted``/``updated``/``unchanged`` and the row.

    A record inserted or changed is audited (``upsert``, with the names of the fields
    written) in the write's transaction; an unchanged one writes nothing. ``conditions``
    (If-Match, If-None-Match) are checked against the stored version in that transaction,
    under its lock.

    Raises
    ------
    Invalid
        With the importer's problems as field errors.
    Conflict
        For a placement whose home differs from the stored one (the home is part of a
        placement's identity).
    PreconditionFailed, PreconditionRequired
        When ``conditions`` are not met; nothing is written.
    """
    fields: list[str] = []  # a community's fields written (the importer compares the others)
    with Session(engine) as session:
        if kind.name == "placements":
            stored = session.execute(select(Placement).where(*_where(kind, key))).scalars().all()
            home_id = getattr(body, "home_id", None)
            if any(p.home_id != home_id for p in stored):
                raise Conflict(
                    f"a placement {_describe(key)} is recorded with home "
                    f"{stored[0].home_id}; a placement's home is part of its identity: "
                    "DELETE it first to record another home",
                )
        if kind.spec is None:
            text = _community_collection(session, str(key["id"]), body)
            fields = _community_fields(session.get(Community, str(key["id"])), body)
        else:
            text = _one_row_file(kind.spec, {**body.model_dump(), **key})

    def audit(session: Session, old: dict[str, Any] | None, row: dict[str, Any]) -> None:
        # the audit entries last: each holds the audit chain until the commit
        if kind.spec is not None and _waiver_recorded(kind.spec, old, row):
            _audit_waiver(session, principal, row)
        written = changed_fields(kind.key, old, row)
        _audit_write(session, principal, kind, key, "upsert", written)

    def community_changes(report: ImportReport) -> list[Change]:
        counts = report.files[COMMUNITIES_FILE]
        if not (counts.inserted or counts.updated):
            return []  # another community of the collection cannot have changed: same rows
        change = record_change("community", None if counts.inserted else key, key, fields)
        return [
            Change(
                change.kind,
                change.entity,
                change.entity_id,
                {**change.payload, "rederived": report.rederived},
            )
        ]

    def audit_community(session: Session, report: ImportReport) -> None:
        counts = report.files[COMMUNITIES_FILE]
        if counts.inserted or counts.updated:
            _audit_write(session, principal, kind, key, "upsert", fields)

    guard = _guard(kind, key, conditions)
    try:
        if kind.spec is None:
            # the communities are imported as a whole collection: every record's community
            # is derived again when a polygon changed
            with tempfile.TemporaryDirectory(prefix="fostermatch-put-") as tmp:
                (Path(tmp) / COMMUNITIES_FILE).write_text(text, encoding="utf-8")
                report = import_folder(
                    engine,
                    tmp,
                    before_commit=audit_community,
                    before_write=guard,
                    changes=community_changes,
                )
                counts = report.files[COMMUNITIES_FILE]
        else:
            counts = import_record(engine, kind.spec, text, on_write=audit, before_write=guard)
    except ImportFailed as failed:
        raise _import_problem(failed, kind.key, zip_file=False) from None
    except Overfull as refused:
        raise _overfull_problem(refused.over) from None
    except IntegrityError:
        # another request created the same record between this one's check and its insert
        # (a missing row cannot be locked): its write stands, this one wrote nothing
        if conditions is not None and conditions.if_none_match is not None:
            with Session(engine) as session:
                version = record_version(session, kind, key)
            conditions.check(f"the {kind.singular} {_describe(key)}", version)
        raise Conflict(
            f"the {kind.singular} {_describe(key)} was created by another request at the "
            "same moment; read it (GET) and send this change with its ETag as If-Match"
        ) from None
    outcome = "inserted" if counts.inserted else "updated" if counts.updated else "unchanged"
    with Session(engine) as session:
        return outcome, get_record(session, kind, key)


# -- deleting -------------------------------------------------------------------------------


def _json_mentions(session: Session, column: Any, value: str) -> int:
    return int(session.execute(select(func.count()).where(mentions(column, value))).scalar_one())


def _blockers(session: Session, kind: Kind, row: Any) -> list[str]:
    """Records that still point to ``row``: deleting it would leave them dangling."""
    found: list[str] = []

    def count(model: type[SQLModel], *where: Any) -> int:
        return int(
            session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        )

    if kind.name == "children":
        n = count(Episode, col(Episode.child_id) == row.id)
        m = count(Placement, col(Placement.child_id) == row.id)
        if n or m:
            found.append(f"{n} episode(s) and {m} placement(s) of this child")
        others = _json_mentions(session, Child.separate_from, row.id)
        kin = _json_mentions(session, Home.kin_of, row.id)
        if others:
            found.append(f"{others} child(ren) to be kept apart from this child")
        if kin:
            found.append(f"{kin} home(s) naming this child as kin")
    elif kind.name == "homes":
        n = count(Placement, col(Placement.home_id) == row.id)
        if n:
            found.append(f"{n} placement(s) in this home")
        excluded = _json_mentions(session, Child.excluded_homes, row.id)
        if excluded:
            found.append(f"{excluded} child(ren) excluded from this home")
    elif kind.name == "episodes":
        n = count(
            Placement,
            col(Placement.child_id) == row.child_id,
            col(Placement.started_on) >= row.removed_on,
            *(
                [col(Placement.started_on) <= row.discharged_on]
                if row.discharged_on is not None
                else []
            ),
        )
        if n:
            found.append(f"{n} placement(s) during this episode")
    elif kind.name == "communities":
        n = sum(
            count(model, or_(*[getattr(model, t) == row.id for _, _, t in spec.points]))
            for spec in CSV_FILES
            if spec.points
            for model in [spec.model]
        )
        if n:
            found.append(f"{n} record(s) located in this community")
    return found


def delete_record(
    engine: Engine,
    kind: Kind,
    key: Mapping[str, Any],
    principal: Actor,
    conditions: Preconditions | None = None,
) -> bool:
    """Delete a record in one transaction, audited in it; False when there was none.

    Raises
    ------
    Conflict
        When other records still refer to it (named in the message).
    PreconditionFailed
        When ``conditions`` (If-Match) are not met; nothing is deleted.
    """
    with session_scope(engine) as session:
        guard = _guard(kind, key, conditions)
        if guard is not None:
            write_lock(session)  # the version read stays the version until the delete
            guard(session)
        row = session.execute(select(kind.model).where(*_where(kind, key))).scalars().first()
        if row is None:
            return False
        blockers = _blockers(session, kind, row)
        if blockers:
            raise Conflict(
                f"the {kind.singular} {_describe(key)} is still referred to by "
                + "; ".join(blockers)
                + ": change or delete those first",
            )
        old = {c.name: getattr(row, c.name) for c in table_of(kind.model).columns}
        session.execute(delete(kind.model).where(*_where(kind, key)))
        append_changes(session, [record_change(kind.singular, old, None)])
        _audit_write(session, principal, kind, key, "delete")
    return True


# -- lists ----------------------------------------------------------------------------------


def list_records(
    session: Session,
    kind: Kind,
    filters: Mapping[str, Any],
    *,
    after: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    """One page of records in key order, and the ``after`` value of the next page."""
    model: Any = kind.model
    by_surrogate = kind.key != ("id",)
    order = model.id
    statement = select(model)
    if after is not None:
        if by_surrogate:
            try:
                statement = statement.where(order > int(after))
            except ValueError:
                raise Invalid(
                    f"query.after: {kind.name} are paged by their numeric id; got {after!r}",
                    errors=[{"loc": ["query", "after"], "message": "expected a whole number"}],
                ) from None
        else:
            statement = statement.where(order > after)
    for name, value in filters.items():
        if value is None:
            continue
        if name == "waiting":
            ids = waiting_children(session)
            statement = statement.where(model.id.in_(ids) if value else model.id.not_in(ids))
        elif name == "in_care":
            statement = statement.where(in_care(model.id) if value else ~in_care(model.id))
        elif name == "open":
            end = model.ended_on if kind.name == "placements" else model.discharged_on
            statement = statement.where(end.is_(None) if value else end.is_not(None))
        else:
            statement = statement.where(getattr(model, name) == value)
    rows = list(session.execute(statement.order_by(order).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more and rows else None)


# -- a folder as a zip file -------------------------------------------------------------------


def import_zip(
    engine: Engine,
    source: BinaryIO,
    principal: Actor,
    before_commit: Callable[[Session, ImportReport], None] | None = None,
) -> ImportReport:
    """Import a zipped folder (docs/data-format.md), all or nothing, in bounded
    memory; audited, one entry per file.

    The files may sit at the top of the zip or in one folder inside it. ``before_commit`` is
    called in the import's transaction with its report, before the audit entries (an
    idempotency key's answer is stored there).

    Raises
    ------
    TooLarge
        When a size limit refused a file.
    Invalid
        Otherwise, with the first problems found (``loc: ["body", "file", FILE, LINE,
        COLUMN]``) and ``errors_total`` counting all.
    """
    audit = audit_import(principal)

    def finish(session: Session, report: ImportReport) -> None:
        if before_commit is not None:
            before_commit(session, report)
        audit(session, report)  # the audit entries last: each holds the chain until the commit

    try:
        return importing.import_zip(engine, source, before_commit=finish)
    except ImportFailed as failed:
        raise _import_problem(failed, (), zip_file=True) from None
