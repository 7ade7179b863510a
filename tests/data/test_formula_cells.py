"""Every CSV the project writes neutralises formula starts; import restores them exactly."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from sqlalchemy import Engine, update
from sqlmodel import Session

from core.codes import FAMILY_SETTINGS
from data.exporting import export_folder
from data.formats import CSV_FILES, CellError
from data.importing import import_folder
from data.upsert import table_of
from tests.helpers.database import dump, fresh_sqlite

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "@SUM(1)",
    "-2+3",
    "'=really begins with a quote",
]
# columns that name other records: a hostile value there would be an unknown reference
# columns only filled beside another (a closed home's reason, an ended placement's reason)
DEPENDENT = {"kin_relationship", "closed_reason", "end_reason"}
# a capacity waiver is recorded only on a placement in a family home
FAMILY_ONLY = {"capacity_waiver"}
REFERENCES = {
    "id",
    "child_id",
    "home_id",
    "kin_of",
    "separate_from",
    "excluded_homes",
    "sibling_group",
}


def free_text_columns() -> dict[str, list[tuple[str, bool]]]:
    """Per file, the columns that accept any text (attribute, is a list): the ones at risk."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for spec in CSV_FILES:
        for column in spec.columns:
            if column.name in REFERENCES:
                continue
            try:
                column.read(HOSTILE[0])
            except CellError:
                continue
            found.setdefault(spec.name, []).append((column.target, column.is_list))
    return found


def test_free_text_columns_are_found() -> None:
    """The columns this file tests include the free text of homes, children and partners."""
    columns = {(f, c) for f, cs in free_text_columns().items() for c, _ in cs}
    assert {
        ("homes.csv", "religion"),
        ("partners.csv", "name"),
        ("placements.csv", "end_reason"),
        ("placements.csv", "capacity_waiver"),
    } <= columns


def test_export_neutralises_and_import_restores_every_free_text_column(
    sqlite_engine: Engine, small_folder: Path, tmp_path: Path
) -> None:
    """Hostile text in every free-text column: quoted in the export, exact after re-import."""
    import_folder(sqlite_engine, small_folder)
    values = itertools.cycle(HOSTILE)
    with Session(sqlite_engine) as session:
        for spec in CSV_FILES:
            for target, is_list in free_text_columns().get(spec.name, []):
                value = next(values)
                table = table_of(spec.model)
                where = [table.c[target].is_not(None)] if target in DEPENDENT else []
                if target in FAMILY_ONLY:
                    where = [table.c["setting"].in_(FAMILY_SETTINGS)]
                session.execute(
                    update(table).where(*where).values({target: [value] if is_list else value})
                )
        session.commit()
    before = dump(sqlite_engine)
    out = tmp_path / "export"
    export_folder(sqlite_engine, out)
    for spec in CSV_FILES:
        with (out / spec.name).open(encoding="utf-8", newline="") as handle:
            for record in csv.reader(handle):
                for cell in record:
                    assert not cell.startswith(("=", "+", "@")), (spec.name, cell)
                    assert not cell.startswith("-") or float(cell) < 0, (spec.name, cell)
    other = fresh_sqlite(tmp_path / "other.db")
    import_folder(other, out)
    assert dump(other) == before
    other.dispose()
