"""The checks every write of records passes, before anything is written.

The pipeline, the same for a folder import and for one record written through the API:

1. :func:`read_rows`: parse a file's cells and check each row on its own (a failing row is
   dropped, so the later checks see only rows that could be written);
2. a :class:`World`: the records as they would be after the write, the database's rows
   overridden by the file's (every stored row for a folder; for one record, only the rows it
   can touch: see :func:`record_scope`);
3. :func:`check_rows`: the community of every point, references between records, and each
   child's timeline of episodes and placements;
4. the capacity check of :mod:`data.capacity`, under the locks it takes.

Each problem is added to a :class:`~data.problems.Problems` with its file, line and column.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlmodel import Session, col

from data.formats import (
    CHILDREN,
    CSV_FILES,
    EPISODES,
    FAMILY_SETTINGS,
    HOMES,
    PLACEMENTS,
    FileSpec,
)
from data.models import Child, Episode, Home, Placement
from data.parsing import ParsedFile, Row, parse_csv
from data.problems import Problems
from data.upsert import natural_key, table_of
from geo import CommunityIndex

__all__ = [
    "World",
    "check_rows",
    "derive_communities",
    "read_rows",
    "record_scope",
    "reference_checks",
    "row_checks",
    "timeline_checks",
]


def read_rows(path: Path, spec: FileSpec, problems: Problems) -> ParsedFile:
    """The rows of a CSV file that parse and pass the checks of a row on its own."""
    parsed = parse_csv(path, spec, problems)
    row_checks(parsed, problems)
    return parsed


def check_rows(world: World, index: CommunityIndex | None, problems: Problems) -> None:
    """Derive the community of every point in the world's files (when there are communities),
    then check their references and timelines against the world."""
    if index is not None:
        derive_communities(world.files, index, problems)
    reference_checks(world, problems)
    timeline_checks(world, problems)


# -- one row on its own -------------------------------------------------------------------


def row_checks(parsed: ParsedFile, problems: Problems) -> None:
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


# -- the records after the write ------------------------------------------------------------


class World:
    """The records after the write: the database's, overridden by the files'.

    ``scope`` narrows the stored rows read, per file name, to a SQL condition (a file not
    named: none of its rows). Without it every stored row is read: seconds at state scale
    (1.2 million rows), right for a folder, too slow for one record.
    """

    def __init__(
        self,
        session: Session,
        files: dict[str, ParsedFile],
        scope: Mapping[str, Any] | None = None,
    ) -> None:
        self.session = session
        self.files = files
        self.existing: dict[str, dict[tuple[Any, ...], Row]] = {}
        for spec in CSV_FILES:
            query = select(table_of(spec.model))
            if scope is not None:
                if spec.name not in scope:
                    self.existing[spec.name] = {}
                    continue
                query = query.where(scope[spec.name])
            rows = session.execute(query).mappings()
            self.existing[spec.name] = {natural_key(spec, r): dict(r) for r in rows}

    def merged(self, spec: FileSpec) -> dict[tuple[Any, ...], Row]:
        rows = dict(self.existing[spec.name])
        parsed = self.files.get(spec.name)
        if parsed:
            rows.update((natural_key(spec, r), r) for r in parsed.rows)
        return rows


def record_scope(spec: FileSpec, row: Mapping[str, Any]) -> dict[str, Any]:
    """Per file, the stored rows that one record's checks and upsert read: the children and
    homes it refers to and, for an episode or a placement, the child's other episodes and
    placements."""
    children: set[str] = set()
    homes: set[str] = set()
    if spec is CHILDREN:
        children |= {row["id"], *row["separate_from"]}
        homes |= set(row["excluded_homes"])
    elif spec is HOMES:
        homes.add(row["id"])
        children |= set(row["kin_of"])
    elif spec in (EPISODES, PLACEMENTS):
        children.add(row["child_id"])
        if row.get("home_id"):
            homes.add(row["home_id"])
    scope: dict[str, Any] = {
        CHILDREN.name: col(Child.id).in_(sorted(children)),
        HOMES.name: col(Home.id).in_(sorted(homes)),
    }
    if spec in (EPISODES, PLACEMENTS):
        scope[EPISODES.name] = col(Episode.child_id) == row["child_id"]
        scope[PLACEMENTS.name] = col(Placement.child_id) == row["child_id"]
    elif spec not in (CHILDREN, HOMES):
        scope[spec.name] = getattr(spec.model, "id") == row["id"]  # noqa: B009
    return scope


# -- between records --------------------------------------------------------------------------


def derive_communities(
    files: Mapping[str, ParsedFile], index: CommunityIndex, problems: Problems
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


def reference_checks(world: World, problems: Problems) -> None:
    """Every id a row names (kin, separations, exclusions, child, home) is a record."""
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


def timeline_checks(world: World, problems: Problems) -> None:
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
