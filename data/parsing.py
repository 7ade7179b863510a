"""Reading the files of a folder into typed rows: every cell parsed, every failure a problem.

A CSV file becomes a :class:`ParsedFile` (the rows that parsed, with their line numbers); a
row with a cell that does not parse is left out and reported. ``communities.geojson``
becomes a :class:`ParsedCommunities` (the index, and each geometry as it will be stored).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry import mapping

from core.csv_cells import restore
from data.formats import COMMUNITIES_FILE, CellError, FileSpec
from data.problems import Problems
from data.reading import MAX_FIELD_CHARS, Refused, csv_records, read_text
from geo import CommunityIndex, GeoJSONError

__all__ = ["ParsedCommunities", "ParsedFile", "Row", "parse_communities", "parse_csv"]

Row = dict[str, Any]


@dataclass
class ParsedFile:
    """The rows of one CSV file that parsed, by model field, and the line each came from."""

    spec: FileSpec
    rows: list[Row] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@dataclass
class ParsedCommunities:
    """The communities of a GeoJSON file: the index, and each geometry as it is stored."""

    index: CommunityIndex
    geometries: dict[str, str]  # id -> serialised GeoJSON geometry
    lines: dict[str, int]


def parse_csv(path: Path, spec: FileSpec, problems: Problems) -> ParsedFile:
    """The rows of a CSV file of the format whose every cell parses; the others are problems."""
    parsed = ParsedFile(spec)
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
    parsed: ParsedFile,
    header: list[str],
    records: Iterator[tuple[int, list[str]]],
    problems: Problems,
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


def parse_communities(path: Path, problems: Problems) -> ParsedCommunities | None:
    """The communities of a GeoJSON file, or None (and its problems) when it does not load."""
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
    return ParsedCommunities(index, geometries, lines)
