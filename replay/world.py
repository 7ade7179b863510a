"""The state of a replay on one day: who lives where, the beds left, the homes open.

:class:`World` is the bookkeeping a policy acts on. Each day it gives the engine a snapshot of
the homes (:meth:`matching.HomeSnapshot.on_day`: the beds, the homes open, recent placements)
and each waiting child as the engine sees them that day (age, the homes of the children they
must be kept apart from, the siblings already living with a family). Every placement is
valued by the engine's own scoring (:func:`matching.candidates.scored_alone`), the same for
every policy and for the recorded history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from core.ages import age_on
from matching import Child, HomeSnapshot, PlacedSibling, Policy
from matching.candidates import Table, scored_alone
from matching.eligibility import eligibility
from matching.inputs import MAX_AGE
from matching.request import PlacementRequest
from replay.history import Arrival, History

__all__ = ["YEAR", "Stay", "World", "table_stays"]

YEAR = 365  # days a placement counts toward a home's "placements in the last year"
_NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True, slots=True)
class Stay:
    """A child placed with a family on a day, as the engine valued it that day.

    ``points`` is the engine's weighted factor sum for the child alone in that home, minus
    the plan's cost of a far placement; ``distance_km`` from the removal address.
    """

    child_id: str
    home_id: str
    on: date
    points: float
    distance_km: float
    kin: bool
    own_community: bool


class World:
    """One policy's replay state; see the module docstring."""

    def __init__(self, history: History, policy: Policy) -> None:
        self.history = history
        self.policy = policy
        self.communities = history.communities
        homes = [replace(h.home, free_beds=h.home.capacity, status="active") for h in history.homes]
        self.snapshot = HomeSnapshot(homes, as_of=history.start)
        n = len(homes)
        self.capacity = np.array([h.capacity for h in homes], dtype=np.int64)
        self.licensed_on = np.array(
            [_NEVER if h.licensed_on is None else h.licensed_on.toordinal() for h in history.homes],
            dtype=np.int64,
        )
        self.closed_on = np.array(
            [_NEVER if h.closed_on is None else h.closed_on.toordinal() for h in history.homes],
            dtype=np.int64,
        )
        # a provisionally approved home (no licence date), or a relative's home, takes the
        # children it is named for before any licence
        self.provisional = np.array(
            [h.licensed_on is None or bool(h.home.kin_of) for h in history.homes], dtype=np.bool_
        )
        self.opening_days = {
            h.licensed_on for h in history.homes if h.licensed_on and h.licensed_on > history.start
        }
        self.occupied = np.zeros(n, dtype=np.int64)
        self.living: dict[int, set[str]] = {}
        self.home_of: dict[str, int] = {}
        self.leaving: dict[date, list[str]] = {}
        self.recent = np.zeros(n, dtype=np.int64)
        self.expiring: dict[int, list[int]] = {}
        self.last = np.full(n, np.nan)
        self.arrivals = {a.id: a for a in history.arrivals}
        self.by_day: dict[date, list[Arrival]] = {}
        for a in history.arrivals:
            self.by_day.setdefault(a.ready_on, []).append(a)
        self.waiting: dict[str, Arrival] = {}
        self.asked: dict[str, int] = {}  # child id -> age when a policy was last asked
        self.freed: set[int] = set()  # positions of the homes that freed a bed or opened today
        self.stays: list[Stay] = []
        self.sex: dict[str, str] = {a.id: a.child.sex for a in history.arrivals}
        self.group: dict[str, str] = {}
        self.apart: dict[str, set[str]] = {}
        for a in history.arrivals:
            self._relations(a.id, a.child.sibling_group, a.child.separate_from)
        for r in history.residents:
            self.sex[r.child_id] = r.sex
            self._relations(r.child_id, r.sibling_group, r.separate_from)
        self.members: dict[str, list[str]] = {}
        for child_id, group in sorted(self.group.items()):
            self.members.setdefault(group, []).append(child_id)
        start = history.start.toordinal()
        for home_id, days in history.recent_starts.items():
            p = self.snapshot.position(home_id)
            for day in days:
                o = day.toordinal()
                if start - YEAR < o <= start:
                    self.recent[p] += 1
                    self.expiring.setdefault(o + YEAR, []).append(p)
                if o <= start and not (self.last[p] >= o):
                    self.last[p] = o
        for r in history.residents:
            self._move_in(r.child_id, self.snapshot.position(r.home_id), r.leaves_on)
        relaxed = replace(policy, jurisdiction="generic")  # (the ICWA order only removes homes)
        self._everywhere = self.snapshot.on_day(
            history.start,
            free_beds=self.capacity,
            active=np.ones(n, dtype=np.bool_),
            licensed=np.ones(n, dtype=np.bool_),
            placements_last_year=self.recent,
            days_since_placed=np.full(n, np.nan),
        )
        self._relaxed = relaxed
        self._possible: dict[tuple[str, int], np.ndarray] = {}

    def siblings(self, child_id: str) -> list[str]:
        """The child's sibling group in the replay (waiting or living in a home), the child
        included; empty for a child in no group."""
        group = self.group.get(child_id)
        return self.members.get(group, []) if group is not None else []

    def _relations(self, child_id: str, group: str | None, apart: Iterable[str]) -> None:
        if group is not None:
            self.group[child_id] = group
        for other in apart:
            self.apart.setdefault(child_id, set()).add(other)
            self.apart.setdefault(other, set()).add(child_id)

    # -- the day ---------------------------------------------------------------------------------

    def begin(self, day: date) -> bool:
        """Move the replay to ``day``: children leave care, arrive, counts expire. True when
        something a policy could act on changed (an arrival, a bed freed, a home opened)."""
        o = day.toordinal()
        self.freed = (
            set(np.flatnonzero(self.licensed_on == o).tolist())
            if day in self.opening_days
            else set()
        )
        for child_id in self.leaving.pop(day, []):
            p = self.home_of.pop(child_id)
            self.occupied[p] -= 1
            self.living[p].discard(child_id)
            self.freed.add(p)
        changed = bool(self.freed)
        for p in self.expiring.pop(day.toordinal(), []):
            self.recent[p] -= 1
        for child_id, arrival in list(self.waiting.items()):
            if arrival.leaves_on is not None and arrival.leaves_on <= day:
                del self.waiting[child_id]  # left care without a family
        for arrival in self.by_day.get(day, []):
            if arrival.leaves_on is None or arrival.leaves_on > day:
                self.waiting[arrival.id] = arrival
                changed = True
        return changed

    def snapshot_on(self, day: date) -> HomeSnapshot:
        """The homes on ``day``: beds left, open, licensed, recent placements."""
        o = day.toordinal()
        licensed = self.licensed_on <= o
        return self.snapshot.on_day(
            day,
            free_beds=np.maximum(self.capacity - self.occupied, 0),
            active=(licensed | self.provisional) & (o < self.closed_on),
            licensed=licensed,
            placements_last_year=self.recent,
            days_since_placed=o - self.last,
        )

    def child_on(self, arrival: Arrival, day: date) -> Child | None:
        """The child as the engine sees them on ``day`` (None: past the engine's age limit)."""
        age = age_on(arrival.birth_date, day)
        if age > MAX_AGE:
            return None
        ids = self.snapshot.ids
        apart = self.apart.get(arrival.id, set())
        separated = frozenset(ids[self.home_of[o]] for o in apart if o in self.home_of)
        siblings = frozenset(
            PlacedSibling(s, self.sex.get(s, "unknown"), ids[self.home_of[s]])  # type: ignore[arg-type]
            for s in self.siblings(arrival.id)
            if s != arrival.id and s in self.home_of and s not in apart
        )
        return replace(
            arrival.child,
            age=age,
            waiting_since=arrival.since,
            excluded_homes=arrival.child.excluded_homes | separated,
            placed_siblings=siblings,
        )

    def possible(self, arrival: Arrival, age: int) -> np.ndarray:
        """Positions of every home that could ever take this child at this age: the engine's
        rules against every home open with all its beds free, without the ICWA order, plus
        the kin homes of the child's siblings (a sibling group's kin home may take them all).
        A superset of the homes eligible on any day: a child none of whose possible homes
        has a free bed is not asked about that day."""
        key = (arrival.id, age)
        if key not in self._possible:
            child = replace(arrival.child, age=min(age, MAX_AGE))
            found = eligibility(PlacementRequest([child]), self._everywhere, self._relaxed)
            own = found.positions[np.flatnonzero(found.allowed[0])]
            kin = [self.snapshot.kin_positions(s) for s in self.siblings(arrival.id)]
            self._possible[key] = np.unique(np.concatenate([own, *kin]).astype(np.intp))
        return self._possible[key]

    def candidates(self, day: date, snapshot: HomeSnapshot) -> list[Child]:
        """The waiting children a policy is asked about on ``day``: those with a possible
        home that has a free bed, with the waiting members of their sibling groups. A child
        the policy was asked about before (at the same age) and left waiting is asked again
        only when one of their possible homes has freed a bed or opened since."""
        room = (snapshot.free_beds > 0) & snapshot.active
        freed = np.zeros(len(room), dtype=np.bool_)
        freed[list(self.freed)] = True
        chosen: set[str] = set()
        for arrival in self.waiting.values():
            age = age_on(arrival.birth_date, day)
            if age > MAX_AGE:
                continue
            possible = self.possible(arrival, age)
            again = self.asked.get(arrival.id) == age
            if room[possible].any() and (not again or freed[possible].any()):
                chosen.add(arrival.id)
                chosen.update(s for s in self.siblings(arrival.id) if s in self.waiting)
        out = []
        for child_id in sorted(chosen):
            child = self.child_on(self.waiting[child_id], day)
            if child is not None:
                out.append(child)
                self.asked[child_id] = child.age
        return out

    # -- placing ---------------------------------------------------------------------------------

    def place(
        self, pairs: Sequence[tuple[str, int]], day: date, snapshot: HomeSnapshot
    ) -> list[Stay]:
        """Place waiting children (child id, home position) on ``day``, each valued against
        ``snapshot`` as the engine saw the home before any of these placements."""
        children = {c: self.child_on(self.waiting[c], day) for c, _ in pairs}
        stays = []
        for child_id, p in pairs:
            child = children[child_id]
            assert child is not None  # (a policy is only asked about matchable children)
            stays.append(self.value(child, p, day, snapshot))
        self.settle(stays)
        return stays

    def settle(self, stays: Sequence[Stay]) -> None:
        """Move the children of these placements (valued already) into their homes."""
        for stay in stays:
            arrival = self.waiting.pop(stay.child_id)
            p = self.snapshot.position(stay.home_id)
            self._move_in(stay.child_id, p, arrival.leaves_on)
            o = stay.on.toordinal()
            self.recent[p] += 1
            self.expiring.setdefault(o + YEAR, []).append(p)
            self.last[p] = o
            self.stays.append(stay)

    def value(self, child: Child, p: int, day: date, snapshot: HomeSnapshot) -> Stay:
        """A placement of ``child`` in the home at position ``p`` on ``day``, valued."""
        pairing, _scores, points = scored_alone(
            child, np.array([p], dtype=np.intp), snapshot, self.communities, self.policy
        )
        home = self.snapshot.homes[p]
        return Stay(
            child_id=child.id,
            home_id=home.id,
            on=day,
            points=float(points[0]),
            distance_km=round(float(pairing.distances_by_child[0, 0]), 1),
            kin=child.id in home.kin_of,
            own_community=home.community is not None and home.community == child.removal_community,
        )

    def _move_in(self, child_id: str, p: int, leaves_on: date | None) -> None:
        self.occupied[p] += 1
        self.living.setdefault(p, set()).add(child_id)
        self.home_of[child_id] = p
        if leaves_on is not None:
            self.leaving.setdefault(leaves_on, []).append(child_id)

    def days(self) -> Iterable[date]:
        """Every day of the window, in order."""
        for i in range(self.history.days):
            yield self.history.start + timedelta(days=i)


def table_stays(table: Table, chosen: Iterable[tuple[int, int]], day: date) -> list[Stay]:
    """Placements chosen from the plan's table (child index, option index), valued as the
    table scored them (the same values :meth:`World.value` gives)."""
    snapshot = table.snapshot
    stays = []
    for c, o in chosen:
        entry = table.children[c]
        stays.append(
            Stay(
                child_id=entry.child.id,
                home_id=snapshot.ids[int(entry.positions[o])],
                on=day,
                points=float(entry.points[o]),
                distance_km=round(float(entry.pairing.distances_by_child[0, o]), 1),
                kin=entry.kin_at(o, snapshot),
                own_community=entry.own_community_at(o, snapshot),
            )
        )
    return stays
