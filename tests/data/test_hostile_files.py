"""Hostile files: refused by name, line and limit, in bounded memory, with nothing written."""

from __future__ import annotations

import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.bench.imports import zero_bomb
from api.cli import main
from data.importing import import_folder, import_zip
from data.problems import MAX_PROBLEMS, ImportFailed
from data.reading import MAX_FIELD_CHARS, MAX_FILE_BYTES, MAX_RECORD_CHARS
from tests.helpers.database import dump
from tests.helpers.records import SMALL_FILES, write_small_folder

HOMES_HEADER = SMALL_FILES["homes.csv"].splitlines()[0]


def messages(failed: pytest.ExceptionInfo[ImportFailed]) -> list[str]:
    return [str(p) for p in failed.value.problems]


def refused(engine: Engine, folder: Path) -> list[str]:
    """The problems of importing ``folder``, checking that nothing was written."""
    before = dump(engine)
    with pytest.raises(ImportFailed) as failed:
        import_folder(engine, folder)
    assert dump(engine) == before
    return messages(failed)


def test_a_zip_bomb_is_refused_naming_the_file_and_the_limit(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """A zip of one CSV just over the file limit is refused before it is unpacked."""
    bomb = zero_bomb(tmp_path / "bomb.zip", size=MAX_FILE_BYTES + 1)
    with pytest.raises(ImportFailed) as failed:
        import_zip(sqlite_engine, bomb)
    assert messages(failed) == [
        f"homes.csv: the file is {MAX_FILE_BYTES + 1:,} bytes; a file of the format is at most "
        f"{MAX_FILE_BYTES:,} bytes (64 MiB): import the records in parts"
    ]
    assert failed.value.too_large


def test_a_zip_whose_directory_lies_about_sizes_is_stopped(tmp_path: Path) -> None:
    """A member bigger than its declared size stops at the limit while it is unpacked."""
    from data.reading import Refused, extract_zip

    path = zero_bomb(tmp_path / "bomb.zip", size=MAX_FILE_BYTES + 1)
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    assert info.file_size == MAX_FILE_BYTES + 1  # zipfile checks sizes: the limit is the guard
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(Refused, match="at most"):
        extract_zip(path, out)
    assert not any(out.iterdir())


def test_one_giant_field_is_refused_once(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A field of a million zeros: one problem naming file, line, column and limit; not 'empty'."""
    folder = write_small_folder(tmp_path / "bad")
    giant = "H9," + "0" * 1_000_000 + ",active,41.92,-87.66,1" + "," * 15 + "\n"
    (folder / "homes.csv").write_text(SMALL_FILES["homes.csv"] + giant, encoding="utf-8")
    assert refused(sqlite_engine, folder) == [
        f"homes.csv:5: column kind: a record longer than {MAX_RECORD_CHARS:,} characters; "
        f"a field of the format is at most {MAX_FIELD_CHARS:,} characters"
    ]


def test_a_giant_header_is_refused_once(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A file of zeros without a line end is refused at line 1, not also called empty."""
    folder = write_small_folder(tmp_path / "bad")
    (folder / "homes.csv").write_text("0" * 500_000, encoding="utf-8")
    problems = [p for p in refused(sqlite_engine, folder) if p.startswith("homes.csv")]
    assert problems == [
        f"homes.csv:1: the header longer than {MAX_RECORD_CHARS:,} characters; "
        f"a field of the format is at most {MAX_FIELD_CHARS:,} characters"
    ]


def test_a_long_field_names_its_column(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A field over the field limit in a record under the record limit names its column."""
    folder = write_small_folder(tmp_path / "bad")
    row = "H9,foster,active,41.92,-87.66,1,,,,,,en," + "x" * 5000 + ",,,,,,,,\n"
    (folder / "homes.csv").write_text(SMALL_FILES["homes.csv"] + row, encoding="utf-8")
    assert refused(sqlite_engine, folder) == [
        f"homes.csv:5: column religion: the value is 5,000 characters; a field is at most "
        f"{MAX_FIELD_CHARS:,} characters"
    ]


@pytest.mark.parametrize("name", ["homes.csv", "communities.geojson"])
def test_nul_bytes_are_refused_with_the_file_and_line(
    sqlite_engine: Engine, tmp_path: Path, name: str
) -> None:
    """A file of NUL bytes is a binary file, named with its line; never 'embedded null byte'."""
    folder = write_small_folder(tmp_path / "bad")
    (folder / name).write_bytes(b"\0" * 4096)
    problems = refused(sqlite_engine, folder)
    assert f"{name}:1: a NUL byte: this is a binary file, not UTF-8 text" in problems
    assert not any(
        "embedded null" in p or p.startswith(f"{name}:1: the file is empty") for p in problems
    )


def test_a_nul_byte_in_a_later_line_is_named(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A NUL in the third line of a CSV is reported at line 3."""
    folder = write_small_folder(tmp_path / "bad")
    (folder / "partners.csv").write_text(
        SMALL_FILES["partners.csv"] + "P2,Na\0me,faith,41.87,-87.67,,\n", encoding="utf-8"
    )
    assert refused(sqlite_engine, folder) == [
        "partners.csv:3: a NUL byte: this is a binary file, not UTF-8 text"
    ]


def test_a_binary_file_is_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A PNG saved as children.csv is refused by name, with the first line at fault."""
    folder = write_small_folder(tmp_path / "bad")
    (folder / "children.csv").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    problems = [p for p in refused(sqlite_engine, folder) if p.startswith("children.csv")]
    assert problems == ["children.csv:1: not UTF-8 text (byte 0x89)"]


def test_problems_are_capped_at_the_first_hundred(
    sqlite_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """250 bad rows: the first 100 in line order are listed, all 250 counted (CLI too)."""
    folder = write_small_folder(tmp_path / "bad")
    rows = "".join(f"H{i},castle,active,41.92,-87.66,1,,,,,,,,,,,,,,,\n" for i in range(10, 260))
    (folder / "homes.csv").write_text(SMALL_FILES["homes.csv"] + rows, encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        import_folder(sqlite_engine, folder)
    assert failed.value.total == 250 and len(failed.value.problems) == MAX_PROBLEMS
    assert [p.line for p in failed.value.problems] == list(range(5, 5 + MAX_PROBLEMS))
    assert main(["--database-url", str(sqlite_engine.url), "import", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "... and 150 more problem(s)" in err and "250 problem(s) in" in err


@pytest.mark.parametrize(
    ("file", "old", "new", "column"),
    [
        ("homes.csv", "2023-01-02", "9999-12-31", "licensed_on"),
        ("placements.csv", "H2,2024-01-02", str(date.today() + timedelta(days=400)), "started_on"),
        ("children.csv", "2015-03-04", str(date.today() + timedelta(days=1)), "birth_date"),
        ("applicants.csv", "2026-09-01", "1850-01-01", "stage_on"),
    ],
)
def test_dates_far_ahead_are_refused_with_the_column(
    sqlite_engine: Engine, tmp_path: Path, file: str, old: str, new: str, column: str
) -> None:
    """A licence in 9999, a placement over a year ahead, a birth tomorrow, 1850: refused."""
    folder = write_small_folder(tmp_path / "bad")
    prefix = old[: old.rfind(",") + 1]  # placements: the home, then the date
    text = SMALL_FILES[file].replace(old, prefix + new, 1)
    assert text != SMALL_FILES[file]
    (folder / file).write_text(text, encoding="utf-8")
    problems = refused(sqlite_engine, folder)
    assert any(p.startswith(f"{file}:") and f"column {column}: {new}" in p for p in problems), (
        problems
    )


def test_a_licence_next_month_is_accepted(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A date planned a few weeks ahead is within the bound."""
    soon = date.today() + timedelta(days=30)
    folder = write_small_folder(
        tmp_path / "ok", homes_csv=SMALL_FILES["homes.csv"].replace("2023-01-02", str(soon))
    )
    import_folder(sqlite_engine, folder)
