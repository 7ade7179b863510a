"""The matching snapshot kept in memory per worker, rebuilt when the records change.

Building the snapshot reads every open home (seconds at state scale); ranking against it takes
milliseconds. Each worker keeps the snapshots it built, keyed by the matching date, with the
value of the ``records`` change counter they were built at. Every write of records bumps that
counter in the same transaction (imports, ``PUT``/``DELETE``, decisions), so one indexed read
per request tells a worker whether its snapshot is stale — across processes, as the counter is
in the database. A stale snapshot is rebuilt before the request is answered: a coordinator is
never shown a bed that a committed decision has taken.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from api.services.matching import MatchingInputs, load_matching_inputs
from data.models import ChangeCounter

__all__ = ["SnapshotCache", "records_version"]

COUNTER = "records"


def records_version(session: Session) -> int:
    """The current value of the records change counter (0 before any write)."""
    value = session.execute(
        select(col(ChangeCounter.value)).where(col(ChangeCounter.name) == COUNTER)
    ).scalar_one_or_none()
    return int(value or 0)


@dataclass(frozen=True, slots=True)
class _Entry:
    version: int
    inputs: MatchingInputs


class SnapshotCache:
    """Matching inputs per matching date, valid while the change counter has not moved.

    Parameters
    ----------
    engine
        The database (used only for its identity; reads go through the caller's session).
    max_dates
        How many matching dates to keep (today, and one other asked for with ``as_of``).
    """

    def __init__(self, engine: Engine, max_dates: int = 2) -> None:
        self.engine = engine
        self.max_dates = max_dates
        self.builds = 0  # how many snapshots this worker has built (for tests and the bench)
        self._entries: OrderedDict[date, _Entry] = OrderedDict()
        self._newest: tuple[int, float] | None = None  # version and time.monotonic() of a build
        self._lock = threading.Lock()  # guards _entries
        self._build = threading.Lock()  # one build at a time: a burst of requests builds once

    def get(self, session: Session, as_of: date | None = None) -> MatchingInputs:
        """The matching inputs on ``as_of`` (default today), rebuilt when stale."""
        day = as_of or date.today()
        version = records_version(session)
        found = self._fresh(day, version)
        if found is not None:
            return found
        with self._build:
            found = self._fresh(day, version)  # another thread may just have built it
            if found is not None:
                return found
            # the version read above is the one the snapshot reflects at least: a write
            # committed during the build bumps the counter past it and forces another build
            inputs = load_matching_inputs(session, as_of=day)
            self.builds += 1
            with self._lock:
                self._newest = (version, time.monotonic())
                self._entries[day] = _Entry(version, inputs)
                self._entries.move_to_end(day)
                while len(self._entries) > self.max_dates:
                    self._entries.popitem(last=False)
            return inputs

    def _fresh(self, day: date, version: int) -> MatchingInputs | None:
        with self._lock:
            entry = self._entries.get(day)
            if entry is not None and entry.version == version:
                self._entries.move_to_end(day)
                return entry.inputs
        return None

    def newest(self) -> tuple[int, float] | None:
        """The change counter of the newest build and when it ended (``time.monotonic()``)."""
        with self._lock:
            return self._newest

    def get_cached_homes(self) -> list[str]:
        """The ids of the homes in the most recently used snapshot (empty before any)."""
        with self._lock:
            if not self._entries:
                return []
            return list(next(reversed(self._entries.values())).inputs.snapshot.ids)

    def clear(self) -> None:
        """Forget every snapshot."""
        with self._lock:
            self._entries.clear()
            self._newest = None
