"""The sample county through the data layer: generate, import, export, import again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from data.generate import generate
from data.importing import import_folder
from data.queries import agency_summary
from tests.helpers.database import assert_round_trips, dump


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample county, seed 1, generated once for this module."""
    folder = tmp_path_factory.mktemp("county")
    generate(folder, seed=1, scale="county")
    return folder


def test_generated_county_imports_and_round_trips(
    engine: Engine, county: Path, tmp_path: Path
) -> None:
    """The generated county imports cleanly; export then import into an empty database is exact."""
    report = import_folder(engine, county)
    assert report.files["children.csv"].inserted > 1000
    with Session(engine) as session:
        summary = agency_summary(session)
    assert summary.communities == 77 and summary.waiting > 0 and summary.free_beds > 0
    assert_round_trips(engine, tmp_path)


def test_generated_county_second_import_changes_nothing(
    sqlite_engine: Engine, county: Path
) -> None:
    """Importing the generated county twice leaves every record as it was."""
    import_folder(sqlite_engine, county)
    before = dump(sqlite_engine)
    assert not import_folder(sqlite_engine, county).changed
    assert dump(sqlite_engine) == before
