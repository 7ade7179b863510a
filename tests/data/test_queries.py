"""Derived values: free beds per home, open episodes, waiting children, the agency summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from data.importing import import_folder
from data.models import Child, Episode
from data.queries import agency_summary, free_beds, in_care, open_episodes, waiting_children


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


def test_open_episodes_and_in_care(engine: Engine, small_folder: Path) -> None:
    """C1 and C2 have an open episode, C3's ended; of two open episodes the later one counts."""
    import_folder(engine, small_folder)
    with Session(engine) as session:
        episodes = open_episodes(session, ["C1", "C2", "C3", "C404"])
        assert sorted(episodes) == ["C1", "C2"]
        assert all(e.discharged_on is None for e in episodes.values())
        assert open_episodes(session, []) == {}
        in_care_ids = select(col(Child.id)).where(in_care()).order_by(col(Child.id))
        assert list(session.execute(in_care_ids).scalars()) == ["C1", "C2"]
        not_in_care = select(col(Child.id)).where(~in_care(col(Child.id)))
        assert list(session.execute(not_in_care).scalars()) == ["C3"]
        # import keeps episodes apart; a record written around it may not
        session.add(
            Episode(
                child_id="C1",
                removed_on=date(2030, 1, 2),
                removal_latitude=41.87,
                removal_longitude=-87.68,
            )
        )
        session.flush()
        assert open_episodes(session, ["C1"])["C1"].removed_on == date(2030, 1, 2)


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
