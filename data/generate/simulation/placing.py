"""Placement moves: starting and ending placements, searching homes, splitting and waiting."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from data.generate.codes import (
    CAP_INFANT,
    H_CLOSED,
    H_DRAINING,
    H_OPEN,
    K_FOSTER,
    K_KIN,
    K_PRE_ADOPTIVE,
    K_THERAPEUTIC,
    KIN_CLOSE_BY_DISCHARGE,
    L_EN,
    NEED_BEHAVIORAL,
    NEED_THERAPEUTIC,
    S_CONGREGATE,
    S_FAMILY,
    S_FOSTER,
    S_GROUP,
    S_INSTITUTION,
    S_KIN,
    S_NONE,
    S_SHELTER,
    T_TRIBAL,
)
from data.generate.draws import IntArray
from data.generate.hard_rules import KIND_BIT_FOSTER, group_requirement, qualifies
from data.generate.simulation.state import (
    C_RUN,
    C_STEP_DOWN,
    C_STEP_UP,
    E_CHILD_EVENT,
    E_RELEASE,
    E_RETRY,
    E_UNIT_MOVE,
    WIDE_AREA,
    WIDE_CITY,
    SimulationState,
)
from data.generate.targets import (
    CONGREGATE_CHANCE,
    INSTITUTION_SHARE_OF_CONGREGATE,
    MOVE_MEAN_DAYS,
    RUN_MEAN_DAYS_TEEN,
    RUN_MEAN_DAYS_TEEN_BEHAVIORAL,
    SAME_DAY_DISRUPTION_SHARE,
    STEP_DOWN_MEAN_DAYS,
    STEP_UP_MEAN_DAYS,
    TEEN_AGE,
    TEEN_NO_HOME_TO_GROUP_HOME,
    WAIT_RETRY_DAYS,
)


class Placing(SimulationState):
    """How children are placed: in a family home by the hard rules, else they wait.

    A search looks in the child's own community first, then ring by ring outwards until a
    placement desk's list of homes has been seen, preferring the child's language, nearness,
    busy homes and a capacity that fits. Sibling groups go whole when a home can take them,
    else split into the fewest homes. Children no home can take wait in a shelter (or, for
    teenagers, a group home) and are retried.
    """

    def _goes_to_group_care(self, child: int, day: int) -> bool:
        """Whether a child needing a placement now is placed in group care (CONGREGATE_CHANCE)."""
        age, needs = self._age(child, day), self.needs[child]
        if age >= TEEN_AGE:
            if needs & NEED_BEHAVIORAL:
                chance = CONGREGATE_CHANCE["teen_behavioral"]
            elif needs:
                chance = CONGREGATE_CHANCE["teen_other_needs"]
            else:
                chance = CONGREGATE_CHANCE["teen"]
        elif age >= 6 and needs & (NEED_BEHAVIORAL | NEED_THERAPEUTIC):
            chance = CONGREGATE_CHANCE["child_behavioral_or_therapeutic"]
        else:
            return False
        return bool(self.rng.random() < chance)

    def _end(self, child: int, day: int, reason: str, kin_reason: str = "child_moved") -> None:
        record = self.placement[child]
        if record >= 0:
            self.pl_end[record] = day
            self.pl_reason[record] = reason
            home = self.home[child]
            if home >= 0:
                self.occupants[home].remove(child)
                # the bed is free again tomorrow: no home is ever over capacity, whether
                # the end day is counted as a day in the home or not
                self._push(day + 1, E_RELEASE, home)
                if not self.occupants[home]:
                    if self.kind[home] == K_KIN and self.status[home] == H_OPEN:
                        if reason == "discharge":
                            kin_reason = KIN_CLOSE_BY_DISCHARGE[self.st_reason[self.stay[child]]]
                        self._close_home(home, day, kin_reason)
                    elif self.status[home] == H_DRAINING:
                        self._close_home(home, day)
        self.placement[child] = -1
        self.home[child] = -1
        self.setting[child] = S_NONE
        self.token[child] += 1

    def _commit(
        self,
        children: Sequence[int],
        home: int,
        day: int,
        setting: int,
        reason: str,
        kin_reason: str = "child_moved",
    ) -> None:
        """End the children's current placements (``reason``) and start the new one.

        Children who already live in ``home`` stay as they are (a sibling joins them).
        """
        if home >= 0:
            children = [c for c in children if self.home[c] != home]
            if not children:
                return
        for child in children:
            self._end(child, day, reason, kin_reason)
        for child in children:
            self._start(child, day, setting, home)
        if setting in S_FAMILY:
            self._schedule_unit_move(children, home, day)
        for child in children:
            self._schedule_individual(child, day, setting)

    def _schedule_unit_move(self, children: Sequence[int], home: int, day: int) -> None:
        episode = self.st_episode[self.stay[children[0]]]
        if self.settled[episode] or self.kind[home] == K_PRE_ADOPTIVE:
            return
        if self.rng.random() < SAME_DAY_DISRUPTION_SHARE:
            after = 0
        else:
            kind = "kin_home" if self.kind[home] == K_KIN else "foster_home"
            if self.kind[home] == K_THERAPEUTIC:
                kind = "therapeutic"
            after = 1 + int(self.rng.exponential(MOVE_MEAN_DAYS[kind]))
        if day + after <= self.last_day:
            self.units.append(tuple((c, self.token[c]) for c in children))
            self._push(day + after, E_UNIT_MOVE, episode, len(self.units) - 1)

    def _schedule_individual(self, child: int, day: int, setting: int) -> None:
        """The next thing a child may do alone: step up, step down, run away."""
        rng = self.rng
        age = self._age(child, day)
        options: list[tuple[float, int]] = []
        behavioral = bool(self.needs[child] & NEED_BEHAVIORAL)
        if setting in S_FAMILY:
            if age >= 6 and behavioral:
                options.append((rng.exponential(STEP_UP_MEAN_DAYS), C_STEP_UP))
        elif setting in S_CONGREGATE:
            options.append((10 + rng.exponential(STEP_DOWN_MEAN_DAYS), C_STEP_DOWN))
        else:
            return
        if age >= TEEN_AGE:
            mean = RUN_MEAN_DAYS_TEEN_BEHAVIORAL if behavioral else RUN_MEAN_DAYS_TEEN
            options.append((rng.exponential(mean), C_RUN))
        if options:
            after, what = min(options)
            self._push(day + 1 + int(after), E_CHILD_EVENT, child, self.token[child] * 4 + what)

    def _congregate(self, child: int, day: int, reason: str) -> None:
        therapeutic = self.needs[child] & NEED_THERAPEUTIC
        institution = therapeutic or self.rng.random() < INSTITUTION_SHARE_OF_CONGREGATE
        self._commit([child], -1, day, S_INSTITUTION if institution else S_GROUP, reason)

    def _wait(
        self,
        child: int,
        day: int,
        reason: str,
        record: bool = True,
        since: int | None = None,
        after: int = 0,
    ) -> None:
        """No family home for now: a shelter bed (or nothing recorded yet); retry soon.

        ``after``: days until the first retry (drawn from WAIT_RETRY_DAYS when 0).
        """
        if record:
            self._commit([child], -1, day, S_SHELTER, reason)
        else:
            self._end(child, day, reason)
        self.wait_since[child] = day if since is None else since
        if not after:
            low, high = WAIT_RETRY_DAYS if record else (1, 3)
            after = int(self.rng.integers(low, high + 1))
        self._push(day + after, E_RETRY, child, self.token[child])

    def _no_home(self, child: int, day: int, reason: str) -> None:
        if self._age(child, day) >= TEEN_AGE and self.rng.random() < TEEN_NO_HOME_TO_GROUP_HOME:
            self._commit([child], -1, day, S_GROUP, reason)
        else:
            self._wait(child, day, reason)

    # -- finding homes --------------------------------------------------------------------

    def _search(
        self, children: Sequence[int], day: int, episode: int, kinds: int, exclude: int, wide: int
    ) -> int:
        """The best open non-kin home that takes all ``children``, or -1.

        The hard rules of the matching engine: free beds, ages, sex, needs within the
        capabilities, sibling-group size, safety separations; then a score that prefers the
        child's language, infant experience, nearness and busy homes. The own community is
        searched first, then its neighbours, theirs and the rest, until ``wide`` homes have
        been looked at.
        """
        n = len(children)
        ages = [self._age(c, day) for c in children]
        need = 0
        for c in children:
            need |= self.needs[c]
        required = group_requirement(ages, [self.sex[c] for c in children], need, kinds)
        avoid = [self.home[self.partner[c]] for c in children if self.partner[c] >= 0]
        avoid.append(exclude)
        avoid += self._homes_today(children, day)
        comm = self.ep_comm[episode]
        looked = 0
        for ring in range(4):
            if looked >= wide:
                break
            cand, rules = self._ring(comm, ring)
            looked += len(cand)
            ok = self.avail[cand] >= n
            ok &= qualifies(rules, required)
            found = cand[ok]
            for home in avoid:
                if home >= 0:
                    found = found[found != home]
            if len(found):
                return self._best(found, children, day, episode, need)
        return -1

    def _best(
        self, cand: IntArray, children: Sequence[int], day: int, episode: int, need: int
    ) -> int:
        h = self.h
        score = np.where(h.comm[cand] == self.ep_comm[episode], 2.0, 0.0)
        language = self.language[children[0]]
        if language != L_EN:
            score += np.where((h.langs[cand] >> language) & 1, 1.5, 0.0)
        if any(self._age(c, day) == 0 for c in children):
            score += np.where(h.caps[cand] & CAP_INFANT, 0.7, 0.0)
        if not need & NEED_THERAPEUTIC:
            score -= np.where(h.kind[cand] == K_THERAPEUTIC, 1.0, 0.0)
        score += h.popularity[cand]
        # keep homes with many free beds for sibling groups (capacity fit)
        score -= 0.35 * (self.free[cand] - len(children))
        dx = self.x_km[cand] - self.ep_x_km[episode]
        dy = self.y_km[cand] - self.ep_y_km[episode]
        score -= 0.15 * np.sqrt(dx * dx + dy * dy)
        score += self.rng.random(len(cand))
        return int(cand[int(np.argmax(score))])

    def _fits(self, home: int, children: Sequence[int], day: int) -> bool:
        """Whether one known home (kin, or where siblings live) can take the children too."""
        h = self.h
        if self.status[home] != H_OPEN or self.free[home] < len(children):
            return False
        siblings_there = sum(
            1 for c in self.occupants[home] if self.family[c] == self.family[children[0]]
        )
        if siblings_there + len(children) > h.max_siblings[home]:
            return False
        accepts = int(h.accepts[home])
        for c in children:
            age = self._age(c, day)
            if not h.age_min[home] <= age <= h.age_max[home]:
                return False
            if self.needs[c] & ~int(h.caps[home]):
                return False
            if accepts and self.sex[c] != accepts:
                return False
            if self.partner[c] >= 0 and self.partner[c] in self.occupants[home]:
                return False
        return True

    def _homes_today(self, children: Sequence[int], day: int) -> list[int]:
        return [
            h for c in children if self.homes_today[c][0] == day for h in self.homes_today[c][1]
        ]

    def _family_homes(self, episode: int, children: Sequence[int]) -> list[int]:
        """Homes where the family's children live now: the kin home first."""
        homes = []
        if self.kin_home[episode] >= 0:
            homes.append(self.kin_home[episode])
        for sibling in self.family_children[self.family[children[0]]]:
            home = self.home[sibling]
            usable = home >= 0 and self.kind[home] in (K_KIN, K_FOSTER, K_THERAPEUTIC)
            if usable and home not in homes:
                homes.append(home)
        return homes

    def _place_unit(
        self, children: Sequence[int], day: int, episode: int, exclude: int, wide: int, reason: str
    ) -> bool:
        """Place the children together in one home, if one takes them all."""
        today = self._homes_today(children, day)
        for home in self._family_homes(episode, children):
            joining = [c for c in children if self.home[c] != home]
            usable = joining and home != exclude and home not in today
            if usable and self._fits(home, joining, day):
                setting = S_KIN if self.kind[home] == K_KIN else S_FOSTER
                self._commit(joining, home, day, setting, reason)
                return True
        home = self._search(children, day, episode, KIND_BIT_FOSTER, exclude, wide)
        if home < 0:
            return False
        self._commit(children, home, day, S_FOSTER, reason)
        return True

    def _place_family(
        self, children: Sequence[int], day: int, episode: int, exclude: int, wide: int, reason: str
    ) -> list[int]:
        """Place siblings together, else in the fewest homes; return who is left unplaced.

        A child with a safety separation from a sibling in the group is placed on their own.
        """
        left: list[int] = []
        for group in self._separation_split(children):
            if self._place_unit(group, day, episode, exclude, wide, reason):
                continue
            if len(group) == 1:
                left.extend(group)
                continue
            # siblings together matter more than distance: look city-wide before splitting
            if wide < WIDE_CITY and self._place_unit(
                group, day, episode, exclude, WIDE_CITY, reason
            ):
                continue
            # split: the largest chunks of siblings close in age first (fewest homes)
            remaining = sorted(group, key=lambda c: (self.birth[c], c))
            for size in range(len(group) - 1, 0, -1):
                i = 0
                while i + size <= len(remaining):
                    chunk = remaining[i : i + size]
                    if self._place_unit(chunk, day, episode, exclude, wide, reason):
                        remaining = remaining[:i] + remaining[i + size :]
                    else:
                        i += 1
            left.extend(remaining)
        return left

    def _separation_split(self, children: Sequence[int]) -> list[list[int]]:
        for c in children:
            if self.partner[c] >= 0 and self.partner[c] in children:
                rest = [x for x in children if x != c]
                return [rest, [c]]
        return [list(children)]

    def _new_kin_home(self, episode: int, children: Sequence[int], day: int) -> int:
        """A relative's home, approved for this sibling group (kin_of = the whole family)."""
        h, rng = self.h, self.rng
        home = self.n_homes
        self.n_homes += 1
        if not self.kin_location_used[episode]:
            comm = int(self.p.ep_kin_comm[episode])
            lat, lon = float(self.p.ep_kin_lat[episode]), float(self.p.ep_kin_lon[episode])
            self.kin_location_used[episode] = True
        else:  # another relative: a point of another episode, anywhere in the city
            other = int(rng.integers(len(self.p.ep_kin_comm)))
            comm = int(self.p.ep_kin_comm[other])
            lat, lon = float(self.p.ep_kin_lat[other]), float(self.p.ep_kin_lon[other])
        family = self.family[children[0]]
        caps = 0
        for c in self.family_children[family]:
            caps |= self.needs[c]
        if any(self._age(c, day) == 0 for c in children):
            caps |= CAP_INFANT
        capacity = min(6, len(children) + (1 if rng.random() < 0.25 else 0))
        language = self.language[children[0]]
        fam = self.p
        h.kind[home] = K_KIN
        h.comm[home], h.lat[home], h.lon[home] = comm, lat, lon
        h.capacity[home] = capacity
        h.age_min[home], h.age_max[home] = 0, 17
        h.accepts[home] = 0
        h.max_siblings[home] = capacity
        h.caps[home] = caps
        h.langs[home] = (1 << language) | ((1 << L_EN) if fam.fam_second_en[family] else 0)
        h.primary[home] = language
        h.religion[home] = fam.fam_religion[family]
        tribe = int(fam.fam_tribe[family])
        h.tribe[home] = tribe
        h.tribe_licensed[home] = tribe >= 0 and rng.random() < 0.3
        h.offers[home] = T_TRIBAL if tribe >= 0 else 0
        h.licensed[home] = day
        self.kind[home] = K_KIN
        self.free[home] = capacity
        self.status[home] = H_OPEN
        self.kin_family[home] = family
        self.kin_home[episode] = home
        return home

    def _place_with_new_kin(
        self, children: Sequence[int], day: int, episode: int, reason: str
    ) -> None:
        groups = self._separation_split(children)
        home = self._new_kin_home(episode, groups[0], day)
        self._commit(groups[0], home, day, S_KIN, reason)
        for group in groups[1:]:
            for child in self._place_family(group, day, episode, -1, WIDE_AREA, reason):
                self._no_home(child, day, reason)

    # -- a home that closes --------------------------------------------------------------

    def _close_home(self, home: int, day: int, reason: str = "") -> None:
        if self.status[home] == H_OPEN and self.kind[home] != K_KIN:
            self._withdraw(home)
        self.status[home] = H_CLOSED
        self.closed_day[home] = day
        self.closed_reason[home] = reason or self.h.close_reason[home]
        by_family: dict[int, list[int]] = {}
        for child in list(self.occupants[home]):
            by_family.setdefault(self.family[child], []).append(child)
        for children in by_family.values():
            episode = self.st_episode[self.stay[children[0]]]
            for child in self._place_family(children, day, episode, home, WIDE_AREA, "home_closed"):
                self._no_home(child, day, "home_closed")
