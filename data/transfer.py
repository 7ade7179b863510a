"""Import and export of the folder format (DESIGN.md §4).

``import_folder`` reads every file present, checks every row (types, codes, dates, unique
ids, references between files and to what the database already holds, coordinates in range
and inside a community, GeoJSON well formed) and reports **all** problems as
``FILE:LINE: column COL: message``. Only when there is none does it write, in one
transaction, upserting by id (episodes and placements by their natural key), so importing the
same folder twice changes nothing. ``export_folder`` writes the database back in the same
format; export then import into an empty database gives the same records.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from shapely.geometry import mapping, shape
from sqlalchemy import Engine, Table, insert, select, true, update
from sqlmodel import Session, SQLModel, col

from core.csv_cells import CsvWriter, restore
from data.db import session_scope
from data.formats import (
    CHILDREN,
    COMMUNITIES_FILE,
    CSV_FILES,
    EPISODES,
    FAMILY_SETTINGS,
    HOMES,
    MAX_ID_LENGTH,
    PLACEMENTS,
    CellError,
    FileSpec,
    format_cell,
)
from data.models import ChangeCounter, Child, Community, Home, Placement, SiblingGroup
from data.reading import (
    MAX_FIELD_CHARS,
    Refused,
    csv_records,
    extract_zip,
    read_text,
    release_memory,
)
from geo import Community as GeoCommunity
from geo import CommunityIndex, GeoJSONError

__all__ = [
    "ExportReport",
    "ImportFailed",
    "ImportReport",
    "OverCapacity",
    "Problem",
    "bump_change_counter",
    "capacity_checks",
    "community_index",
    "export_folder",
    "import_folder",
    "import_zip",
    "lock_children_and_homes",
    "natural_key",
    "table_of",
]

Progress = Callable[[str], None]
Row = dict[str, Any]

MAX_PROBLEMS = 100  # an import lists the first problems, in file and line order, and counts all
MAX_MESSAGE_CHARS = 300  # a message quoting a long value is cut here


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """Something wrong in an imported folder: file, line (1 = header, 0 = whole file), column."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        line = f"{self.line}:" if self.line else ""  # 0: the file as a whole
        where = f" column {self.column}:" if self.column else ""
        return f"{self.file}:{line}{where} {self.message}"


class ImportFailed(Exception):
    """The folder was not imported because of ``problems``; nothing was written.

    ``problems`` are the first :data:`~data.reading.MAX_PROBLEMS` in file and line order;
    ``total`` counts them all. ``too_large`` is set when a size limit refused a file.
    """

    def __init__(
        self, problems: Sequence[Problem], *, total: int | None = None, too_large: bool = False
    ):
        self.problems = tuple(problems)
        self.total = len(self.problems) if total is None else total
        self.too_large = too_large
        super().__init__(f"{self.total} problem(s); nothing was imported")

    @property
    def more(self) -> int:
        """How many problems were found beyond those listed."""
        return self.total - len(self.problems)


@dataclass
class FileCounts:
    """What import did to one file's records."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged


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


@dataclass
class ExportReport:
    """How many records export wrote to each file."""

    files: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return "\n".join(f"{name:<20} {n:>8} rows" for name, n in self.files.items())


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table of a SQLModel table class."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def natural_key(spec: FileSpec, row: Mapping[Any, Any]) -> tuple[Any, ...]:
    """The values a record is upserted by (its id, or its natural key for episodes)."""
    return tuple(row[k] for k in spec.key)


# -- reading files ------------------------------------------------------------------------


@dataclass
class _ParsedFile:
    spec: FileSpec
    rows: list[Row] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class _ParsedCommunities:
    index: CommunityIndex
    geometries: dict[str, str]  # id -> serialised GeoJSON geometry
    lines: dict[str, int]


class _Problems:
    """The problems of an import: all counted, the first ``MAX_PROBLEMS`` (file, line) kept."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.count = 0
        self.too_large = False

    def add(self, file: str, line: int, column: str, message: str) -> None:
        self.count += 1
        if len(message) > MAX_MESSAGE_CHARS:  # a message may quote the value at fault
            message = message[: MAX_MESSAGE_CHARS - 3] + "..."
        self.items.append(Problem(file, line, column[:MAX_ID_LENGTH], message))
        if len(self.items) >= 2 * MAX_PROBLEMS:
            self.items = self.first()

    def refused(self, refusal: Refused, header: Sequence[str] = ()) -> None:
        """A file refused as a whole, at the field it names when the header is known."""
        field = refusal.field
        column = header[field].strip() if field is not None and field < len(header) else ""
        self.add(refusal.file, refusal.line, column, refusal.message)
        self.too_large = self.too_large or refusal.too_large

    def first(self) -> list[Problem]:
        return sorted(self.items, key=_problem_order)[:MAX_PROBLEMS]

    def failed(self) -> ImportFailed:
        return ImportFailed(self.first(), total=self.count, too_large=self.too_large)


def _parse_csv(path: Path, spec: FileSpec, problems: _Problems) -> _ParsedFile:
    parsed = _ParsedFile(spec)
    records = csv_records(path)
    try:
        first = next(records, None)
    except Refused as refusal:
        problems.refused(refusal)
        return parsed
    if first is None:
        problems.add(spec.name, 1, "", "the file is empty: expected a header row")
        return parsed
    _, header = first
    try:
        _parse_rows(parsed, header, records, problems)
    except Refused as refusal:
        problems.refused(refusal, header)
    return parsed


def _parse_rows(
    parsed: _ParsedFile,
    header: list[str],
    records: Iterator[tuple[int, list[str]]],
    problems: _Problems,
) -> None:
    spec = parsed.spec
    known = {c.name for c in spec.columns}
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        name = name.strip()
        if name in positions:
            problems.add(spec.name, 1, name, "column appears twice in the header")
        elif name not in known:
            problems.add(spec.name, 1, name, f"unknown column; expected {', '.join(spec.header)}")
        else:
            positions[name] = i
    missing = [c.name for c in spec.columns if c.required and c.name not in positions]
    for name in missing:
        problems.add(spec.name, 1, name, "required column is missing from the header")
    if missing:
        return
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue  # blank lines carry nothing
        if len(record) != len(header):
            problems.add(spec.name, line, "", f"expected {len(header)} fields, found {len(record)}")
            continue
        row: Row = {}
        ok = True
        for column in spec.columns:
            raw = restore(record[positions[column.name]]) if column.name in positions else ""
            if len(raw) > MAX_FIELD_CHARS:
                problems.add(
                    spec.name,
                    line,
                    column.name,
                    f"the value is {len(raw):,} characters; a field is at most "
                    f"{MAX_FIELD_CHARS:,} characters",
                )
                ok = False
                continue
            if not raw.strip():
                if column.required:
                    problems.add(spec.name, line, column.name, "required value is empty")
                    ok = False
                row[column.target] = column.empty
                continue
            try:
                row[column.target] = column.read(raw)
            except CellError as exc:
                problems.add(spec.name, line, column.name, str(exc))
                ok = False
        if ok:
            parsed.rows.append(row)
            parsed.lines.append(line)


def _parse_communities(path: Path, problems: _Problems) -> _ParsedCommunities | None:
    try:
        text = read_text(path)
    except Refused as refusal:
        problems.refused(refusal)
        return None
    try:
        index = CommunityIndex.from_geojson(text)
    except GeoJSONError as exc:
        for p in exc.problems:
            # a JSON syntax error's place is "column N": the column of FILE:LINE: column COL
            problems.add(COMMUNITIES_FILE, p.line or 1, p.where.removeprefix("column "), p.message)
        return None
    repaired = {r.community_id for r in index.repairs}
    raw = json.loads(text)["features"]
    geometries: dict[str, str] = {}
    for community, feature in zip(index.communities, raw, strict=True):
        geometry = mapping(community.geometry) if community.id in repaired else feature["geometry"]
        geometries[community.id] = json.dumps(geometry, separators=(",", ":"))
    lines = {r.community_id: r.line or 1 for r in index.repairs}
    return _ParsedCommunities(index, geometries, lines)


# -- checks within one row and between files ----------------------------------------------


def _row_checks(parsed: _ParsedFile, problems: _Problems) -> None:
    """Checks that need only the row itself; a failing row is dropped from the import."""
    spec = parsed.spec
    keep_rows: list[Row] = []
    keep_lines: list[int] = []
    first_line: dict[tuple[Any, ...], int] = {}
    for row, line in zip(parsed.rows, parsed.lines, strict=True):
        before = problems.count
        for column, message in _row_problems(spec, row):
            problems.add(spec.name, line, column, message)
        key = natural_key(spec, row)
        if key in first_line:
            what = "id" if spec.key == ("id",) else "record (same " + ", ".join(spec.key) + ")"
            problems.add(
                spec.name, line, spec.key[0], f"duplicate {what}: first on line {first_line[key]}"
            )
        else:
            first_line[key] = line
        if problems.count == before:
            keep_rows.append(row)
            keep_lines.append(line)
    parsed.rows, parsed.lines = keep_rows, keep_lines


def _row_problems(spec: FileSpec, row: Row) -> Iterator[tuple[str, str]]:
    for lat, lon, _ in spec.points:
        if (row[lat] is None) != (row[lon] is None):
            yield (lat if row[lat] is None else lon), f"give both {lat} and {lon}, or neither"
    if spec is HOMES:
        low, high = row["age_min"], row["age_max"]
        if low is not None and high is not None and low > high:
            yield "age_max", f"age_max {row['age_max']} is below age_min {row['age_min']}"
        if row["closed_on"] is not None and row["status"] != "closed":
            yield "status", f"a home with closed_on must have status closed, not {row['status']}"
        if row["status"] == "closed" and row["closed_on"] is None:
            yield "closed_on", "a closed home needs the date it closed"
        if row["licensed_on"] and row["closed_on"] and row["closed_on"] < row["licensed_on"]:
            yield "closed_on", "closed_on is before licensed_on"
    elif spec is CHILDREN:
        if row["id"] in row["separate_from"]:
            yield "separate_from", "a child cannot be separated from themselves"
    elif spec is EPISODES:
        if row["discharged_on"] is not None:
            if row["discharged_on"] < row["removed_on"]:
                yield "discharged_on", "discharged_on is before removed_on"
            if row["discharge_reason"] is None:
                yield "discharge_reason", "required when discharged_on is given"
        elif row["discharge_reason"] is not None:
            yield "discharged_on", "a discharge_reason needs the date of discharge"
    elif spec is PLACEMENTS:
        if row["ended_on"] is not None and row["ended_on"] < row["started_on"]:
            yield "ended_on", "ended_on is before started_on"
        if row["setting"] in FAMILY_SETTINGS and row["home_id"] is None:
            yield "home_id", f"required for a placement in a family setting ({row['setting']})"
        if row["setting"] not in FAMILY_SETTINGS and row["home_id"] is not None:
            yield "home_id", f"only family settings have a home; {row['setting']} has none"
        if row["end_reason"] is not None and row["ended_on"] is None:
            yield "ended_on", "an end_reason needs the date the placement ended"
        if row["capacity_waiver"] is not None and row["home_id"] is None:
            yield (
                "capacity_waiver",
                f"only a placement in a family home has beds to waive; {row['setting']} has none",
            )


class _World:
    """The records after the import: the database's, overridden by the folder's."""

    def __init__(self, session: Session, files: dict[str, _ParsedFile]) -> None:
        self.session = session
        self.files = files
        self.existing: dict[str, dict[tuple[Any, ...], Row]] = {}
        for spec in CSV_FILES:
            table = table_of(spec.model)
            rows = session.execute(select(table)).mappings()
            self.existing[spec.name] = {natural_key(spec, r): dict(r) for r in rows}

    def merged(self, spec: FileSpec) -> dict[tuple[Any, ...], Row]:
        rows = dict(self.existing[spec.name])
        parsed = self.files.get(spec.name)
        if parsed:
            rows.update((natural_key(spec, r), r) for r in parsed.rows)
        return rows


def _reference_checks(world: _World, problems: _Problems) -> None:
    children = {k[0]: r for k, r in world.merged(CHILDREN).items()}
    homes = {k[0] for k in world.merged(HOMES)}
    files = world.files

    def each(spec: FileSpec) -> Iterable[tuple[int, Row]]:
        parsed = files.get(spec.name)
        return zip(parsed.lines, parsed.rows, strict=True) if parsed else ()

    def known(ids: Iterable[str], pool: set[str] | dict[str, Any]) -> list[str]:
        return [i for i in ids if i not in pool]

    for line, row in each(HOMES):
        for missing in known(row["kin_of"], children):
            problems.add(HOMES.name, line, "kin_of", f"unknown child {missing!r}")
        if row.get("kin_relationship") and not row["kin_of"]:
            problems.add(
                HOMES.name,
                line,
                "kin_relationship",
                "a kin relationship needs kin_of (the children the family is related to)",
            )
    for line, row in each(CHILDREN):
        for missing in known(row["separate_from"], children):
            problems.add(CHILDREN.name, line, "separate_from", f"unknown child {missing!r}")
        for missing in known(row["excluded_homes"], homes):
            problems.add(CHILDREN.name, line, "excluded_homes", f"unknown home {missing!r}")
    for spec in (EPISODES, PLACEMENTS):
        for line, row in each(spec):
            child = children.get(row["child_id"])
            if child is None:
                problems.add(spec.name, line, "child_id", f"unknown child {row['child_id']!r}")
            elif spec is EPISODES and row["removed_on"] < child["birth_date"]:
                problems.add(
                    spec.name,
                    line,
                    "removed_on",
                    f"removed_on {row['removed_on']} is before the child's birth_date "
                    f"{child['birth_date']}",
                )
    for line, row in each(PLACEMENTS):
        if row["home_id"] is not None and row["home_id"] not in homes:
            problems.add(PLACEMENTS.name, line, "home_id", f"unknown home {row['home_id']!r}")


def _timeline_checks(world: _World, problems: _Problems) -> None:
    """Per child: episodes do not overlap; placements lie inside episodes and do not overlap."""
    lines: dict[tuple[str, tuple[Any, ...]], int] = {}
    for spec in (EPISODES, PLACEMENTS):
        parsed = world.files.get(spec.name)
        if parsed:
            for row, line in zip(parsed.rows, parsed.lines, strict=True):
                lines[(spec.name, natural_key(spec, row))] = line
    touched = {
        k[1][0]
        for k in lines  # child ids with a row in the folder
    }
    if not touched:
        return
    episodes: dict[str, list[Row]] = defaultdict(list)
    for key, row in world.merged(EPISODES).items():
        if key[0] in touched:
            episodes[key[0]].append(row)
    placements: dict[str, list[Row]] = defaultdict(list)
    for key, row in world.merged(PLACEMENTS).items():
        if key[0] in touched:
            placements[key[0]].append(row)

    def report(spec: FileSpec, row: Row, column: str, message: str) -> None:
        line = lines.get((spec.name, natural_key(spec, row)))
        if line is None:  # the row is in the database: blame the folder's rows of this child
            return
        problems.add(spec.name, line, column, message)

    for child_id in sorted(touched):
        spells = sorted(episodes.get(child_id, []), key=lambda r: r["removed_on"])
        for before, after in pairwise(spells):
            if before["discharged_on"] is None or before["discharged_on"] > after["removed_on"]:
                message = f"overlaps the child's episode removed on {before['removed_on']}" + (
                    " (still open)" if before["discharged_on"] is None else ""
                )
                report(EPISODES, after, "removed_on", message)
                report(
                    EPISODES,
                    before,
                    "discharged_on",
                    f"overlaps the episode removed on {after['removed_on']}",
                )
        # same-day moves: a placement that ended the day it started comes before the next one
        stays = sorted(
            placements.get(child_id, []),
            key=lambda r: (r["started_on"], r["ended_on"] or date.max),
        )
        for row in stays:
            episode = _episode_of(spells, row["started_on"])
            if episode is None:
                report(
                    PLACEMENTS,
                    row,
                    "started_on",
                    f"{row['started_on']} is not within any episode of child {child_id}",
                )
                continue
            end = episode["discharged_on"]
            if end is not None and (row["ended_on"] is None or row["ended_on"] > end):
                report(
                    PLACEMENTS, row, "ended_on", f"the placement must end by the discharge on {end}"
                )
        for before, after in pairwise(stays):
            if before["ended_on"] is None or before["ended_on"] > after["started_on"]:
                report(
                    PLACEMENTS,
                    after,
                    "started_on",
                    f"overlaps the child's {before['setting']} placement started on "
                    f"{before['started_on']}",
                )


def _episode_of(spells: Sequence[Row], day: date) -> Row | None:
    for spell in spells:
        if spell["removed_on"] <= day and (
            spell["discharged_on"] is None or day <= spell["discharged_on"]
        ):
            return spell
    return None


def _derive_communities(
    files: dict[str, _ParsedFile], index: CommunityIndex, problems: _Problems
) -> None:
    """Set each row's derived community; a point outside every community is a problem."""
    for parsed in files.values():
        for lat, lon, target in parsed.spec.points:
            lats = np.array([np.nan if r[lat] is None else r[lat] for r in parsed.rows])
            lons = np.array([np.nan if r[lon] is None else r[lon] for r in parsed.rows])
            found: Iterable[str | None] = index.locate(lats, lons) if len(lats) else []
            for row, line, community in zip(parsed.rows, parsed.lines, found, strict=True):
                row[target] = community
                if community is None and row[lat] is not None:
                    problems.add(
                        parsed.spec.name,
                        line,
                        lat,
                        f"({row[lat]}, {row[lon]}) is outside every community",
                    )


# -- writing ------------------------------------------------------------------------------


def community_index(session: Session) -> CommunityIndex | None:
    """The communities in the database as an index, or None when there are none."""
    stored = session.exec(select(Community)).scalars().all()  # type: ignore[call-overload]
    if not stored:
        return None
    return CommunityIndex(
        [
            GeoCommunity(
                id=c.id,
                name=c.name,
                geometry=shape(json.loads(c.geometry)),
                child_population=c.child_population,
            )
            for c in stored
        ]
    )


def bump_change_counter(session: Session, name: str = "records") -> None:
    """Add one to the change counter, so that cached snapshots are known to be stale."""
    counter = session.get(ChangeCounter, name)
    if counter is None:
        session.add(ChangeCounter(name=name, value=1))
    else:
        counter.value += 1
    session.flush()


def lock_children_and_homes(
    session: Session, child_ids: Iterable[str], home_ids: Iterable[str]
) -> dict[str, Home]:
    """Lock the children's and the homes' rows until the transaction ends; the homes by id.

    Every write that adds an open placement locks in this one order (children by id, then
    homes by id), so two such writes never wait on each other in a cycle. On PostgreSQL the
    rows are locked ``FOR UPDATE``: a second decision for the same child waits here and then
    reads the first's placement. On SQLite nothing is locked row by row: the caller's
    transaction must start with ``BEGIN IMMEDIATE`` (one writer at a time).
    """
    locking = session.get_bind().dialect.name != "sqlite"
    wanted_children, wanted_homes = set(child_ids), set(home_ids)
    if locking and wanted_children:
        children = select(col(Child.id)).where(_among(col(Child.id), wanted_children))
        session.execute(children.order_by(col(Child.id)).with_for_update()).all()
    homes = select(Home).where(_among(col(Home.id), wanted_homes)).order_by(col(Home.id))
    if locking:
        homes = homes.with_for_update()
    return {h.id: h for h in session.execute(homes).scalars() if h.id in wanted_homes}


# more ids than this are not sent as parameters (SQLite allows 32,766 in one statement): the
# query reads every row, and Python keeps the wanted ones
_MAX_IN = 5_000


def _among(column: Any, ids: set[str]) -> Any:
    return column.in_(sorted(ids)) if len(ids) <= _MAX_IN else true()


@dataclass(frozen=True, slots=True)
class OverCapacity:
    """A home whose open placements without a capacity waiver would outnumber its beds.

    ``lines`` are the folder's lines of the open placements in this home that carry no waiver
    (the rows that would have to carry one).
    """

    home_id: str
    beds: int
    child_ids: tuple[str, ...]  # every open placement in the home after the write
    waived: int
    lines: tuple[int, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.child_ids[:10]) + (" ..." if len(self.child_ids) > 10 else "")
        waived = f", {self.waived} with a capacity waiver" if self.waived else ""
        return (
            f"home {self.home_id} has {self.beds} bed(s) and would have "
            f"{len(self.child_ids)} open placement(s) ({shown}{waived}): a child placed there "
            "anyway needs a capacity_waiver (the reason) on the placement"
        )


def capacity_checks(
    session: Session,
    placements: Sequence[Row],
    lines: Sequence[int] = (),
    homes: Sequence[Row] = (),
) -> list[OverCapacity]:
    """Homes the written placements would overfill: open placements without a waiver > beds.

    ``placements`` are the rows about to be written (placements.csv) and ``lines`` their lines
    in the file; ``homes`` the homes.csv rows written with them (their capacity counts over
    the stored one). The homes that get an open placement are locked first (see
    :func:`lock_children_and_homes`), so the count holds until the transaction ends. A
    placement with a ``capacity_waiver`` is the case system recording what really happened:
    it is allowed, and counted as occupying a bed.
    """
    line_of = {natural_key(PLACEMENTS, r): n for r, n in zip(placements, lines, strict=False)}
    touched = {r["home_id"] for r in placements if r["home_id"] and r["ended_on"] is None}
    if not touched:
        return []
    beds = {h.id: h.capacity for h in lock_children_and_homes(session, (), touched).values()}
    beds.update((r["id"], r["capacity"]) for r in homes if r["id"] in touched)
    stored = session.execute(
        select(table_of(Placement)).where(
            _among(col(Placement.home_id), touched), col(Placement.ended_on).is_(None)
        )
    ).mappings()
    rows = {natural_key(PLACEMENTS, r): dict(r) for r in stored if r["home_id"] in touched}
    rows.update((natural_key(PLACEMENTS, r), r) for r in placements if r["home_id"] in touched)
    open_in: dict[str, list[tuple[tuple[Any, ...], Row]]] = defaultdict(list)
    for key, r in rows.items():
        if r["ended_on"] is None:
            open_in[r["home_id"]].append((key, r))
    found: list[OverCapacity] = []
    for home_id in sorted(touched & beds.keys()):
        here = open_in[home_id]
        plain = sorted(
            (key for key, r in here if not r["capacity_waiver"]),
            key=lambda k: (rows[k]["started_on"], line_of.get(k, 0)),
        )
        if len(plain) > beds[home_id]:
            # blame the written rows without a waiver that came when the beds were full; else
            # (the home was over-full before, or its beds were lowered) every written row in it
            blamed = [k for k in plain[beds[home_id] :] if k in line_of] or [
                k for k, _ in here if k in line_of
            ]
            found.append(
                OverCapacity(
                    home_id,
                    beds[home_id],
                    tuple(sorted(r["child_id"] for _, r in here)),
                    len(here) - len(plain),
                    tuple(sorted(line_of[k] for k in blamed)),
                )
            )
    return found


def _upsert(
    session: Session,
    model: type[SQLModel],
    key: tuple[str, ...],
    rows: list[Row],
    existing: dict[tuple[Any, ...], Row],
) -> FileCounts:
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
    if updates:
        session.execute(update(model), updates)
    counts.inserted, counts.updated = len(inserts), len(updates)
    return counts


def _rederive_all(session: Session, index: CommunityIndex) -> None:
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
            if changed:
                session.execute(update(spec.model), changed)


def import_folder(
    engine: Engine,
    folder: str | Path,
    *,
    progress: Progress | None = None,
    before_commit: Callable[[Session, ImportReport], None] | None = None,
) -> ImportReport:
    """Import a folder of the §4 format in one transaction; raise ``ImportFailed`` on problems.

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

    Raises
    ------
    ImportFailed
        With every problem found, sorted by file and line. Nothing has been written.
    """
    say = progress or (lambda _message: None)
    folder = Path(folder)
    problems = _Problems()
    if not folder.is_dir():
        raise ImportFailed([Problem(str(folder), 0, "", "not a folder")])
    known = {COMMUNITIES_FILE, *(s.name for s in CSV_FILES)}
    present = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    for name in present:
        if name not in known and name.endswith((".csv", ".geojson")):
            problems.add(name, 0, "", f"unknown file; expected {', '.join(sorted(known))}")
    if not known.intersection(present):
        raise ImportFailed(
            [
                Problem(
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
        communities = _parse_communities(folder / COMMUNITIES_FILE, problems)
    files: dict[str, _ParsedFile] = {}
    for spec in CSV_FILES:
        if spec.name in present:
            say(f"reading {spec.name}")
            files[spec.name] = _parse_csv(folder / spec.name, spec, problems)
            _row_checks(files[spec.name], problems)

    report = ImportReport()
    with session_scope(engine) as session:
        index = communities.index if communities else community_index(session)
        if index is None and COMMUNITIES_FILE not in present:
            problems.add(
                COMMUNITIES_FILE,
                0,
                "",
                "no communities in the database or the folder: "
                "import communities.geojson first (or with the records)",
            )
        elif index is not None:
            _derive_communities(files, index, problems)
        say("checking references")
        world = _World(session, files)
        _reference_checks(world, problems)
        _timeline_checks(world, problems)
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
            counts = _upsert(session, Community, ("id",), rows, old)
            report.files[COMMUNITIES_FILE] = counts
            report.repairs = [str(r) for r in communities.index.repairs]
        groups = (
            {r["sibling_group_id"] for r in files[CHILDREN.name].rows} - {None}
            if CHILDREN.name in files
            else set()
        )
        if groups:
            have = set(session.execute(select(SiblingGroup.id)).scalars())  # type: ignore[call-overload]
            new = sorted(groups - have)
            if new:
                session.execute(insert(table_of(SiblingGroup)), [{"id": g} for g in new])
        for spec in CSV_FILES:
            if spec.name in files:
                say(f"writing {spec.name}")
                report.files[spec.name] = _upsert(
                    session, spec.model, spec.key, files[spec.name].rows, world.existing[spec.name]
                )
        if communities is not None and report.files[COMMUNITIES_FILE].updated:
            say("recomputing the community of every record")
            _rederive_all(session, communities.index)
        if report.changed:
            bump_change_counter(session)
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
                problems = _Problems()
                problems.refused(refusal)
                raise problems.failed() from None
            return import_folder(engine, tmp, progress=progress, before_commit=before_commit)
    finally:
        release_memory()  # a server keeps running: give the rows' memory back


def _problem_order(p: Problem) -> tuple[int, str, int]:
    order = [COMMUNITIES_FILE, *(s.name for s in CSV_FILES)]
    return (order.index(p.file) if p.file in order else -1, p.file, p.line)


def _natural_sort(value: str) -> tuple[int, int, str]:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def export_folder(
    engine: Engine, folder: str | Path, *, progress: Progress | None = None
) -> ExportReport:
    """Write every record in the database to ``folder`` in the §4 format.

    Files are written whole (to a temporary name, then renamed), sorted by id (episodes and
    placements by child and date, in the order they were recorded).
    """
    say = progress or (lambda _message: None)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    with Session(engine) as session:
        stored = sorted(
            session.execute(select(table_of(Community))).mappings(),
            key=lambda r: _natural_sort(r["id"]),
        )
        if stored:
            say(f"writing {COMMUNITIES_FILE}")
            document = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "id": r["id"],
                            "name": r["name"],
                            "child_population": r["child_population"],
                        },
                        "geometry": json.loads(r["geometry"]),
                    }
                    for r in stored
                ],
            }
            text = (
                "\n".join(
                    ['{"type": "FeatureCollection", "features": [']
                    + [
                        json.dumps(f, separators=(",", ":"), ensure_ascii=False)
                        + ("," if i < len(stored) - 1 else "")
                        for i, f in enumerate(document["features"])
                    ]
                    + ["]}"]
                )
                + "\n"
            )
            _write_atomically(folder / COMMUNITIES_FILE, text)
            report.files[COMMUNITIES_FILE] = len(stored)
        for spec in CSV_FILES:
            say(f"writing {spec.name}")
            table = table_of(spec.model)
            order = [
                table.c[k] for k in spec.key if k in ("id", "child_id", "started_on", "removed_on")
            ]
            if "id" in table.c and spec.key != ("id",):
                order.append(table.c.id)
            rows = session.execute(select(table).order_by(*order)).mappings()
            out = io.StringIO()
            writer = CsvWriter(out)
            writer.writerow(spec.header)
            n = 0
            for row in rows:
                writer.writerow([format_cell(row[c.target]) for c in spec.columns])
                n += 1
            _write_atomically(folder / spec.name, out.getvalue())
            report.files[spec.name] = n
    return report


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(text, encoding="utf-8", newline="")
    temporary.replace(path)
