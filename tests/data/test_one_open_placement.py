"""One open family placement per child, enforced by the database (migration 0004)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from data.db import MigrationRefused, is_current, session_scope, upgrade
from data.formats import FAMILY_SETTINGS
from data.importing import import_folder
from data.models import OPEN_FAMILY_PLACEMENT, Placement
from data.upsert import table_of
from tests.helpers.records import write_small_folder


def _downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    from data.db import alembic_config

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _place(engine: Engine, child_id: str, home_id: str, started_on: date, **more: object) -> None:
    # the columns named, not the model's table: the schema may be an older revision's
    # (without the columns later revisions add, such as version)
    row = {
        "child_id": child_id,
        "setting": "foster_home",
        "home_id": home_id,
        "started_on": started_on,
        **more,
    }
    placements = sa_table("placements", *(sa_column(name) for name in row))
    with engine.begin() as connection:
        connection.execute(insert(placements), [row])


def test_the_rule_names_the_family_settings() -> None:
    """The index's predicate is 'not ended, in a family setting' with the format's settings."""
    for setting in FAMILY_SETTINGS:
        assert f"'{setting}'" in OPEN_FAMILY_PLACEMENT
    assert OPEN_FAMILY_PLACEMENT.count("'") == 2 * len(FAMILY_SETTINGS)
    assert OPEN_FAMILY_PLACEMENT.startswith("ended_on IS NULL AND ")


def test_a_second_open_family_placement_is_refused(engine: Engine, tmp_path: Path) -> None:
    """C1 lives with kin in H2: a second open placement in H1, inserted directly, is refused;
    an ended one, or one in a shelter, is not."""
    import_folder(engine, write_small_folder(tmp_path / "small"))
    with pytest.raises(IntegrityError, match=r"uq_placements_one_open_family|UNIQUE constraint"):
        _place(engine, "C1", "H1", date(2024, 5, 1))
    _place(engine, "C1", "H1", date(2024, 5, 1), ended_on=date(2024, 5, 2))
    with engine.begin() as connection:
        connection.execute(
            insert(table_of(Placement)),
            [{"child_id": "C1", "setting": "shelter", "started_on": date(2024, 6, 1)}],
        )
    with Session(engine) as session:
        open_homes = session.execute(
            select(col(Placement.home_id)).where(
                col(Placement.child_id) == "C1", col(Placement.ended_on).is_(None)
            )
        ).all()
    assert sorted(open_homes, key=str) == sorted([("H2",), (None,)], key=str)


def test_upgrade_from_0003_without_violations(engine: Engine, tmp_path: Path) -> None:
    """A database at 0003 whose children each have one open family placement upgrades."""
    import_folder(engine, write_small_folder(tmp_path / "small"))
    _downgrade(engine, "0003")
    upgrade(engine)
    assert is_current(engine)
    with pytest.raises(IntegrityError):
        _place(engine, "C1", "H1", date(2024, 5, 1))


def test_upgrade_from_0003_refuses_children_placed_twice(engine: Engine, tmp_path: Path) -> None:
    """At 0003, C1 open in H2 and in H1: the upgrade names C1, changes nothing, and succeeds
    once the extra placement is ended."""
    import_folder(engine, write_small_folder(tmp_path / "small"))
    _downgrade(engine, "0003")
    _place(engine, "C1", "H1", date(2024, 5, 1))
    with pytest.raises(MigrationRefused, match=r"1 child\(ren\) .*: C1 \(2\)\. End all but"):
        upgrade(engine)
    assert not is_current(engine)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    columns = [c["name"] for c in inspect(engine).get_columns("placements")]
    assert version == "0003" and "capacity_waiver" not in columns
    with session_scope(engine) as session:
        session.execute(
            text("UPDATE placements SET ended_on = :day WHERE child_id = 'C1' AND home_id = 'H1'"),
            {"day": date(2024, 5, 2)},
        )
    upgrade(engine)
    assert is_current(engine)
