"""A replay of the records (``replay``): from the records to a :class:`replay.History`, the
replay itself, and its equity rows.

The only place where the records become the replay's input: homes with their licence and
closing dates, the children who entered care in the window (or were waiting when it opened)
as the engine's children, the children living in family homes at its start, and what the
records say happened (each child's first family placement, and the placement changes). Race
and ethnicity are read only for the equity rows (:mod:`api.services.equity`), after every
policy has run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from api.services.equity import equity_audit, read_equity_records
from api.services.errors import Invalid
from api.services.matching import as_engine_child, engine_home
from core.ages import age_on
from data.formats import CONGREGATE_SETTINGS, FAMILY_SETTINGS
from data.models import Placement
from data.queries import community_index, record_span, window_records
from matching import Communities, Policy
from matching.inputs import MAX_AGE
from replay import POLICIES, Arrival, History, ReplayHome, ReplayResult, Resident, Stay, replay

__all__ = [
    "ReplayInputs",
    "equity_rows",
    "last_year",
    "load_history",
    "parse_policies",
    "replay_json",
    "run_replay",
]


@dataclass(frozen=True)
class ReplayInputs:
    """A window of the records as the replay takes it, with the recorded history."""

    history: History
    recorded: dict[str, tuple[str, date]]  # child id -> (home id, first family placement day)
    moves: int  # placement changes of the children entering in the window, in the window


def parse_policies(raw: str) -> list[str]:
    """The policies of a comma-separated list; :class:`Invalid` naming an unknown one."""
    names = [p.strip() for p in raw.split(",") if p.strip()]
    if not names:
        raise Invalid("policies: name at least one of " + ", ".join(POLICIES))
    for name in names:
        if name not in POLICIES:
            raise Invalid(f"policies: unknown policy {name!r}; choose from {', '.join(POLICIES)}")
    return list(dict.fromkeys(names))


def _check_window(session: Session, start: date, end: date) -> None:
    if start > end:
        raise Invalid(f"from: {start} is after to ({end}); the window must run forwards")
    span = record_span(session)
    if span is None:
        raise Invalid("from: the records hold no stay in care to replay")
    first, last = span
    if start < first or end > last:
        raise Invalid(
            f"from/to: the window {start}..{end} is outside the records, which run from "
            f"{first} to {last}"
        )


def load_history(session: Session, start: date, end: date) -> ReplayInputs:
    """Read the records of the window ``start..end`` (both included) for a replay.

    Raises
    ------
    Invalid
        ``start`` after ``end``, or a window outside the records.
    """
    _check_window(session, start, end)
    records = window_records(session, start, end)
    index = community_index(session)
    communities = Communities.from_index(index) if index is not None else Communities({})
    homes = [
        ReplayHome(engine_home(h, free_beds=h.capacity, as_of=start), h.licensed_on, h.closed_on)
        for h in records.homes
    ]
    known_homes = {h.home.id for h in homes}
    placements: dict[str, list[Placement]] = {}
    recent: dict[str, list[date]] = {}
    for p in records.placements:
        placements.setdefault(p.child_id, []).append(p)
        if p.home_id in known_homes and p.started_on <= start:
            recent.setdefault(p.home_id, []).append(p.started_on)
    arrivals: list[Arrival] = []
    residents: list[Resident] = []
    recorded: dict[str, tuple[str, date]] = {}
    moves = 0
    seen: set[str] = set()
    for episode in records.episodes:
        record = records.children.get(episode.child_id)
        if record is None or record.id in seen:
            continue  # (two stays of one child in a window: the first one is replayed)
        seen.add(record.id)
        mine = [
            p
            for p in placements.get(record.id, [])
            if p.started_on >= episode.removed_on
            and (episode.discharged_on is None or p.started_on < episode.discharged_on)
        ]
        leaves = (
            episode.discharged_on
            if episode.discharged_on and episode.discharged_on <= end
            else None
        )
        if episode.removed_on >= start:
            ready, since, entered = episode.removed_on, episode.removed_on, True
            moves += max(0, sum(1 for p in mine if p.started_on <= end) - 1)
        else:
            current = _open_on(mine, start)
            if current is not None and current.setting in FAMILY_SETTINGS:
                if current.home_id in known_homes:
                    residents.append(_resident(record.id, current, record, leaves))
                continue
            if current is not None and current.setting not in CONGREGATE_SETTINGS:
                continue  # a trial home visit, independent living, on the run: not waiting
            ready, entered = start, False
            since = current.started_on if current is not None else episode.removed_on
        if age_on(record.birth_date, ready) > MAX_AGE:
            continue
        child = as_engine_child(record, episode, ready, since, frozenset(), frozenset())
        arrivals.append(Arrival(child, record.birth_date, ready, leaves, since, entered))
        first = next(
            (
                p
                for p in mine
                if p.setting in FAMILY_SETTINGS
                and p.home_id in known_homes
                and ready <= p.started_on <= end
            ),
            None,
        )
        if first is not None and first.home_id is not None:
            recorded[record.id] = (first.home_id, first.started_on)
    history = History(start, end, homes, arrivals, residents, communities, recent)
    return ReplayInputs(history, recorded, moves)


def _open_on(placements: Sequence[Placement], day: date) -> Placement | None:
    """The placement open on ``day`` (the latest started), or None."""
    found = None
    for p in placements:
        if p.started_on <= day and (p.ended_on is None or p.ended_on > day):
            found = p
    return found


def _resident(child_id: str, p: Placement, record: Any, leaves: date | None) -> Resident:
    assert p.home_id is not None  # (a family setting names its home)
    return Resident(
        child_id,
        p.home_id,
        sex=record.sex,
        sibling_group=record.sibling_group_id,
        separate_from=frozenset(record.separate_from),
        leaves_on=leaves,
    )


def _rows(stays: Sequence[Stay]) -> list[dict[str, Any]]:
    return [
        {
            "child_id": s.child_id,
            "home_id": s.home_id,
            "distance_km": s.distance_km,
            "own_community": s.own_community,
            "kin": s.kin,
        }
        for s in stays
    ]


def equity_rows(
    session: Session, result: ReplayResult, *, threshold: int
) -> dict[str, list[dict[str, Any]]]:
    """Per policy: the equity audit's rows (by race/ethnicity, sex, age band at the end of
    the window, small groups suppressed) for the children entering in the window, each row
    with the recorded history's figures as its ``baseline``."""
    entries = [a.id for a in result.history.arrivals if a.entered]
    runs = list(result.runs.values())
    homes = {s.home_id for run in runs for s in run.stays}
    recorded = list(result.recorded.stays) if result.recorded else None
    homes |= {s.home_id for s in recorded or []}
    records = read_equity_records(session, entries, homes, result.history.end)
    out: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        placed = [s for s in run.stays if s.child_id in set(entries)]
        placed_ids = {s.child_id for s in placed}
        shape = {
            "method": run.name,
            "assignments": _rows(placed),
            "unplaced": [{"child_id": c} for c in entries if c not in placed_ids],
        }
        baseline = _rows([s for s in recorded if s.child_id in set(entries)]) if recorded else None
        audit = equity_audit(shape, records, threshold=threshold, baseline_assignments=baseline)
        out[run.name] = audit["rows"]
    return out


def run_replay(
    session: Session,
    start: date,
    end: date,
    policy: Policy,
    policies: Sequence[str] = POLICIES,
    *,
    night_limit_s: float = 1.0,
    hindsight_limit_s: float = 60.0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> ReplayResult:
    """Read the window and replay it (see :func:`replay.replay`)."""
    inputs = load_history(session, start, end)
    return replay(
        inputs.history,
        policy,
        policies,
        recorded=inputs.recorded,
        moves_recorded=inputs.moves,
        night_limit_s=night_limit_s,
        hindsight_limit_s=hindsight_limit_s,
        seed=seed,
        progress=progress,
    )


def replay_json(session: Session, result: ReplayResult, *, threshold: int) -> dict[str, Any]:
    """The replay JSON with the equity rows of each policy (``equity``)."""
    return {**result.to_json(), "equity": equity_rows(session, result, threshold=threshold)}


def last_year(session: Session) -> tuple[date, date] | None:
    """The records' last year: the 365 days ending on their last date."""
    span = record_span(session)
    if span is None:
        return None
    return span[1] - timedelta(days=364), span[1]
