"""The simulation's state, its event queue, and the index of open homes by community."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

import numpy as np

from data.generate.codes import H_FUTURE, H_OPEN, L_ASE, S_NONE
from data.generate.draws import YEAR, IntArray
from data.generate.families import People
from data.generate.geography import Geography
from data.generate.hard_rules import rule_masks
from data.generate.homes import Homes

# Events are (key, kind, a, b); the key orders them by day, then by the kind's priority
# (beds freed yesterday first, then homes, discharges, exits, removals, moves, retries),
# then first come first served.
E_RELEASE, E_HOME_OPEN, E_HOME_CLOSE, E_FORCE_CLOSE = 0, 1, 2, 3
E_DISCHARGE, E_FAMILY_EXIT, E_CHILD_EXIT, E_ENTRY = 4, 5, 6, 7
E_UNIT_MOVE, E_CHILD_EVENT, E_RETRY = 8, 9, 10
_PRIORITY = (0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7)
C_STEP_UP, C_RUN, C_RETURN, C_STEP_DOWN = 0, 1, 2, 3
# How far a search looks: ring by ring (the community, its neighbours, theirs, the rest of
# the city) until it has looked at this many homes (a placement desk's list), or the whole
# city. In the county that is most of the city; at the state's density, a few communities.
WIDE_AREA, WIDE_CITY = 600, 10**9
OPENING_BATCH_DAYS = 28


class SimulationState:
    """What the simulation knows on a day: children, homes, records and the events to come.

    State is kept in Python lists (fast for one element at a time) and, for the homes that
    searches scan, in numpy arrays (fast for many at a time). The methods here change one
    piece of state and decide nothing: placing children is :class:`~.placing.Placing`'s,
    handling events :class:`~.events.Simulation`'s.
    """

    def __init__(
        self,
        geo: Geography,
        people: People,
        homes: Homes,
        rng: np.random.Generator,
        last_day: int,
        report: Callable[[int], int],
    ) -> None:
        self.geo, self.p, self.h, self.rng = geo, people, homes, rng
        self.last_day = last_day
        self.report = report
        n_child = len(people.birth)
        self.birth: list[int] = people.birth.tolist()
        self.sex: list[int] = people.sex.tolist()
        self.needs: list[int] = people.needs.tolist()
        self.family: list[int] = people.child_family.tolist()
        self.partner: list[int] = people.separate_from.tolist()
        language = people.fam_lang[people.child_family]
        self.language: list[int] = np.where(people.deaf, L_ASE, language).tolist()
        self.family_children: list[list[int]] = [[] for _ in range(len(people.fam_comm))]
        for child, fam in enumerate(self.family):
            self.family_children[fam].append(child)
        self.st_child: list[int] = people.st_child.tolist()
        self.st_episode: list[int] = people.st_episode.tolist()
        self.st_reason: list[int] = people.st_reason.tolist()
        self.ep_reason: list[int] = people.ep_reason.tolist()
        self.ep_comm: list[int] = people.ep_comm.tolist()
        self.ep_lat: list[float] = people.ep_lat.tolist()
        self.ep_lon: list[float] = people.ep_lon.tolist()
        self.ep_kin: list[bool] = people.ep_kin.tolist()
        self.ep_family: list[int] = people.ep_family.tolist()

        # the children's current state
        self.stay = [-1] * n_child  # current stay (episode) or -1 out of care
        self.placement = [-1] * n_child  # current placement record or -1
        self.home = [-1] * n_child
        self.setting = [S_NONE] * n_child
        self.token = [0] * n_child  # changes with every change of placement: stale events
        self.wait_since = [0] * n_child
        # homes a child was placed in today: never again the same day (a record is known by
        # child, start day, setting and home)
        self.homes_today: list[tuple[int, list[int]]] = [(-1, [])] * n_child
        n_ep = len(people.ep_family)
        self.kin_home = [-1] * n_ep
        self.kin_location_used = [False] * n_ep
        self.settled = [False] * n_ep

        # the homes
        self.n_homes = homes.n_nonkin
        self.free = homes.capacity.copy()
        # free beds of the homes that take children now (0 for the others): what searches scan
        self.avail = np.zeros(len(homes.kind), dtype=np.int64)
        self.rules = rule_masks(homes)
        self.open_epoch = 0
        # plane coordinates in km (equirectangular around the city): distances for scoring
        self.x_km = homes.lon * 111.32 * math.cos(math.radians(41.84))
        self.y_km = homes.lat * 110.57
        self.ep_x_km: list[float] = (
            people.ep_lon * 111.32 * math.cos(math.radians(41.84))
        ).tolist()
        self.ep_y_km: list[float] = (people.ep_lat * 110.57).tolist()
        self.status = [H_FUTURE] * len(homes.kind)
        self.closed_day = [-1] * len(homes.kind)
        self.closed_reason = [""] * len(homes.kind)
        self.occupants: list[list[int]] = [[] for _ in range(len(homes.kind))]
        self.kin_family = [-1] * len(homes.kind)
        self.kind: list[int] = homes.kind.tolist()
        self.comm_homes: list[list[int]] = [[] for _ in range(geo.n)]
        self.comm_version = [0] * geo.n
        self._comm_arrays: list[tuple[int, IntArray]] = [(-1, np.zeros(0, np.int64))] * geo.n
        self._rings: dict[tuple[int, int], tuple[int, tuple[IntArray, IntArray]]] = {}

        # the records
        self.pl_child: list[int] = []
        self.pl_setting: list[int] = []
        self.pl_home: list[int] = []
        self.pl_start: list[int] = []
        self.pl_end: list[int] = []
        self.pl_reason: list[str] = []
        self.units: list[tuple[tuple[int, int], ...]] = []
        self.entry_groups: list[list[int]] = []
        self.heap: list[tuple[int, int, int, int]] = []  # events arising while simulating
        self.drawn: list[tuple[int, int, int, int]] = []  # events drawn in advance, sorted
        self.seq = 0

    # -- events ---------------------------------------------------------------------------

    def _event(self, day: int, kind: int, a: int, b: int = 0) -> tuple[int, int, int, int]:
        # one integer orders events: the day, then the kind's priority, then first come first
        self.seq += 1
        return ((day << 40) | (_PRIORITY[kind] << 36) | self.seq, kind, a, b)

    def _push(self, day: int, kind: int, a: int, b: int = 0) -> None:
        if day <= self.last_day:  # nothing after as_of is recorded
            heapq.heappush(self.heap, self._event(day, kind, a, b))

    # -- the children ---------------------------------------------------------------------

    def _age(self, child: int, day: int) -> int:
        return int((day - self.birth[child]) / YEAR)

    def _start(self, child: int, day: int, setting: int, home: int) -> None:
        self.placement[child] = len(self.pl_child)
        self.pl_child.append(child)
        self.pl_setting.append(setting)
        self.pl_home.append(home)
        self.pl_start.append(day)
        self.pl_end.append(-1)
        self.pl_reason.append("")
        self.home[child] = home
        self.setting[child] = setting
        self.token[child] += 1
        if home >= 0:
            today, homes = self.homes_today[child]
            self.homes_today[child] = (day, [*homes, home] if today == day else [home])
            self.free[home] -= 1
            if self.avail[home]:
                self.avail[home] -= 1
            self.occupants[home].append(child)

    # -- the homes searches look at -------------------------------------------------------

    def _open(self, home: int) -> None:
        self.status[home] = H_OPEN
        self.avail[home] = self.free[home]
        comm = int(self.h.comm[home])
        self.comm_homes[comm].append(home)
        self.comm_version[comm] += 1
        self.open_epoch += 1

    def _withdraw(self, home: int) -> None:
        # the ring caches keep the home until the next openings; no beds hide it
        self.avail[home] = 0
        comm = int(self.h.comm[home])
        self.comm_homes[comm].remove(home)
        self.comm_version[comm] += 1

    def _community_array(self, comm: int) -> IntArray:
        version, array = self._comm_arrays[comm]
        if version != self.comm_version[comm]:
            array = np.array(sorted(self.comm_homes[comm]), dtype=np.int64)
            self._comm_arrays[comm] = (self.comm_version[comm], array)
        return array

    def _ring(self, comm: int, ring: int) -> tuple[IntArray, IntArray]:
        """Non-kin homes of a ring around a community, with their fixed attributes.

        Cached until homes open (once a week), so that a search gathers only what changes
        all the time: free beds and whether a home still takes children.
        """
        cached = self._rings.get((comm, ring))
        if cached is None or cached[0] != self.open_epoch:
            members = self.geo.rings[comm][ring]
            cand = np.concatenate([self._community_array(m) for m in members])
            cached = (self.open_epoch, (cand, self.rules[cand]))
            self._rings[(comm, ring)] = cached
        return cached[1]
