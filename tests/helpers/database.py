"""Databases for tests: a fresh SQLite file, every row of every table, the export round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

from data.db import make_engine, upgrade
from data.exporting import export_folder
from data.importing import import_folder

SURROGATE_KEYS = {"episodes", "placements"}
# the change log is the database's own history (its times differ between two databases that
# hold the same records); the counters still say how many changes each has seen
HISTORY = {"changes"}


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the change log, without surrogate ids, in a stable order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in HISTORY:
                continue
            columns = [
                c for c in table.columns if not (table.name in SURROGATE_KEYS and c.name == "id")
            ]
            rows = connection.execute(select(*columns)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def table_rows(engine: Engine, model: type) -> int:
    """How many rows the table of ``model`` holds."""
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def fresh_sqlite(path: Path) -> Engine:
    """A migrated engine on a new SQLite file at ``path``."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def assert_round_trips(engine: Engine, tmp_path: Path) -> Path:
    """Export ``engine``, import into an empty database: same rows, and the same files again.

    Returns the folder of the first export.
    """
    first = tmp_path / "export1"
    export_folder(engine, first)
    other = fresh_sqlite(tmp_path / "other.db")
    import_folder(other, first)
    assert dump(other) == dump(engine)
    second = tmp_path / "export2"
    export_folder(other, second)
    other.dispose()
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name
    return first
