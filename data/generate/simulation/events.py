"""The event loop and what happens on each event: entries, moves, exits, closures, retries."""

from __future__ import annotations

import heapq
from collections.abc import Callable

from data.generate.codes import (
    H_DRAINING,
    H_FUTURE,
    H_OPEN,
    K_KIN,
    S_FOSTER,
    S_GROUP,
    S_KIN,
    S_NONE,
    S_PRE_ADOPTIVE,
    S_RUNAWAY,
    S_SHELTER,
    S_SIL,
    S_THV,
    X_NONE,
    X_PRE_ADOPTIVE,
    X_SIL,
    X_THV,
)
from data.generate.hard_rules import KIND_BIT_PRE_ADOPTIVE
from data.generate.simulation.placing import Placing
from data.generate.simulation.state import (
    C_RETURN,
    C_RUN,
    C_STEP_DOWN,
    C_STEP_UP,
    E_CHILD_EVENT,
    E_CHILD_EXIT,
    E_DISCHARGE,
    E_ENTRY,
    E_FAMILY_EXIT,
    E_FORCE_CLOSE,
    E_HOME_CLOSE,
    E_HOME_OPEN,
    E_RETRY,
    OPENING_BATCH_DAYS,
    WIDE_AREA,
    WIDE_CITY,
)
from data.generate.targets import (
    DISRUPTION_SHARE_OF_MOVES,
    EMERGENCY_SHELTER_SHARE,
    HOME_CLOSE_AT_ONCE_SHARE,
    HOME_DRAIN_DAYS,
    INITIAL_SHELTER_DAYS,
    INITIAL_SHELTER_SHARE,
    KIN_FOUND_LATER_SHARE,
    RUN_SPELL_DAYS,
    TEEN_AGE,
    UNRECORDED_WAIT_SHARE,
    WAIT_CITYWIDE_AFTER_DAYS,
    WAIT_GROUP_HOME_AFTER_DAYS,
    WAIT_RETRY_DAYS,
)


class Simulation(Placing):
    """Places every child, day by day, in the homes available; records every placement.

    The events drawn in advance (homes opening and closing, removals, discharges, exit
    phases) are merged with a heap of those that arise (moves, step-ups and step-downs,
    runaway spells, retries). Occupancy is tracked per home and a bed freed on a day is only
    reused the next day, so no home is ever over capacity, however the end day is counted.
    New homes join the placement lists in four-weekly batches.
    """

    # -- events ---------------------------------------------------------------------------

    def _seed_events(self) -> None:
        """Everything drawn in advance: homes opening and closing, removals, exits."""
        p, h, last = self.p, self.h, self.last_day
        events = []
        for home in range(h.n_nonkin):
            licensed, close = int(h.licensed[home]), int(h.planned_close[home])
            if licensed <= 0:  # already licensed when the simulation starts
                self._open(home)
            else:
                # new homes join the placement lists on a batch day every four weeks (no
                # earlier than their licence): the searches' caches then last four weeks
                batch = -(-licensed // OPENING_BATCH_DAYS) * OPENING_BATCH_DAYS
                events.append(self._event(batch, E_HOME_OPEN, home))
            if close <= last:
                events.append(self._event(max(close, 0), E_HOME_CLOSE, home))
        groups: dict[tuple[int, int], list[int]] = {}
        for st, (ep, start) in enumerate(zip(self.st_episode, p.st_start.tolist(), strict=True)):
            if start <= last:
                groups.setdefault((ep, start), []).append(st)
        for (ep, start), stays in groups.items():
            self.entry_groups.append(stays)
            events.append(self._event(start, E_ENTRY, ep, len(self.entry_groups) - 1))
        for st, (start, discharge, exit_kind, exit_day) in enumerate(
            zip(
                p.st_start.tolist(),
                p.st_discharge.tolist(),
                p.st_exit.tolist(),
                p.st_exit_day.tolist(),
                strict=True,
            )
        ):
            if start > last:
                continue
            if discharge <= last:
                events.append(self._event(discharge, E_DISCHARGE, st))
            if exit_kind != X_NONE and exit_day <= last:
                events.append(self._event(exit_day, E_CHILD_EXIT, st, exit_kind))
        for ep, (exit_kind, exit_day) in enumerate(
            zip(p.ep_exit.tolist(), p.ep_exit_day.tolist(), strict=True)
        ):
            if exit_kind != X_NONE and exit_day <= last:
                events.append(self._event(exit_day, E_FAMILY_EXIT, ep, exit_kind))
        events.sort()
        self.drawn = events

    def run(self) -> None:
        """Draw the events known in advance, then process every event up to as_of."""
        self._seed_events()
        handlers: list[Callable[[int, int, int], None]] = [
            self._on_release,
            self._on_home_open,
            self._on_home_close,
            self._on_force_close,
            self._on_discharge,
            self._on_family_exit,
            self._on_child_exit,
            self._on_entry,
            self._on_unit_move,
            self._on_child_event,
            self._on_retry,
        ]
        heap, drawn = self.heap, self.drawn
        i, n_drawn = 0, len(drawn)
        next_report = 0
        while True:  # merge the events drawn in advance with those that arise
            if heap and (i == n_drawn or heap[0][0] < drawn[i][0]):
                key, kind, a, b = heapq.heappop(heap)
            elif i < n_drawn:
                key, kind, a, b = drawn[i]
                i += 1
            else:
                break
            day = key >> 40
            if day >= next_report:
                next_report = self.report(day)
            handlers[kind](day, a, b)

    # -- handlers -------------------------------------------------------------------------

    def _on_release(self, day: int, home: int, _: int) -> None:
        self.free[home] += 1
        if self.status[home] == H_OPEN and self.kind[home] != K_KIN:
            self.avail[home] += 1

    def _on_home_open(self, day: int, home: int, _: int) -> None:
        if self.status[home] == H_FUTURE:  # not closed before its batch day came
            self._open(home)

    def _on_home_close(self, day: int, home: int, _: int) -> None:
        if self.status[home] == H_FUTURE:  # closed before it took any child
            self._close_home(home, day)
            return
        if self.status[home] != H_OPEN:
            return
        if not self.occupants[home] or self.rng.random() < HOME_CLOSE_AT_ONCE_SHARE:
            self._close_home(home, day)
            return
        # no new children; close when the last one leaves, or after a while
        self.status[home] = H_DRAINING
        self._withdraw(home)
        self._push(day + int(self.rng.integers(*HOME_DRAIN_DAYS)), E_FORCE_CLOSE, home)

    def _on_force_close(self, day: int, home: int, _: int) -> None:
        if self.status[home] == H_DRAINING:
            self._close_home(home, day)

    def _on_discharge(self, day: int, stay: int, _: int) -> None:
        child = self.st_child[stay]
        if self.stay[child] != stay:
            return
        self._end(child, day, "discharge")
        self.stay[child] = -1

    def _on_entry(self, day: int, episode: int, group: int) -> None:
        rng = self.rng
        children = []
        for stay in self.entry_groups[group]:
            child = self.st_child[stay]
            self.stay[child] = stay
            self.token[child] += 1
            children.append(child)
        later = day != int(self.p.ep_start[episode])
        rest = []
        for child in children:
            if self._goes_to_group_care(child, day):
                self._congregate(child, day, "")
            else:
                rest.append(child)
        if not rest:
            return
        if not later and self.ep_kin[episode] and self.kin_home[episode] < 0:
            # a relative takes the children the day they are removed
            self._place_with_new_kin(rest, day, episode, "")
            return
        if rng.random() < INITIAL_SHELTER_SHARE:
            # an assessment in a shelter first (for siblings together), or nothing recorded
            # for a few days
            record = rng.random() >= UNRECORDED_WAIT_SHARE
            low, high = INITIAL_SHELTER_DAYS if record else (1, 3)
            after = int(rng.integers(low, high + 1))
            for child in rest:
                self._wait(child, day, "", record, after=after)
            return
        for child in self._place_family(rest, day, episode, -1, WIDE_AREA, ""):
            self._no_home(child, day, "")

    def _on_unit_move(self, day: int, episode: int, unit: int) -> None:
        rng = self.rng
        children = [
            c for c, token in self.units[unit] if self.token[c] == token and self.stay[c] >= 0
        ]
        if not children or self.settled[episode]:
            return
        home = self.home[children[0]]
        reason = "disruption" if rng.random() < DISRUPTION_SHARE_OF_MOVES else "move"
        movers = []
        for child in children:
            if reason == "disruption" and self._goes_to_group_care(child, day):
                self._congregate(child, day, "step_up")
            else:
                movers.append(child)
        if not movers:
            return
        kin = self.kin_home[episode]
        if (kin < 0 or self.status[kin] != H_OPEN) and rng.random() < KIN_FOUND_LATER_SHARE:
            self._place_with_new_kin(movers, day, episode, reason)
            return
        if self._reunite_siblings(movers, day, episode, home):
            return
        if reason == "disruption" and rng.random() < EMERGENCY_SHELTER_SHARE:
            for child in movers:
                self._wait(child, day, reason)
            return
        left = self._place_family(movers, day, episode, home, WIDE_AREA, reason)
        if reason == "disruption":
            for child in left:
                self._no_home(child, day, reason)
        elif left:  # a planned move without a better home is not made
            self._schedule_unit_move(left, home, day)

    def _reunite_siblings(self, movers: list[int], day: int, episode: int, home: int) -> bool:
        """A move is the chance to bring a split sibling group together in one home."""
        elsewhere = [
            c
            for c in self.family_children[self.ep_family[episode]]
            if c not in movers
            and self.stay[c] >= 0
            and self.st_episode[self.stay[c]] == episode
            and self.setting[c] in (S_KIN, S_FOSTER, S_SHELTER, S_NONE)
            and self.home[c] != home
        ]
        if not elsewhere:
            return False
        group = movers + elsewhere
        if len(self._separation_split(group)) > 1:
            return False
        return self._place_unit(group, day, episode, home, WIDE_CITY, "move")

    def _on_child_event(self, day: int, child: int, code: int) -> None:
        token, what = code >> 2, code & 3
        if token != self.token[child] or self.stay[child] < 0:
            return
        episode = self.st_episode[self.stay[child]]
        if what == C_STEP_UP:
            self._congregate(child, day, "step_up")
        elif what == C_RUN:
            self._commit([child], -1, day, S_RUNAWAY, "disruption")
            low, mean = RUN_SPELL_DAYS
            back = day + int(low + self.rng.exponential(mean))
            self._push(back, E_CHILD_EVENT, child, self.token[child] * 4 + C_RETURN)
        elif what == C_RETURN:
            if self._goes_to_group_care(child, day):
                self._congregate(child, day, "move")
            elif self._place_family([child], day, episode, -1, WIDE_AREA, "move"):
                self._no_home(child, day, "move")
        elif not self._place_unit([child], day, episode, -1, WIDE_AREA, "step_down"):
            # still no family home: stay in group care and try again later
            after = int(self.rng.integers(60, 121))
            self._push(day + after, E_CHILD_EVENT, child, self.token[child] * 4 + C_STEP_DOWN)

    def _on_retry(self, day: int, child: int, token: int) -> None:
        if token != self.token[child] or self.stay[child] < 0:
            return
        episode = self.st_episode[self.stay[child]]
        waiting = [
            c
            for c in self.family_children[self.family[child]]
            if self.stay[c] >= 0
            and self.st_episode[self.stay[c]] == episode
            and self.setting[c] in (S_SHELTER, S_NONE)
        ]
        waited = day - self.wait_since[child]
        wide = WIDE_CITY if waited >= WAIT_CITYWIDE_AFTER_DAYS else WIDE_AREA
        left = self._place_family(waiting, day, episode, -1, wide, "move")
        if child not in left:
            return  # placed; waiting siblings still unplaced have their own retries
        if self._age(child, day) >= TEEN_AGE and waited >= WAIT_GROUP_HOME_AFTER_DAYS:
            self._commit([child], -1, day, S_GROUP, "move")
        elif self.setting[child] == S_NONE:  # not recorded yet: now a shelter stay
            self._wait(child, day, "", since=self.wait_since[child])
        else:  # try again, less often the longer the wait
            after = int(self.rng.integers(WAIT_RETRY_DAYS[0], WAIT_RETRY_DAYS[1] + 1))
            self._push(day + min(30, after * (1 + waited // 14)), E_RETRY, child, token)

    def _on_family_exit(self, day: int, episode: int, exit_kind: int) -> None:
        self.settled[episode] = True
        reason = self.ep_reason[episode]
        children = [
            c
            for c in self.family_children[self.ep_family[episode]]
            if self.stay[c] >= 0
            and self.st_episode[self.stay[c]] == episode
            and self.st_reason[self.stay[c]] == reason
        ]
        if exit_kind == X_THV:
            for child in children:
                self._commit([child], -1, day, S_THV, "move", kin_reason="reunified_kin")
        elif exit_kind == X_PRE_ADOPTIVE:
            # an adoptive family for the children not already with relatives
            group = [c for c in children if self.setting[c] in (S_FOSTER, S_SHELTER, S_NONE)]
            if group:
                home = self._search(group, day, episode, KIND_BIT_PRE_ADOPTIVE, -1, WIDE_CITY)
                if home >= 0:
                    self._commit(group, home, day, S_PRE_ADOPTIVE, "move")

    def _on_child_exit(self, day: int, stay: int, exit_kind: int) -> None:
        child = self.st_child[stay]
        if self.stay[child] != stay:
            return
        if exit_kind == X_SIL:
            self._commit([child], -1, day, S_SIL, "move")
        else:
            self._commit([child], -1, day, S_RUNAWAY, "disruption")
