"""From the records to the matching engine: the one place where rows become engine inputs.

The engine (``matching``) never sees the database; this module reads the records with a
session and builds its typed inputs: every home that is not closed as a
:class:`matching.Home` in a columnar :class:`matching.HomeSnapshot`, the communities with
their adjacency, and a child (with the rest of their sibling group) as :class:`matching.Child`,
with the brothers and sisters who already live in a family home as
:class:`matching.PlacedSibling`. Race and ethnicity are never read here (MEPA): the engine has
no field for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from api.services.offers import CallHistory, call_histories, declines_in_episode
from core.ages import age_on
from data.formats import CONGREGATE_SETTINGS, FAMILY_SETTINGS
from data.models import Child as ChildRecord
from data.models import Episode, Placement
from data.models import Home as HomeRecord
from data.queries import community_index, free_beds, open_episodes, waiting_children
from geo import LatLon
from matching import Child, Communities, Decline, Home, HomeSnapshot, PlacedSibling

__all__ = [
    "ChildNotFound",
    "ChildNotInCare",
    "MatchingInputs",
    "age_on",
    "as_engine_child",
    "engine_home",
    "load_group",
    "load_matching_inputs",
    "load_waiting_children",
    "placed_siblings",
]


class ChildNotFound(LookupError):
    """No child with this id in the records."""

    def __init__(self, child_id: str) -> None:
        self.child_id = child_id
        super().__init__(f"unknown child {child_id!r}: no child with this id in the records")


class ChildNotInCare(LookupError):
    """The child has no open episode, so there is nobody to place."""

    def __init__(self, child_id: str) -> None:
        self.child_id = child_id
        super().__init__(
            f"child {child_id!r} is not in care (no open episode): "
            "only children in care are matched"
        )


MAX_AGE = 21  # the engine matches children and young adults in extended care up to 21


@dataclass(frozen=True, slots=True)
class MatchingInputs:
    """What the engine needs besides the children: the homes and the communities."""

    snapshot: HomeSnapshot
    communities: Communities
    as_of: date


def load_matching_inputs(session: Session, *, as_of: date | None = None) -> MatchingInputs:
    """Every home that is not closed, as a snapshot on ``as_of`` (default today)."""
    as_of = as_of or date.today()
    index = community_index(session)
    communities = Communities.from_index(index) if index is not None else Communities({})
    beds = free_beds(session)  # homes that are not closed
    year_ago = as_of - timedelta(days=365)
    recent = dict(
        session.execute(
            select(col(Placement.home_id), func.count())
            .where(col(Placement.home_id).is_not(None), col(Placement.started_on) > year_ago)
            .group_by(col(Placement.home_id))
        ).all()
    )
    last = dict(
        session.execute(
            select(col(Placement.home_id), func.max(col(Placement.started_on)))
            .where(col(Placement.home_id).is_not(None))
            .group_by(col(Placement.home_id))
        ).all()
    )
    records = session.execute(
        select(HomeRecord).where(col(HomeRecord.id).in_(list(beds))).order_by(col(HomeRecord.id))
    ).scalars()
    called = call_histories(session, as_of)
    never = CallHistory()
    homes = [
        engine_home(
            h,
            free_beds=beds[h.id],
            as_of=as_of,
            placements_last_year=int(recent.get(h.id, 0)),
            last_placed_on=last.get(h.id),
            no_capacity_on=called.get(h.id, never).no_capacity_on,
            calls=called.get(h.id, never).calls,
            calls_accepted=called.get(h.id, never).accepted,
        )
        for h in records
    ]
    return MatchingInputs(HomeSnapshot(homes, as_of=as_of), communities, as_of)


def engine_home(
    h: HomeRecord,
    *,
    free_beds: int,
    as_of: date,
    placements_last_year: int = 0,
    last_placed_on: date | None = None,
    no_capacity_on: date | None = None,
    calls: int = 0,
    calls_accepted: int = 0,
) -> Home:
    """A home record as the engine's :class:`matching.Home` on ``as_of`` (with its call
    history: the last "no capacity now", answered calls and acceptances)."""
    # (the record's codes were checked on import: the engine checks them again)
    return Home(
        id=h.id,
        kind=h.kind,  # type: ignore[arg-type]
        status=h.status,  # type: ignore[arg-type]
        location=LatLon(h.latitude, h.longitude),
        community=h.community_id,
        capacity=h.capacity,
        free_beds=free_beds,
        age_min=h.age_min,
        age_max=h.age_max,
        accepts_sex=h.accepts_sex,  # type: ignore[arg-type]
        max_siblings=h.max_siblings,
        capabilities=frozenset(h.capabilities),
        languages=tuple(h.languages),
        religion=h.religion,
        cultural_offers=frozenset(h.cultural_offers),
        tribe=h.tribe,
        tribe_licensed=bool(h.tribe_licensed),
        kin_of=frozenset(h.kin_of),
        kin_relationship=h.kin_relationship or None,
        # a home without a licence date is provisionally approved (typically kin)
        licensed=h.licensed_on is not None and h.licensed_on <= as_of,
        placements_last_year=placements_last_year,
        last_placed_on=last_placed_on,
        no_capacity_on=no_capacity_on,
        calls=calls,
        calls_accepted=calls_accepted,
    )


def _waiting_since(session: Session, child_id: str, episode: Episode) -> date | None:
    """When the child started waiting for a family home; None when they live in one."""
    current: Placement | None = (
        session.execute(
            select(Placement).where(
                col(Placement.child_id) == child_id, col(Placement.ended_on).is_(None)
            )
        )
        .scalars()
        .first()
    )
    if current is None:
        last_end = session.execute(
            select(func.max(col(Placement.ended_on))).where(
                col(Placement.child_id) == child_id,
                col(Placement.started_on) >= episode.removed_on,
            )
        ).scalar_one()
        return last_end or episode.removed_on
    if current.setting in CONGREGATE_SETTINGS:
        return current.started_on
    return None


def _homes_of(session: Session, child_ids: frozenset[str]) -> frozenset[str]:
    """The homes where these children live now (open placements in a family home)."""
    if not child_ids:
        return frozenset()
    rows = session.execute(
        select(col(Placement.home_id)).where(
            col(Placement.child_id).in_(sorted(child_ids)),
            col(Placement.ended_on).is_(None),
            col(Placement.home_id).is_not(None),
        )
    ).scalars()
    return frozenset(h for h in rows if h is not None)


def placed_siblings(
    session: Session, records: Sequence[ChildRecord]
) -> dict[str, frozenset[PlacedSibling]]:
    """Per child: the brothers and sisters who live in a family home now, with that home.

    A sibling is another child of the same sibling group with an open placement in a family
    setting (kin, foster or pre-adoptive home). A sibling either of them must be kept apart
    from is left out: their home is excluded, not a place to join them. One query for all.
    """
    groups = sorted({r.sibling_group_id for r in records if r.sibling_group_id is not None})
    if not groups:
        return {}
    rows = session.execute(
        select(ChildRecord, col(Placement.home_id))
        .join(Placement, col(Placement.child_id) == col(ChildRecord.id))
        .where(
            col(ChildRecord.sibling_group_id).in_(groups),
            col(Placement.ended_on).is_(None),
            col(Placement.setting).in_(FAMILY_SETTINGS),
            col(Placement.home_id).is_not(None),
        )
    ).all()
    out: dict[str, frozenset[PlacedSibling]] = {}
    for record in records:
        out[record.id] = frozenset(
            PlacedSibling(sibling.id, sibling.sex, home_id)
            for sibling, home_id in rows
            if sibling.sibling_group_id == record.sibling_group_id
            and sibling.id != record.id
            and sibling.id not in record.separate_from
            and record.id not in sibling.separate_from
        )
    return out


def _engine_child(session: Session, record: ChildRecord, episode: Episode, as_of: date) -> Child:
    # the engine sees only the children it places: a child this one must be kept apart from
    # who already lives in a home makes that home excluded (a recorded safety reason)
    separated_homes = _homes_of(session, frozenset(record.separate_from))
    waiting_since = _waiting_since(session, record.id, episode)
    siblings = placed_siblings(session, [record]).get(record.id, frozenset())
    declined = declines_in_episode(session, {record.id: episode}, as_of).get(record.id, frozenset())
    return as_engine_child(
        record, episode, as_of, waiting_since, separated_homes, siblings, declined
    )


def as_engine_child(
    record: ChildRecord,
    episode: Episode,
    as_of: date,
    waiting_since: date | None,
    separated_homes: frozenset[str],
    siblings: frozenset[PlacedSibling],
    declined: frozenset[Decline] = frozenset(),
) -> Child:
    """A child record in one stay in care as the engine's :class:`matching.Child` on ``as_of``
    (never with race or ethnicity: the engine has no field for them)."""
    school = None
    if record.school_latitude is not None and record.school_longitude is not None:
        school = LatLon(record.school_latitude, record.school_longitude)
    return Child(
        id=record.id,
        age=age_on(record.birth_date, as_of),
        sex=record.sex,  # type: ignore[arg-type]
        removal=LatLon(episode.removal_latitude, episode.removal_longitude),
        removal_community=episode.removal_community_id,
        languages=tuple(record.languages),
        religion=record.religion,
        cultural_needs=frozenset(record.cultural_needs),
        tribe=record.tribe,
        icwa=record.icwa,  # type: ignore[arg-type]
        needs=frozenset(record.needs),
        sibling_group=record.sibling_group_id,
        separate_from=frozenset(record.separate_from),
        excluded_homes=frozenset(record.excluded_homes) | separated_homes,
        school=school,
        waiting_since=waiting_since,
        birth_date=record.birth_date,
        placed_siblings=siblings,
        declined=declined,
    )


def load_group(session: Session, child_id: str, *, as_of: date | None = None) -> Sequence[Child]:
    """The child and the siblings in care who are matched with them.

    A child in a sibling group is matched with the group: the named child first, then every
    sibling in care who is also waiting for a family home (siblings settled in a family
    home stay where they are), in id order.

    Raises
    ------
    ChildNotFound
        No child has this id.
    ChildNotInCare
        The child has no open episode.
    """
    as_of = as_of or date.today()
    record = session.get(ChildRecord, child_id)
    if record is None:
        raise ChildNotFound(child_id)
    episode = open_episodes(session, [child_id]).get(child_id)
    if episode is None:
        raise ChildNotInCare(child_id)
    group = [_engine_child(session, record, episode, as_of)]
    if record.sibling_group_id is None:
        return group
    siblings = session.execute(
        select(ChildRecord)
        .where(
            col(ChildRecord.sibling_group_id) == record.sibling_group_id,
            col(ChildRecord.id) != child_id,
        )
        .order_by(col(ChildRecord.id))
    ).scalars()
    for sibling in siblings:
        sibling_episode = open_episodes(session, [sibling.id]).get(sibling.id)
        if sibling_episode is None:
            continue
        child = _engine_child(session, sibling, sibling_episode, as_of)
        if child.waiting_since is not None:
            group.append(child)
    return group


def load_waiting_children(session: Session, *, as_of: date | None = None) -> list[Child]:
    """Every child waiting for a family home (docs/data-format.md), as engine
    children, by id.

    One query per table, not per child: the plan takes every waiting child at once (several
    thousand at state scale). Children older than the engine's age limit are left out.
    """
    as_of = as_of or date.today()
    ids = waiting_children(session)
    if not ids:
        return []
    records = {
        r.id: r
        for r in session.execute(select(ChildRecord).where(col(ChildRecord.id).in_(ids))).scalars()
    }
    episodes = open_episodes(session, ids)
    congregate_since = {
        child_id: started
        for child_id, started in session.execute(
            select(col(Placement.child_id), col(Placement.started_on)).where(
                col(Placement.child_id).in_(ids),
                col(Placement.ended_on).is_(None),
                col(Placement.setting).in_(CONGREGATE_SETTINGS),
            )
        ).all()
    }
    last_end = dict(
        session.execute(
            select(col(Placement.child_id), func.max(col(Placement.ended_on)))
            .where(col(Placement.child_id).in_(ids))
            .group_by(col(Placement.child_id))
        ).all()
    )
    separated = sorted({other for r in records.values() for other in r.separate_from})
    home_of = (
        dict(
            session.execute(
                select(col(Placement.child_id), col(Placement.home_id)).where(
                    col(Placement.child_id).in_(separated),
                    col(Placement.ended_on).is_(None),
                    col(Placement.home_id).is_not(None),
                )
            ).all()
        )
        if separated
        else {}
    )
    siblings = placed_siblings(session, list(records.values()))
    declines = declines_in_episode(session, {c: episodes[c] for c in ids}, as_of)
    children = []
    for child_id in ids:
        record, episode = records[child_id], episodes[child_id]
        if age_on(record.birth_date, as_of) > MAX_AGE:
            continue
        waiting_since = congregate_since.get(child_id)
        if waiting_since is None:
            end = last_end.get(child_id)
            waiting_since = (
                end if end is not None and end >= episode.removed_on else episode.removed_on
            )
        separated_homes = frozenset(
            home_of[other] for other in record.separate_from if other in home_of
        )
        children.append(
            as_engine_child(
                record,
                episode,
                as_of,
                waiting_since,
                separated_homes,
                siblings.get(child_id, frozenset()),
                declines.get(child_id, frozenset()),
            )
        )
    return children
