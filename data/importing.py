"""Import of the folder format (docs/data-format.md), and of one record in the same format.

``import_folder`` reads every file present, checks every row (types, codes, dates, unique
ids, references between files and to what the database already holds, coordinates in range
and inside a community, GeoJSON well formed) and reports **all** problems as
``FILE:LINE: column COL: message``. Only when there is none does it write, in one
transaction, upserting by id (episodes and placements by their natural key), so importing the
same folder twice changes nothing. ``import_record`` writes one row of a file through the same
checks (:mod:`data.checks`) over the rows it can touch.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine, select
from sqlmodel import Session

from data.capacity import Overfull, capacity_checks, lock_children_and_homes
from data.changes import ENTITY_OF_FILE, Change, append_changes, changed_fields, record_change
from data.checks import World, check_rows, read_rows, record_scope
from data.db import session_scope, write_lock
from data.formats import CHILDREN, COMMUNITIES_FILE, CSV_FILES, HOMES, PLACEMENTS, FileSpec
from data.models import Community
from data.parsing import ParsedFile, Row, parse_communities
from data.problems import ImportFailed, ImportProblem, Problems
from data.queries import community_index
from data.reading import Refused, extract_zip, release_memory
from data.upsert import (
    FileCounts,
    add_sibling_groups,
    natural_key,
    rederive_all,
    table_of,
    upsert,
)

__all__ = ["ImportReport", "import_changes", "import_folder", "import_record", "import_zip"]

Progress = Callable[[str], None]
Changes = Callable[["ImportReport"], Sequence[Change]]


@dataclass
class ImportReport:
    """What an import wrote, per file, and the geometry repairs it made."""

    files: dict[str, FileCounts] = field(default_factory=dict)
    repairs: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(c.inserted or c.updated for c in self.files.values())

    def summary(self) -> str:
        lines = [
            f"{name:<20} {c.rows:>8} rows: {c.inserted} new, {c.updated} updated, "
            f"{c.unchanged} unchanged"
            for name, c in self.files.items()
        ]
        lines += [f"repaired: {r}" for r in self.repairs]
        return "\n".join(lines)

    @property
    def rederived(self) -> bool:
        """Whether a community polygon changed, so every record's community was derived again."""
        counts = self.files.get(COMMUNITIES_FILE)
        return counts is not None and counts.updated > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "files": {
                name: {
                    "rows": c.rows,
                    "inserted": c.inserted,
                    "updated": c.updated,
                    "unchanged": c.unchanged,
                }
                for name, c in self.files.items()
            },
            "repairs": self.repairs,
        }


def import_changes(report: ImportReport) -> list[Change]:
    """The change an import logs: one ``import.completed`` with the counts of each file."""
    return [
        Change(
            "import.completed",
            "import",
            None,
            {
                "files": {
                    name: {"inserted": c.inserted, "updated": c.updated, "unchanged": c.unchanged}
                    for name, c in report.files.items()
                },
                "entities": sorted(
                    ENTITY_OF_FILE[name]
                    for name, c in report.files.items()
                    if c.inserted or c.updated
                ),
                # every record's community may have moved: a snapshot is rebuilt, not patched
                "rederived": report.rederived,
            },
        )
    ]


def import_folder(
    engine: Engine,
    folder: str | Path,
    *,
    progress: Progress | None = None,
    before_commit: Callable[[Session, ImportReport], None] | None = None,
    before_write: BeforeWrite | None = None,
    changes: Changes = import_changes,
) -> ImportReport:
    """Import a folder of the folder format in one transaction; raise ``ImportFailed`` on problems.

    Parameters
    ----------
    engine
        The database, already migrated.
    folder
        A folder with any of ``communities.geojson``, ``homes.csv``, ``children.csv``,
        ``episodes.csv``, ``placements.csv``, ``applicants.csv``, ``partners.csv``.
    progress
        Called with short messages about the work (no personal data).
    before_commit
        Called with the session and the report once everything is written, inside the
        import's transaction (the audit log's entries are written there).
    before_write
        Called first in the transaction, after the write lock (see :func:`import_record`);
        it may refuse the import by raising.
    changes
        What to log in the change log when anything changed (default: one
        ``import.completed``), in the import's transaction.

    Raises
    ------
    ImportFailed
        With every problem found, sorted by file and line. Nothing has been written.
    """
    say = progress or (lambda _message: None)
    folder = Path(folder)
    problems = Problems()
    if not folder.is_dir():
        raise ImportFailed([ImportProblem(str(folder), 0, "", "not a folder")])
    known = {COMMUNITIES_FILE, *(s.name for s in CSV_FILES)}
    present = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    for name in present:
        if name not in known and name.endswith((".csv", ".geojson")):
            problems.add(name, 0, "", f"unknown file; expected {', '.join(sorted(known))}")
    if not known.intersection(present):
        raise ImportFailed(
            [
                ImportProblem(
                    str(folder),
                    0,
                    "",
                    f"no file of the format here; expected {', '.join(sorted(known))}",
                )
            ]
        )

    communities = None
    if COMMUNITIES_FILE in present:
        say(f"reading {COMMUNITIES_FILE}")
        communities = parse_communities(folder / COMMUNITIES_FILE, problems)
    files: dict[str, ParsedFile] = {}
    for spec in CSV_FILES:
        if spec.name in present:
            say(f"reading {spec.name}")
            files[spec.name] = read_rows(folder / spec.name, spec, problems)

    report = ImportReport()
    with session_scope(engine) as session:
        if before_write is not None:
            write_lock(session)
            before_write(session)
        index = communities.index if communities else community_index(session)
        if index is None and COMMUNITIES_FILE not in present:
            problems.add(
                COMMUNITIES_FILE,
                0,
                "",
                "no communities in the database or the folder: "
                "import communities.geojson first (or with the records)",
            )
        say("checking references")
        world = World(session, files)
        check_rows(world, index, problems)
        if PLACEMENTS.name in files:
            placed = files[PLACEMENTS.name]
            homes = files[HOMES.name].rows if HOMES.name in files else ()
            for over in capacity_checks(session, placed.rows, placed.lines, homes):
                for line in over.lines:
                    problems.add(PLACEMENTS.name, line, "capacity_waiver", str(over))
        if problems.count:
            raise problems.failed()

        if communities is not None:
            say(f"writing {COMMUNITIES_FILE}")
            rows = [
                {
                    "id": c.id,
                    "name": c.name,
                    "child_population": c.child_population,
                    "geometry": communities.geometries[c.id],
                }
                for c in communities.index.communities
            ]
            old = {
                (r["id"],): dict(r) for r in session.execute(select(table_of(Community))).mappings()
            }
            counts = upsert(session, Community, ("id",), rows, old)
            report.files[COMMUNITIES_FILE] = counts
            report.repairs = [str(r) for r in communities.index.repairs]
        if CHILDREN.name in files:
            add_sibling_groups(session, files[CHILDREN.name].rows)
        for spec in CSV_FILES:
            if spec.name in files:
                say(f"writing {spec.name}")
                report.files[spec.name] = upsert(
                    session, spec.model, spec.key, files[spec.name].rows, world.existing[spec.name]
                )
        if communities is not None and report.rederived:
            say("recomputing the community of every record")
            rederive_all(session, communities.index)
        if report.changed:
            append_changes(session, changes(report))
        if before_commit is not None:
            before_commit(session, report)
    return report


def import_zip(
    engine: Engine,
    source: BinaryIO | Path,
    *,
    progress: Progress | None = None,
    before_commit: Callable[[Session, ImportReport], None] | None = None,
) -> ImportReport:
    """Import a zipped folder (files at its top or in one folder inside it), all or nothing.

    The zip is unpacked member by member into a temporary folder, within the limits of
    :mod:`data.reading`, and imported by :func:`import_folder` (its one transaction).

    Raises
    ------
    ImportFailed
        As :func:`import_folder`; also for a zip refused before it is read (then the
        problem's file is ``file``, meaning the zip as a whole, or the member at fault).
    """
    try:
        with tempfile.TemporaryDirectory(prefix="fostermatch-import-") as tmp:
            try:
                extract_zip(source, Path(tmp))
            except Refused as refusal:
                problems = Problems()
                problems.refused(refusal)
                raise problems.failed() from None
            return import_folder(engine, tmp, progress=progress, before_commit=before_commit)
    finally:
        release_memory()  # a server keeps running: give the rows' memory back


OnWrite = Callable[[Session, Row | None, Row], None]
BeforeWrite = Callable[[Session], None]


def import_record(
    engine: Engine,
    spec: FileSpec,
    text: str,
    *,
    on_write: OnWrite | None = None,
    before_write: BeforeWrite | None = None,
) -> FileCounts:
    """Write the one row of ``text`` (a file of ``spec`` with a header) as an import would.

    The checks are the folder import's, over the stored rows the record can touch
    (:func:`~data.checks.record_scope`); then the upsert by key and its entry in the change log
    (:func:`data.changes.record_change`), all in one transaction. A placement is checked against
    its home's beds: the child's and the home's rows are locked first (the order every placement
    write takes), so the beds counted are still the beds when the transaction commits.

    ``on_write`` is called in the transaction with the stored row (None: a new record) and
    the row written, when the record was inserted or changed (the audit log writes there).
    ``before_write`` is called first in the transaction, once the write lock is held (on
    SQLite the whole database's, on PostgreSQL the rows the caller locks in it): a condition
    it checks, such as the record's version, still holds when the transaction commits. It
    refuses the write by raising.

    Raises
    ------
    ImportFailed
        With every problem found; nothing has been written.
    Overfull
        A placement that would put more children in its home than beds, without a waiver.
    """
    problems = Problems()
    with tempfile.TemporaryDirectory(prefix="fostermatch-put-") as tmp:
        path = Path(tmp) / spec.name
        path.write_text(text, encoding="utf-8")
        parsed = read_rows(path, spec, problems)
    if not parsed.rows:
        raise problems.failed()
    row = parsed.rows[0]
    with session_scope(engine) as session:
        if spec is PLACEMENTS or before_write is not None:
            write_lock(session)
        if spec is PLACEMENTS:
            lock_children_and_homes(
                session, [row["child_id"]], [row["home_id"]] if row["home_id"] else []
            )
        if before_write is not None:
            before_write(session)
        index = community_index(session)
        if index is None:
            problems.add(
                COMMUNITIES_FILE, 0, "", "no communities in the database: import them first"
            )
        world = World(session, {spec.name: parsed}, record_scope(spec, row))
        check_rows(world, index, problems)
        if problems.count:
            raise problems.failed()
        if spec is PLACEMENTS:
            over = capacity_checks(session, [row])
            if over:
                raise Overfull(over[0])
        if spec is CHILDREN:
            add_sibling_groups(session, [row])
        stored = world.existing[spec.name]
        old = stored.get(natural_key(spec, row))
        counts = upsert(session, spec.model, spec.key, parsed.rows, stored)
        if counts.inserted or counts.updated:
            entity = ENTITY_OF_FILE[spec.name]
            fields = changed_fields(spec.key, old, row)
            append_changes(session, [record_change(entity, old, row, fields)])
            if on_write is not None:
                on_write(session, old, row)
    return counts
