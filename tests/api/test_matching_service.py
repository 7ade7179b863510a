"""From the records to the matching engine, and `fostermatch match` on the database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from api.cli import main
from api.services.matching import (
    ChildNotFound,
    ChildNotInCare,
    age_on,
    load_group,
    load_matching_inputs,
    load_waiting_children,
)
from data.importing import import_folder
from matching import PlacedSibling
from tests.helpers.records import SMALL_FILES, write_small_folder

AS_OF = date(2026, 1, 1)


@pytest.fixture
def small_agency_cli(
    tmp_path: Path,
    small_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The small agency imported through the CLI into a new SQLite database (output cleared)."""
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["import", str(small_folder)]) == 0
    capsys.readouterr()


def test_age_on_counts_whole_years() -> None:
    """A child is a year older on their birthday, not the day before."""
    assert age_on(date(2015, 3, 4), date(2026, 3, 3)) == 10
    assert age_on(date(2015, 3, 4), date(2026, 3, 4)) == 11
    assert age_on(date(2020, 2, 29), date(2021, 2, 28)) == 0


def test_inputs_from_the_records(engine: Engine, small_folder: Path) -> None:
    """Open homes become engine homes with their free beds, kin and licence status."""
    import_folder(engine, small_folder)
    with Session(engine) as session:
        inputs = load_matching_inputs(session, as_of=AS_OF)
    homes = {h.id: h for h in inputs.snapshot.homes}
    assert sorted(homes) == ["H1", "H2"]  # H3 is closed
    assert homes["H2"].free_beds == 1 and homes["H2"].kin_of == frozenset({"C1", "C2"})
    assert homes["H1"].languages == ("en", "es") and homes["H1"].licensed
    assert homes["H2"].placements_last_year == 0 and homes["H2"].last_placed_on == date(2024, 1, 2)
    assert inputs.communities.name("2") == "Southside"
    assert inputs.communities.neighbours("2") >= {"1", "3"}


def test_group_is_the_child_and_waiting_siblings(engine: Engine, small_folder: Path) -> None:
    """C2 waits in shelter; sister C1 already lives with kin, so C2 is matched alone."""
    import_folder(engine, small_folder)
    with Session(engine) as session:
        group = load_group(session, "C2", as_of=AS_OF)
    assert [c.id for c in group] == ["C2"]
    child = group[0]
    assert child.age == 8 and child.needs == frozenset({"medical"})
    assert child.removal_community == "2" and child.waiting_since == date(2024, 1, 1)
    assert not any(
        "race" in name or "hispanic" in name for name in type(child).__dataclass_fields__
    )


def test_unknown_and_discharged_children_are_refused(engine: Engine, small_folder: Path) -> None:
    """A child who does not exist, or who left care, gives a clear error."""
    import_folder(engine, small_folder)
    with Session(engine) as session:
        with pytest.raises(ChildNotFound, match="unknown child 'C404'"):
            load_group(session, "C404")
        with pytest.raises(ChildNotInCare, match="not in care"):
            load_group(session, "C3")


def test_match_command_puts_kin_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fostermatch match C2 --json` lists the kin home named for C2 first, in the §12 shape,
    saying how the family is related."""
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'm.db'}")
    # the relative's home H2 (named for C1 and C2, their maternal aunt) can meet C2's medical
    # needs here
    homes = SMALL_FILES["homes.csv"].replace(
        "H2,kin,active,41.87,-87.68,2,,,,,,", "H2,kin,active,41.87,-87.68,2,,,,,medical,"
    )
    folder = write_small_folder(tmp_path / "kin", homes_csv=homes)
    assert main(["import", str(folder)]) == 0
    capsys.readouterr()
    assert main(["match", "C2", "--json", "--as-of", "2026-01-01"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["children"] == ["C2"]
    assert {"eligible_homes", "excluded", "near_misses", "candidates"} <= set(result)
    first = result["candidates"][0]
    assert (first["home_id"], first["kin"], first["rank"]) == ("H2", True, 1)
    kinship = next(f for f in first["factors"] if f["name"] == "kinship")
    assert kinship["reason"].startswith("kin: maternal aunt, named for")
    assert {
        "score",
        "takes_all_siblings",
        "distance_km",
        "community",
        "icwa_tier",
        "factors",
    } <= set(first)
    assert main(["match", "C2", "--as-of", "2026-01-01"]) == 0
    assert "H2" in capsys.readouterr().out


def test_a_sister_living_in_a_home_credits_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """C2's sister C1 lives with their aunt in H2: the match says so for H2, and the waiting row
    has C2's days in the shelter."""
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")
    homes = SMALL_FILES["homes.csv"].replace(
        "H2,kin,active,41.87,-87.68,2,,,,,,", "H2,kin,active,41.87,-87.68,2,,,,,medical,"
    )
    assert main(["import", str(write_small_folder(tmp_path / "sister", homes_csv=homes))]) == 0
    capsys.readouterr()
    assert main(["match", "C2", "--json", "--as-of", "2026-01-01"]) == 0
    result = json.loads(capsys.readouterr().out)
    aunt = result["candidates"][0]
    assert aunt["home_id"] == "H2"
    together = next(f for f in aunt["factors"] if f["name"] == "siblings_together")
    assert (together["value"], together["reason"]) == (1.0, "his sister C1 already lives here")
    assert "his sister C1 already lives here" in aunt["for"]
    assert result["waiting"] == [
        {
            "child_id": "C2",
            "waited_days": 731,  # in the shelter since the removal on 2024-01-01
            "turns_18_on": None,
            "icwa": False,
            "best_icwa_tier": None,
            "best_icwa_home": None,
        }
    ]
    assert main(["match", "C2", "--as-of", "2026-01-01"]) == 0
    assert "  C2: waiting 731 days" in capsys.readouterr().out


def test_match_explains_an_excluded_kin_home(
    small_agency_cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A kin home that cannot meet the child's medical needs is counted under the needs rule."""
    assert main(["match", "C2", "--json", "--as-of", "2026-01-01"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [c["home_id"] for c in result["candidates"]] == ["H1"]
    assert result["excluded"]["needs"] == 1


def test_match_command_errors(small_agency_cli: None, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown child or a child not in care exits 2 with a sentence, not a traceback."""
    assert main(["match", "C404"]) == 2
    assert "unknown child 'C404'" in capsys.readouterr().err
    assert main(["match", "C3"]) == 2
    assert "not in care" in capsys.readouterr().err


def test_home_of_a_separated_child_is_excluded(engine: Engine, tmp_path: Path) -> None:
    """C2 must be kept apart from C1, who lives in H2: H2 is excluded for C2."""
    children = SMALL_FILES["children.csv"].replace(
        "C2,2017-06-30,male,black;white,no,en;es,,,,no,medical,G1,,H3,,",
        "C2,2017-06-30,male,black;white,no,en;es,,,,no,medical,G1,C1,H3,,",
    )
    import_folder(engine, write_small_folder(tmp_path / "sep", children_csv=children))
    with Session(engine) as session:
        (child,) = load_group(session, "C2", as_of=AS_OF)
    assert child.excluded_homes == frozenset({"H2", "H3"})


def test_plan_command_places_the_waiting_child(
    small_agency_cli: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fostermatch plan --json` places C2 (the only waiting child) in H1, in the §12 shape."""
    assert main(["plan", "--json", "--as-of", "2026-01-01", "--time-limit", "5"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == "cp-sat" and result["status"] == "optimal"
    assert [(a["child_id"], a["home_id"]) for a in result["assignments"]] == [("C2", "H1")]
    assert result["unplaced"] == [] and result["summary"]["placed"] == 1
    assert main(["plan", "--json", "--as-of", "2026-01-01", "--baseline", "greedy"]) == 0
    baseline = json.loads(capsys.readouterr().out)
    assert baseline["method"] == "greedy" and baseline["summary"]["placed"] == 1
    assert main(["plan", "--json", "--as-of", "2026-01-01", "--deterministic"]) == 0
    repeatable = json.loads(capsys.readouterr().out)
    assert repeatable["assignments"] == result["assignments"]


def test_waiting_children_load_in_bulk_as_one_by_one(engine: Engine, small_folder: Path) -> None:
    """The bulk loader for the plan builds the same engine children as the per-child loader."""
    import_folder(engine, small_folder)
    with Session(engine) as session:
        waiting = load_waiting_children(session, as_of=AS_OF)
        assert [c.id for c in waiting] == ["C2"]
        assert waiting[0] == load_group(session, "C2", as_of=AS_OF)[0]
        assert waiting[0].placed_siblings == frozenset({PlacedSibling("C1", "female", "H2")})
        assert waiting[0].birth_date == date(2017, 6, 30)


def test_a_sibling_to_be_kept_apart_is_not_a_sibling_to_join(
    engine: Engine, tmp_path: Path
) -> None:
    """C2 must be kept apart from C1: C1's home is excluded and not offered as hers to join."""
    children = SMALL_FILES["children.csv"].replace(
        "C2,2017-06-30,male,black;white,no,en;es,,,,no,medical,G1,,H3,,",
        "C2,2017-06-30,male,black;white,no,en;es,,,,no,medical,G1,C1,H3,,",
    )
    import_folder(engine, write_small_folder(tmp_path / "apart", children_csv=children))
    with Session(engine) as session:
        (child,) = load_group(session, "C2", as_of=AS_OF)
    assert child.placed_siblings == frozenset()
