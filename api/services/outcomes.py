"""From the records to the outcomes engine: the one place where rows become its frames.

Five bulk ``SELECT``s (children, episodes, placements joined to their homes, communities) —
no query per child. The race list of a child becomes the engine's race flags here; race is
read for disparity monitoring only, never for matching.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from data.db import make_engine
from data.models import Child, Community, Episode, Home, Placement
from outcomes import OutcomeReport, OutcomeSettings, OutcomeTables, evaluate
from outcomes.tables import COMMUNITY_COLUMNS, EPISODE_COLUMNS, PLACEMENT_COLUMNS, RACE_FLAGS

__all__ = [
    "OutcomeReportCache",
    "load_outcome_tables",
    "outcome_report",
    "read_children",
    "read_outcome_tables",
]


def _frame(session: Session, statement: Any, columns: Sequence[str]) -> pd.DataFrame:
    rows = session.execute(statement).all()
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(columns))


def _dates(frame: pd.DataFrame, *columns: str) -> None:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column])


def _with_race_flags(children: pd.DataFrame) -> pd.DataFrame:
    """``children`` with its ``race`` column (a list of codes per child) as the engine's flags."""
    races = [set(r or ()) for r in children["race"]]
    out = children.drop(columns="race")
    for flag in RACE_FLAGS:
        code = flag.removeprefix("race_")
        out[flag] = pd.array([code in r for r in races], dtype=bool)
    out["race_unknown"] = pd.array(["unknown" in r for r in races], dtype=bool)
    return out


def read_children(session: Session, child_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The outcome engine's ``children`` frame (race as flags), of every child or of these.

    Birth dates stay ``datetime.date`` values; the frame is in child id order.
    """
    statement = select(
        col(Child.id),
        col(Child.birth_date),
        col(Child.sex),
        col(Child.hispanic),
        col(Child.race),
        col(Child.sibling_group_id),
    ).order_by(col(Child.id))
    if child_ids is not None:
        statement = statement.where(col(Child.id).in_(list(child_ids)))
    children = _frame(
        session,
        statement,
        ("child_id", "birth_date", "sex", "hispanic", "race", "sibling_group_id"),
    )
    return _with_race_flags(children)


def read_outcome_tables(session: Session) -> OutcomeTables:
    """Read the records of ``session``'s database into :class:`outcomes.OutcomeTables`."""
    children = read_children(session)
    _dates(children, "birth_date")

    episodes = _frame(
        session,
        select(
            col(Episode.child_id),
            col(Episode.removed_on),
            col(Episode.discharged_on),
            col(Episode.discharge_reason),
            col(Episode.removal_community_id),
            col(Episode.removal_latitude),
            col(Episode.removal_longitude),
        ).order_by(col(Episode.child_id), col(Episode.removed_on)),
        EPISODE_COLUMNS,
    )
    _dates(episodes, "removed_on", "discharged_on")

    placements = _frame(
        session,
        select(
            col(Placement.child_id),
            col(Placement.setting),
            col(Placement.started_on),
            col(Placement.ended_on),
            col(Placement.home_id),
            col(Placement.end_reason),
            col(Home.latitude),
            col(Home.longitude),
            col(Home.community_id),
        )
        .outerjoin(Home, col(Home.id) == col(Placement.home_id))
        .order_by(col(Placement.child_id), col(Placement.started_on), col(Placement.id)),
        PLACEMENT_COLUMNS,
    )
    _dates(placements, "started_on", "ended_on")
    for column in ("latitude", "longitude"):
        placements[column] = pd.to_numeric(placements[column]).astype("float64")
    for column in ("removal_latitude", "removal_longitude"):
        episodes[column] = pd.to_numeric(episodes[column]).astype("float64")

    communities = _frame(
        session,
        select(
            col(Community.id),
            col(Community.name),
            col(Community.child_population),
        ).order_by(col(Community.id)),
        COMMUNITY_COLUMNS,
    )
    communities["child_population"] = pd.to_numeric(communities["child_population"]).astype(
        "float64"
    )
    return OutcomeTables(
        children=children, episodes=episodes, placements=placements, communities=communities
    )


def load_outcome_tables(url: str | None = None, *, engine: Engine | None = None) -> OutcomeTables:
    """The outcome frames of a database: ``engine``, else ``url``, else
    ``$FOSTERMATCH_DATABASE_URL`` (else the default SQLite file)."""
    own = engine is None
    engine = engine if engine is not None else make_engine(url)
    try:
        with Session(engine) as session:
            return read_outcome_tables(session)
    finally:
        if own:
            engine.dispose()


def outcome_report(
    url: str | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    by: Sequence[str] = (),
    settings: OutcomeSettings | None = None,
    engine: Engine | None = None,
) -> OutcomeReport:
    """Load the records and evaluate the outcome measures (see :func:`outcomes.evaluate`)."""
    tables = load_outcome_tables(url, engine=engine)
    return evaluate(tables, start=start, end=end, by=by, settings=settings)


class OutcomeReportCache:
    """Reports by race, sex and age band over ``engine``'s records, kept until they change.

    Reading the records and evaluating every measure with its yearly trend takes seconds on a
    county; the pages ask for the same period again and again (another chart, the other
    language). A report is keyed by the ``records`` change counter
    (:func:`api.services.snapshots.records_version`, bumped by every write of records) and its
    period, so a page never shows figures older than the last committed write.
    """

    BREAKDOWNS = ("race", "sex", "age")
    SIZE = 4  # periods kept per worker

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.builds = 0  # how many reports this worker has computed (for tests)
        self._kept: OrderedDict[tuple[object, ...], OutcomeReport] = OrderedDict()
        self._lock = threading.Lock()  # guards _kept
        self._build = threading.Lock()  # one evaluation at a time: a burst computes once

    def report(self, start: date | None, end: date | None) -> OutcomeReport:
        """The report for a period (None, None: the default period of the records).

        Raises
        ------
        ValueError
            As :func:`outcomes.evaluate` (a period that ends before it starts).
        outcomes.OutcomeInputError
            When the records cannot be read as the engine's tables.
        """
        from api.services.snapshots import records_version

        with Session(self.engine) as session:
            key = (records_version(session), start, end)
            found = self._found(key)
            if found is not None:
                return found
            with self._build:
                found = self._found(key)  # another request may just have computed it
                if found is not None:
                    return found
                tables = read_outcome_tables(session)
                report = evaluate(tables, start=start, end=end, by=self.BREAKDOWNS)
                self.builds += 1
        with self._lock:
            self._kept[key] = report
            while len(self._kept) > self.SIZE:
                self._kept.popitem(last=False)
        return report

    def _found(self, key: tuple[object, ...]) -> OutcomeReport | None:
        with self._lock:
            report = self._kept.get(key)
            if report is not None:
                self._kept.move_to_end(key)
            return report
