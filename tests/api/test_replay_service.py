"""From the records to a replay's history (api/services/replay.py), on both databases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from api.services.errors import Invalid
from api.services.replay import last_year, load_history
from data.importing import import_folder


def test_the_window_of_the_small_agency(engine: Engine, small_folder: Path) -> None:
    """C1 and C2 enter on 1 January 2024; H3 closed before the window; C1's recorded first
    family home is her aunt's, the next day; C3 left care long before."""
    import_folder(engine, small_folder)
    with Session(engine) as session:
        inputs = load_history(session, date(2023, 12, 1), date(2024, 1, 2))
    history = inputs.history
    assert [h.home.id for h in history.homes] == ["H1", "H2"]
    assert [(a.id, a.ready_on, a.entered) for a in history.arrivals] == [
        ("C1", date(2024, 1, 1), True),
        ("C2", date(2024, 1, 1), True),
    ]
    assert history.residents == ()
    assert inputs.recorded == {"C1": ("H2", date(2024, 1, 2))}
    assert inputs.moves == 1  # C1: shelter, then her aunt's home
    assert not any(
        "race" in f or "hispanic" in f for f in type(history.arrivals[0].child).__dataclass_fields__
    )


def test_children_in_care_at_the_start_stay_or_wait(engine: Engine, small_folder: Path) -> None:
    """On 2 January 2024 C1 lives with her aunt (a resident), C2 waits in a shelter."""
    import_folder(engine, small_folder)
    with Session(engine) as session:
        inputs = load_history(session, date(2024, 1, 2), date(2024, 1, 2))
        window = last_year(session)
    history = inputs.history
    assert [(r.child_id, r.home_id) for r in history.residents] == [("C1", "H2")]
    assert [(a.id, a.entered, a.since) for a in history.arrivals] == [
        ("C2", False, date(2024, 1, 1))
    ]
    assert window == (date(2023, 1, 3), date(2024, 1, 2))


def test_a_window_outside_the_records_is_refused(engine: Engine, small_folder: Path) -> None:
    """A window ending after the records' last day is refused with both spans."""
    import_folder(engine, small_folder)
    with (
        Session(engine) as session,
        pytest.raises(Invalid, match="run from 2022-06-01 to 2024-01-02"),
    ):
        load_history(session, date(2023, 1, 1), date(2024, 6, 1))
