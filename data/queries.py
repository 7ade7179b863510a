"""Derived values over the records: free beds per home, waiting children, the agency summary.

Definitions are DESIGN.md §4's. A placement is open while ``ended_on`` is empty; an episode
while ``discharged_on`` is empty. A child **waits** with an open episode and either no open
placement or an open placement in a congregate setting (shelter, group home, institution).
A home's free beds are its capacity minus the children in open placements there (never below
zero: an over-full home has none).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlmodel import Session

from data.formats import CONGREGATE_SETTINGS
from data.models import Child, Community, Episode, Home, Placement

__all__ = ["AgencySummary", "agency_summary", "free_beds", "waiting_children"]

OPEN_HOME_STATUSES = ("active", "on_hold")


def free_beds(session: Session, home_ids: list[str] | None = None) -> dict[str, int]:
    """Free beds of every home that is not closed (or of the given homes), by home id."""
    occupied = (
        select(Placement.home_id, func.count().label("n"))
        .where(Placement.ended_on.is_(None), Placement.home_id.is_not(None))  # type: ignore[union-attr]
        .group_by(Placement.home_id)
        .subquery()
    )
    query = select(Home.id, Home.capacity, func.coalesce(occupied.c.n, 0)).outerjoin(
        occupied, occupied.c.home_id == Home.id
    )
    if home_ids is None:
        query = query.where(Home.status.in_(OPEN_HOME_STATUSES))  # type: ignore[attr-defined]
    else:
        query = query.where(Home.id.in_(home_ids))  # type: ignore[attr-defined]
    return {hid: max(0, capacity - n) for hid, capacity, n in session.execute(query)}


def _open_episode() -> Any:
    return exists().where(Episode.child_id == Child.id, Episode.discharged_on.is_(None))  # type: ignore[union-attr]


def waiting_children(session: Session) -> list[str]:
    """Ids of the children waiting for a family home, sorted."""
    in_placement = exists().where(
        and_(
            Placement.child_id == Child.id,
            Placement.ended_on.is_(None),  # type: ignore[union-attr]
            Placement.setting.not_in(CONGREGATE_SETTINGS),  # type: ignore[attr-defined]
        )
    )
    query = select(Child.id).where(_open_episode(), ~in_placement).order_by(Child.id)
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
    active = set(session.execute(select(Home.id).where(Home.status == "active")).scalars())
    return AgencySummary(
        communities=session.execute(select(func.count()).select_from(Community)).scalar_one(),
        homes=len(beds),
        free_beds=sum(n for home_id, n in beds.items() if home_id in active),
        children_in_care=session.execute(
            select(func.count()).select_from(Child).where(_open_episode())
        ).scalar_one(),
        waiting=len(waiting_children(session)),
    )
