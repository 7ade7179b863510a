"""Derived values: free beds per home, waiting children, the agency summary."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from data.importing import import_folder
from data.queries import agency_summary, free_beds, waiting_children


def test_free_beds_count_open_placements(engine: Engine, small_folder: Path) -> None:
    """Capacity minus children placed there now; closed homes are left out."""
    import_folder(engine, small_folder)
    with Session(engine) as session:
        assert free_beds(session) == {"H1": 3, "H2": 1}
        assert free_beds(session, ["H3"]) == {"H3": 1}


def test_waiting_children_are_in_care_without_a_family_home(
    engine: Engine, small_folder: Path
) -> None:
    """C2 is in shelter (waits); C1 lives with kin; C3 went home."""
    import_folder(engine, small_folder)
    with Session(engine) as session:
        assert waiting_children(session) == ["C2"]


def test_agency_summary(engine: Engine, small_folder: Path) -> None:
    """The headline figures of the small agency."""
    import_folder(engine, small_folder)
    with Session(engine) as session:
        summary = agency_summary(session)
    assert summary.to_json() == {
        "communities": 3,
        "homes": 2,
        "free_beds": 4,
        "children_in_care": 2,
        "waiting": 1,
    }
    assert "waiting children" in summary.summary()


def test_empty_database_summary(engine: Engine) -> None:
    """A new database reports zeros rather than failing."""
    with Session(engine) as session:
        assert agency_summary(session).to_json() == {
            "communities": 0,
            "homes": 0,
            "free_beds": 0,
            "children_in_care": 0,
            "waiting": 0,
        }
