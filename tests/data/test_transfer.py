"""Import and export of the folder format: validation, all-or-nothing, upsert, round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from data.exporting import export_folder
from data.importing import import_folder
from data.models import ChangeCounter, Child, Episode, Home, Placement
from data.problems import ImportFailed
from tests.helpers.database import assert_round_trips, dump
from tests.helpers.records import SMALL_FILES, write_small_folder


def test_import_small_folder(engine: Engine, small_folder: Path) -> None:
    """Every file of a valid folder lands, with derived communities."""
    report = import_folder(engine, small_folder)
    assert {name: c.inserted for name, c in report.files.items()} == {
        "communities.geojson": 3,
        "homes.csv": 3,
        "children.csv": 3,
        "episodes.csv": 3,
        "placements.csv": 4,
        "applicants.csv": 2,
        "partners.csv": 1,
    }
    with Session(engine) as session:
        h2 = session.get(Home, "H2")
        assert h2 is not None and h2.community_id == "2" and h2.kin_of == ["C1", "C2"]
        c1 = session.get(Child, "C1")
        assert c1 is not None and c1.school_community_id == "2" and c1.sibling_group_id == "G1"
        episode = session.execute(select(Episode).where(col(Episode.child_id) == "C3")).scalar_one()
        assert episode.removal_community_id == "3"


def test_import_twice_changes_nothing(engine: Engine, small_folder: Path) -> None:
    """Importing the same folder again inserts and updates nothing and bumps no counter."""
    import_folder(engine, small_folder)
    before = dump(engine)
    report = import_folder(engine, small_folder)
    assert not report.changed
    assert all(c.inserted == c.updated == 0 for c in report.files.values())
    assert dump(engine) == before


def test_upsert_updates_changed_rows(engine: Engine, tmp_path: Path, small_folder: Path) -> None:
    """A changed row is updated in place, new rows are added, and the change counter moves."""
    import_folder(engine, small_folder)
    homes = SMALL_FILES["homes.csv"].replace(
        "H1,foster,active,41.92,-87.66,3", "H1,foster,active,41.92,-87.66,4"
    )
    homes += "H4,therapeutic,on_hold,41.93,-87.65,2,,,,,therapeutic,en,,,,,,,2026-01-01,,\n"
    second = tmp_path / "second"
    second.mkdir()
    (second / "homes.csv").write_text(homes, encoding="utf-8")
    report = import_folder(engine, second)
    counts = report.files["homes.csv"]
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 2)
    with Session(engine) as session:
        assert session.get(Home, "H1").capacity == 4  # type: ignore[union-attr]
        assert session.get(ChangeCounter, "records").value == 2  # type: ignore[union-attr]


def test_placement_end_is_updated_by_natural_key(
    engine: Engine, tmp_path: Path, small_folder: Path
) -> None:
    """Closing an open placement updates the same record instead of adding a second one."""
    import_folder(engine, small_folder)
    folder = tmp_path / "later"
    folder.mkdir()
    (folder / "placements.csv").write_text(
        "child_id,setting,home_id,started_on,ended_on,end_reason\n"
        "C2,shelter,,2024-01-01,2024-02-01,move\n"
        "C2,kin_home,H2,2024-02-01,,\n",
        encoding="utf-8",
    )
    report = import_folder(engine, folder)
    assert (report.files["placements.csv"].inserted, report.files["placements.csv"].updated) == (
        1,
        1,
    )
    with Session(engine) as session:
        rows = (
            session.execute(select(Placement).where(col(Placement.child_id) == "C2"))
            .scalars()
            .all()
        )
        assert sorted((p.setting, p.ended_on is None) for p in rows) == [
            ("kin_home", True),
            ("shelter", False),
        ]


def test_export_then_import_round_trips(engine: Engine, tmp_path: Path, small_folder: Path) -> None:
    """Export, then import into an empty database, gives the same records and the same files."""
    import_folder(engine, small_folder)
    first = assert_round_trips(engine, tmp_path)
    # the CSV files come back exactly as they were written by hand, with the optional column
    # the hand-written placements.csv leaves out (capacity_waiver) written empty
    for name, text in SMALL_FILES.items():
        if name == "placements.csv":
            header, *rows = text.splitlines()
            text = "".join(
                f"{line}\n" for line in [f"{header},capacity_waiver"] + [f"{r}," for r in rows]
            )
        assert (first / name).read_text(encoding="utf-8") == text, name


def test_export_writes_communities_geojson(
    sqlite_engine: Engine, tmp_path: Path, small_folder: Path
) -> None:
    """The exported communities are a FeatureCollection with id, name and child population."""
    import_folder(sqlite_engine, small_folder)
    export_folder(sqlite_engine, tmp_path / "out")
    document = json.loads((tmp_path / "out" / "communities.geojson").read_text(encoding="utf-8"))
    assert document["type"] == "FeatureCollection"
    assert [f["properties"] for f in document["features"]] == [
        {"id": "1", "name": "Northside", "child_population": 5000},
        {"id": "2", "name": "Southside", "child_population": 8000},
        {"id": "3", "name": "Westside", "child_population": None},
    ]


# -- bad input: one case per kind, each leaving the database as it was --------------------

HOMES_HEADER = SMALL_FILES["homes.csv"].splitlines()[0]
PLACEMENTS = SMALL_FILES["placements.csv"]


def _append(name: str, line: str) -> dict[str, str]:
    return {name.replace(".", "_"): SMALL_FILES[name] + line}


BAD_INPUTS: list[tuple[str, dict[str, str], str]] = [
    (
        "a kin relationship for a home named for no child",
        {
            "homes_csv": SMALL_FILES["homes.csv"].replace(
                "halal diet,,no,,,2023", "halal diet,,no,,grandmother,2023"
            )
        },
        "homes.csv:2: column kin_relationship: a kin relationship needs kin_of",
    ),
    (
        "malformed CSV: a quote never closed",
        _append("homes.csv", 'H9,"foster,active\n'),
        "homes.csv:5: malformed CSV",
    ),
    (
        "a row with too few fields",
        _append("homes.csv", "H9,foster,active\n"),
        "homes.csv:5: expected 21 fields, found 3",
    ),
    (
        "an unknown code",
        _append("homes.csv", "H9,castle,active,41.92,-87.66,1,,,,,,,,,,,,,,,\n"),
        "homes.csv:5: column kind: unknown code 'castle'",
    ),
    (
        "an unknown code in a list",
        _append("children.csv", "C9,2015-01-01,female,,,,,,,,flying,,,,,\n"),
        "children.csv:5: column needs: unknown code 'flying'",
    ),
    (
        "a bad date",
        _append("children.csv", "C9,2015-02-30,female,,,,,,,,,,,,,\n"),
        "children.csv:5: column birth_date: expected a date as YYYY-MM-DD, got '2015-02-30'",
    ),
    (
        "a duplicate id",
        _append("homes.csv", "H1,foster,active,41.92,-87.66,1,,,,,,,,,,,,,,,\n"),
        "homes.csv:5: column id: duplicate id: first on line 2",
    ),
    (
        "a placement of a missing child",
        _append("placements.csv", "C99,shelter,,2024-01-01,,\n"),
        "placements.csv:6: column child_id: unknown child 'C99'",
    ),
    (
        "a placement in a missing home",
        {"placements_csv": PLACEMENTS.replace("C1,kin_home,H2", "C1,kin_home,H77")},
        "placements.csv:3: column home_id: unknown home 'H77'",
    ),
    (
        "an episode of a missing child",
        _append("episodes.csv", "C99,2024-01-01,41.87,-87.68,,\n"),
        "episodes.csv:5: column child_id: unknown child 'C99'",
    ),
    (
        "a kin home named for a missing child",
        _append("homes.csv", "H9,kin,active,41.92,-87.66,1,,,,,,,,,,,C42,,,,\n"),
        "homes.csv:5: column kin_of: unknown child 'C42'",
    ),
    (
        "latitude out of range",
        _append("homes.csv", "H9,foster,active,95.5,-87.66,1,,,,,,,,,,,,,,,\n"),
        "homes.csv:5: column latitude: latitude out of range: 95.5 is not in [-90, 90]",
    ),
    (
        "longitude not a number",
        _append("partners.csv", "P9,Name,faith,41.87,west,,\n"),
        "partners.csv:3: column longitude: expected a longitude in decimal degrees, got 'west'",
    ),
    (
        "a point outside every community",
        _append("homes.csv", "H9,foster,active,40.0,-87.66,1,,,,,,,,,,,,,,,\n"),
        "homes.csv:5: column latitude: (40.0, -87.66) is outside every community",
    ),
    (
        "a required value empty",
        _append("homes.csv", "H9,foster,active,41.92,-87.66,,,,,,,,,,,,,,,,\n"),
        "homes.csv:5: column capacity: required value is empty",
    ),
    (
        "a required column missing",
        {"homes_csv": SMALL_FILES["homes.csv"].replace("capacity,", "beds,", 1)},
        "homes.csv:1: column beds: unknown column",
    ),
    (
        "a negative capacity",
        _append("homes.csv", "H9,foster,active,41.92,-87.66,-1,,,,,,,,,,,,,,,\n"),
        "homes.csv:5: column capacity: expected a whole number >= 0",
    ),
    (
        "a discharge before the removal",
        _append("episodes.csv", "C3,2024-05-01,41.86,-87.72,2024-04-01,reunification\n"),
        "episodes.csv:5: column discharged_on: discharged_on is before removed_on",
    ),
    (
        "overlapping placements",
        _append("placements.csv", "C2,foster_home,H1,2024-03-01,,\n"),
        "placements.csv:6: column started_on: overlaps the child's shelter placement started on 2024-01-01",
    ),
    (
        "a placement outside every episode",
        _append("placements.csv", "C3,shelter,,2021-01-01,2021-02-01,move\n"),
        "placements.csv:6: column started_on: 2021-01-01 is not within any episode of child C3",
    ),
    (
        "a home in a congregate setting",
        _append("placements.csv", "C3,group_home,H1,2022-06-01,2022-06-01,move\n"),
        "placements.csv:6: column home_id: only family settings have a home",
    ),
    (
        "a second open episode",
        _append("episodes.csv", "C1,2025-01-01,41.87,-87.68,,\n"),
        "episodes.csv:5: column removed_on: overlaps the child's episode removed on 2024-01-01 (still open)",
    ),
    (
        "broken GeoJSON",
        {
            "communities_geojson": '{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",,}\n]}'
        },
        "communities.geojson:3: column 22: not valid JSON",
    ),
]


@pytest.mark.parametrize(
    ("label", "replace", "expected"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_reported_and_nothing_is_written(
    engine: Engine,
    tmp_path: Path,
    small_folder: Path,
    label: str,
    replace: dict[str, str],
    expected: str,
) -> None:
    """Each kind of bad input names file, line and column, and leaves the database unchanged."""
    import_folder(engine, small_folder)
    before = dump(engine)
    bad = tmp_path / "bad"
    write_small_folder(bad, **{k: v for k, v in replace.items() if k != "communities_geojson"})
    if "communities_geojson" in replace:
        (bad / "communities.geojson").write_text(replace["communities_geojson"], encoding="utf-8")
    # change a good row too: it must not be written either
    homes = (bad / "homes.csv").read_text(encoding="utf-8").replace("-87.66,3,", "-87.66,2,", 1)
    (bad / "homes.csv").write_text(homes, encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        import_folder(engine, bad)
    messages = [str(p) for p in failed.value.problems]
    assert any(m.startswith(expected) for m in messages), messages
    assert dump(engine) == before


def test_every_problem_is_reported_not_only_the_first(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """Problems in several rows and files are all listed, in file and line order."""
    folder = write_small_folder(
        tmp_path / "bad",
        homes_csv=SMALL_FILES["homes.csv"]
        + "H8,castle,active,41.92,-87.66,1,,,,,,,,,,,,,,,\n"
        + "H9,foster,active,41.92,-87.66,x,,,,,,,,,,,,,,,\n",
        children_csv=SMALL_FILES["children.csv"] + "C9,yesterday,female,,,,,,,,,,,,,\n",
    )
    with pytest.raises(ImportFailed) as failed:
        import_folder(sqlite_engine, folder)
    assert [str(p).split(": ")[0] for p in failed.value.problems] == [
        "homes.csv:5:",
        "homes.csv:6:",
        "children.csv:5:",
    ] or [f"{p.file}:{p.line}" for p in failed.value.problems] == [
        "homes.csv:5",
        "homes.csv:6",
        "children.csv:5",
    ]
    assert dump(sqlite_engine)["homes"] == []


def test_geojson_feature_problems_name_the_line(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A feature without an id is reported at the line where the feature starts."""
    folder = write_small_folder(tmp_path / "bad")
    document = json.loads((folder / "communities.geojson").read_text(encoding="utf-8"))
    del document["features"][1]["properties"]["id"]
    text = (
        '{"type": "FeatureCollection", "features": [\n'
        + ",\n".join(json.dumps(f) for f in document["features"])
        + "\n]}"
    )
    (folder / "communities.geojson").write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        import_folder(sqlite_engine, folder)
    assert [str(p) for p in failed.value.problems] == [
        "communities.geojson:3: column features[1].properties.id: missing id"
    ]


def test_not_utf8_is_reported(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A file that is not UTF-8 is named with the line of the first bad byte."""
    folder = write_small_folder(tmp_path / "bad")
    data = SMALL_FILES["partners.csv"].encode() + "P2,Caf\u00e9,faith,41.87,-87.67,,\n".encode(
        "latin-1"
    )
    (folder / "partners.csv").write_bytes(data)
    with pytest.raises(ImportFailed) as failed:
        import_folder(sqlite_engine, folder)
    assert str(failed.value.problems[0]).startswith("partners.csv:3: not UTF-8 text")


def test_records_without_communities_are_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    """Homes cannot be imported into a database that has no communities yet."""
    folder = write_small_folder(tmp_path / "bad")
    (folder / "communities.geojson").unlink()
    with pytest.raises(ImportFailed) as failed:
        import_folder(sqlite_engine, folder)
    assert "import communities.geojson first" in str(failed.value.problems[0])


def test_unknown_file_is_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A misspelt file name is an error rather than silently skipped."""
    folder = write_small_folder(tmp_path / "bad")
    (folder / "home.csv").write_text("id\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        import_folder(sqlite_engine, folder)
    assert str(failed.value.problems[0]).startswith("home.csv: unknown file")


def test_two_moves_on_one_day_in_any_row_order(engine: Engine, tmp_path: Path) -> None:
    """A placement that starts and ends on the day of a move is accepted whatever the row order.

    The database returns rows in no particular order, so the timeline check must not depend on it.
    """
    placements = SMALL_FILES["placements.csv"].replace(
        "C2,shelter,,2024-01-01,,\n",
        "C2,foster_home,H1,2024-01-05,,\nC2,shelter,,2024-01-01,2024-01-05,move\nC2,kin_home,H2,2024-01-05,2024-01-05,disruption\n",
    )
    folder = write_small_folder(tmp_path / "moves", placements_csv=placements)
    report = import_folder(engine, folder)
    assert report.files["placements.csv"].inserted == 6
    assert not import_folder(engine, folder).changed
