"""Shared fixtures: databases (SQLite always; PostgreSQL when its URL is set) and folders."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from data.db import database_url, make_engine, upgrade

POSTGRES_URL_ENV = "FOSTERMATCH_TEST_POSTGRES_URL"


def _postgres_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_URL_ENV}, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test (.ci/run sets it)"
        )
    return database_url(url)


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A migrated engine on a fresh PostgreSQL database, dropped afterwards."""
    url = make_url(_postgres_url())
    name = f"fostermatch_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on a new SQLite file."""
    engine = make_engine(f"sqlite:///{tmp_path / 'fostermatch.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The data-layer tests run on both databases."""
    return request.getfixturevalue(f"{request.param}_engine")  # type: ignore[no-any-return]


def _square(x0: float, y0: float, size: float = 0.05) -> dict[str, object]:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


SMALL_COMMUNITIES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "1", "name": "Northside", "child_population": 5000},
            "geometry": _square(-87.70, 41.90),
        },
        {
            "type": "Feature",
            "properties": {"id": "2", "name": "Southside", "child_population": 8000},
            "geometry": _square(-87.70, 41.85),
        },
        {
            "type": "Feature",
            "properties": {"id": "3", "name": "Westside", "child_population": None},
            "geometry": _square(-87.75, 41.85),
        },
    ],
}

# A small agency: two homes, a sibling group of two (one placed with kin, one in shelter),
# a child who went home, an applicant and a partner. Points: (41.87, -87.68) is Southside,
# (41.92, -87.66) Northside, (41.86, -87.72) Westside.
SMALL_FILES = {
    "homes.csv": """\
id,kind,status,latitude,longitude,capacity,age_min,age_max,accepts_sex,max_siblings,capabilities,languages,religion,cultural_offers,tribe,tribe_licensed,kin_of,kin_relationship,licensed_on,closed_on,closed_reason
H1,foster,active,41.92,-87.66,3,0,12,any,3,medical;infant,en;es,,halal diet,,no,,,2023-01-02,,
H2,kin,active,41.87,-87.68,2,,,,,,en,,,,,C1;C2,maternal aunt,2024-01-02,,
H3,foster,closed,41.86,-87.72,1,10,17,female,1,,en,,,,,,,2022-05-01,2023-02-01,voluntary
""",
    "children.csv": """\
id,birth_date,sex,race,hispanic,languages,religion,cultural_needs,tribe,icwa,needs,sibling_group,separate_from,excluded_homes,school_latitude,school_longitude
C1,2015-03-04,female,black,no,en,,,,no,,G1,,,41.871,-87.681
C2,2017-06-30,male,black;white,no,en;es,,,,no,medical,G1,,H3,,
C3,2012-11-11,female,white,yes,es,,,,no,,,,,,
""",
    "episodes.csv": """\
child_id,removed_on,removal_latitude,removal_longitude,discharged_on,discharge_reason
C1,2024-01-01,41.87,-87.68,,
C2,2024-01-01,41.87,-87.68,,
C3,2022-06-01,41.86,-87.72,2023-01-15,reunification
""",
    "placements.csv": """\
child_id,setting,home_id,started_on,ended_on,end_reason
C1,shelter,,2024-01-01,2024-01-02,move
C1,kin_home,H2,2024-01-02,,
C2,shelter,,2024-01-01,,
C3,foster_home,H3,2022-06-01,2023-01-15,discharge
""",
    "applicants.csv": """\
id,stage,stage_on,latitude,longitude,interests,languages
A1,training,2026-09-01,41.92,-87.67,teens;siblings,en;es
A2,inquiry,2026-10-01,,,,
""",
    "partners.csv": """\
id,name,kind,latitude,longitude,languages,contact
P1,"Southside Family Center, Inc.",community_centre,41.87,-87.67,en;es,info@southside.example.org
""",
}


def write_small_folder(folder: Path, **replace: str) -> Path:
    """Write the small agency to ``folder``; ``replace`` swaps whole files (e.g. homes_csv=...)."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "communities.geojson").write_text(json.dumps(SMALL_COMMUNITIES), encoding="utf-8")
    for name, text_ in SMALL_FILES.items():
        text_ = replace.get(name.replace(".", "_"), text_)
        (folder / name).write_text(text_, encoding="utf-8")
    return folder


@pytest.fixture
def small_folder(tmp_path: Path) -> Path:
    """The small agency written as a folder of the import format."""
    return write_small_folder(tmp_path / "small")


@pytest.fixture(scope="session")
def county_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database holding the sample county (seed 1), built once per test session.

    Read-only by convention: tests that write use their own database.
    """
    from data.generate import generate
    from data.importing import import_folder

    root = tmp_path_factory.mktemp("sample-county")
    generate(root / "folder", seed=1, scale="county")
    url = f"sqlite:///{root / 'county.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        import_folder(engine, root / "folder")
    finally:
        engine.dispose()
    return url
