"""Derived values over the records: free beds per home, open episodes, waiting children, the
agency summary, the stored communities as an index.

Definitions are the folder format's (docs/data-format.md). A placement is open while
``ended_on`` is empty; an episode while ``discharged_on`` is empty. A child **waits** with an
open episode and either no open placement or an open placement in a congregate setting (shelter,
group home, institution). A home's free beds are its capacity minus the children in open
placements there (never below zero: an over-full home has none).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from shapely.geometry import shape
from sqlalchemy import String, and_, cast, exists, func, or_, select, true
from sqlmodel import Session, col

from data.formats import CONGREGATE_SETTINGS
from data.models import Child, Community, Episode, Home, Placement
from geo import Community as GeoCommunity
from geo import CommunityIndex

__all__ = [
    "AgencySummary",
    "WindowRecords",
    "agency_summary",
    "among",
    "community_index",
    "free_beds",
    "in_care",
    "mentions",
    "open_episodes",
    "record_span",
    "waiting_children",
    "window_records",
]

OPEN_HOME_STATUSES = ("active", "on_hold")


def mentions(column: Any, value: str) -> Any:
    """A condition: the JSON text of ``column`` holds ``value`` as a quoted string.

    Works on both databases (the JSON is compared as text); a prefilter when the value may
    also stand in another key of the JSON.
    """
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(column, String).like(f'%"{escaped}"%', escape="\\")


def free_beds(session: Session, home_ids: list[str] | None = None) -> dict[str, int]:
    """Free beds of every home that is not closed (or of the given homes), by home id."""
    occupied = (
        select(col(Placement.home_id), func.count().label("n"))
        .where(col(Placement.ended_on).is_(None), col(Placement.home_id).is_not(None))
        .group_by(col(Placement.home_id))
        .subquery()
    )
    query = select(col(Home.id), col(Home.capacity), func.coalesce(occupied.c.n, 0)).outerjoin(
        occupied, occupied.c.home_id == col(Home.id)
    )
    if home_ids is None:
        query = query.where(col(Home.status).in_(OPEN_HOME_STATUSES))
    else:
        query = query.where(col(Home.id).in_(home_ids))
    return {hid: max(0, capacity - n) for hid, capacity, n in session.execute(query)}


# more ids than this are not sent as parameters (SQLite allows 32,766 in one statement): the
# query reads every row, and Python keeps the wanted ones
_MAX_IN = 5_000


def among(column: Any, ids: Collection[str]) -> Any:
    """``column IN ids``; for many ids a condition every row meets (the caller filters)."""
    return column.in_(sorted(ids)) if len(ids) <= _MAX_IN else true()


def in_care(child_id: Any = None) -> Any:
    """The condition "the child has an open episode", for a column of child ids
    (default: ``Child.id``) in the enclosing query."""
    column = col(Child.id) if child_id is None else child_id
    return exists().where(col(Episode.child_id) == column, col(Episode.discharged_on).is_(None))


def open_episodes(session: Session, child_ids: Collection[str]) -> dict[str, Episode]:
    """The open episode of each of these children who has one, by child id.

    Import keeps a child's episodes from overlapping; should two be open, the later removal
    wins.
    """
    found: dict[str, Episode] = {}
    if not child_ids:
        return found
    query = (
        select(Episode)
        .where(col(Episode.child_id).in_(child_ids), col(Episode.discharged_on).is_(None))
        .order_by(col(Episode.removed_on))
    )
    for episode in session.execute(query).scalars():
        found[episode.child_id] = episode
    return found


def waiting_children(session: Session) -> list[str]:
    """Ids of the children waiting for a family home, sorted."""
    in_placement = exists().where(
        and_(
            col(Placement.child_id) == col(Child.id),
            col(Placement.ended_on).is_(None),
            col(Placement.setting).not_in(CONGREGATE_SETTINGS),
        )
    )
    query = select(col(Child.id)).where(in_care(), ~in_placement).order_by(col(Child.id))
    return list(session.execute(query).scalars())


@dataclass(frozen=True, slots=True)
class AgencySummary:
    """The headline figures of an agency's records."""

    communities: int
    homes: int
    free_beds: int
    children_in_care: int
    waiting: int

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        return "\n".join(
            [
                f"communities        {self.communities:>8,}",
                f"homes (open)       {self.homes:>8,}",
                f"free beds          {self.free_beds:>8,}",
                f"children in care   {self.children_in_care:>8,}",
                f"waiting children   {self.waiting:>8,}",
            ]
        )


def agency_summary(session: Session) -> AgencySummary:
    """Communities, open homes, free beds in active homes, children in care, waiting children."""
    beds = free_beds(session)
    active_homes = select(col(Home.id)).where(col(Home.status) == "active")
    active = set(session.execute(active_homes).scalars())
    return AgencySummary(
        communities=session.execute(select(func.count()).select_from(Community)).scalar_one(),
        homes=len(beds),
        free_beds=sum(n for home_id, n in beds.items() if home_id in active),
        children_in_care=session.execute(
            select(func.count()).select_from(Child).where(in_care())
        ).scalar_one(),
        waiting=len(waiting_children(session)),
    )


def community_index(session: Session) -> CommunityIndex | None:
    """The communities in the database as an index, or None when there are none."""
    stored = session.exec(select(Community)).scalars().all()  # type: ignore[call-overload]
    if not stored:
        return None
    return CommunityIndex(
        [
            GeoCommunity(
                id=c.id,
                name=c.name,
                geometry=shape(json.loads(c.geometry)),
                child_population=c.child_population,
            )
            for c in stored
        ]
    )


@dataclass(frozen=True)
class WindowRecords:
    """The records a replay of ``start..end`` reads (see :func:`window_records`)."""

    start: date
    end: date
    homes: list[Home]
    episodes: list[Episode]
    children: dict[str, Child]
    placements: list[Placement]


def record_span(session: Session) -> tuple[date, date] | None:
    """The first removal date and the last date in the records (removal, discharge,
    placement start or end); None when there are no episodes."""
    first, last_removed, last_discharged = session.execute(
        select(
            func.min(col(Episode.removed_on)),
            func.max(col(Episode.removed_on)),
            func.max(col(Episode.discharged_on)),
        )
    ).one()
    if first is None:
        return None
    last_started, last_ended = session.execute(
        select(func.max(col(Placement.started_on)), func.max(col(Placement.ended_on)))
    ).one()
    last = max(d for d in (last_removed, last_discharged, last_started, last_ended) if d)
    return first, last


def window_records(session: Session, start: date, end: date) -> WindowRecords:
    """Every record that matters to a replay of ``start..end``: the homes not closed before
    ``start`` and licensed (if at all) by ``end``; the stays in care open at some time in the
    window, their children, and those children's placements; and every placement that
    started in a home before ``start`` (a home's recent placements). Bulk selects, no query
    per child."""
    homes = list(
        session.execute(
            select(Home)
            .where(
                or_(col(Home.closed_on).is_(None), col(Home.closed_on) > start),
                or_(col(Home.licensed_on).is_(None), col(Home.licensed_on) <= end),
                # a home closed without a closing date never takes a child
                or_(col(Home.status) != "closed", col(Home.closed_on).is_not(None)),
            )
            .order_by(col(Home.id))
        ).scalars()
    )
    episodes = list(
        session.execute(
            select(Episode)
            .where(
                col(Episode.removed_on) <= end,
                or_(col(Episode.discharged_on).is_(None), col(Episode.discharged_on) > start),
            )
            .order_by(col(Episode.child_id), col(Episode.removed_on))
        ).scalars()
    )
    ids = {e.child_id for e in episodes}
    children = {
        c.id: c
        for c in session.execute(select(Child).where(among(col(Child.id), ids))).scalars()
        if c.id in ids
    }
    placements = list(
        session.execute(
            select(Placement)
            .where(
                or_(among(col(Placement.child_id), ids), col(Placement.started_on) <= start),
                col(Placement.started_on) <= end,
            )
            .order_by(col(Placement.child_id), col(Placement.started_on))
        ).scalars()
    )
    return WindowRecords(start, end, homes, episodes, children, placements)
