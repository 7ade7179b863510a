"""What a replay walks through: the homes with their licence dates, the children who entered
care (or were waiting) in the window with their recorded exits, and the children who already
lived in a family home when the window opened.

Plain, frozen values checked once when a :class:`History` is built; the service layer builds
them from the records (``api/services/replay.py``), tests build them by hand. Like the
matching engine's inputs they carry no race or ethnicity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from matching import Child, Communities, Home, InputError

__all__ = ["Arrival", "History", "ReplayHome", "Resident"]


@dataclass(frozen=True, slots=True)
class ReplayHome:
    """A home as the records describe it, with the days it may take children.

    Attributes
    ----------
    home
        The engine's home; ``free_beds`` and ``status`` are ignored (the replay counts the
        beds each day), ``capacity`` is its beds.
    licensed_on
        The licence date; None for a home only provisionally approved (a relative's home),
        which takes the children it is named for from the start of the window.
    closed_on
        The day the home closed (it takes nobody from that day), or None.
    """

    home: Home
    licensed_on: date | None = None
    closed_on: date | None = None

    def takes_children_on(self, day: date) -> bool:
        """Open on ``day``: licensed (or named kin of a child) and not closed."""
        if self.closed_on is not None and day >= self.closed_on:
            return False
        return self.licensed_on is None or self.licensed_on <= day or bool(self.home.kin_of)


@dataclass(frozen=True, slots=True)
class Arrival:
    """A child who needs a family during the window.

    Attributes
    ----------
    child
        The engine's child (its ``age``, ``waiting_since``, ``placed_siblings`` and the homes
        excluded for a safety separation are set again on each day of the replay).
    birth_date
        For the age on each day.
    ready_on
        The day the child starts to need a family: the recorded removal date, or the first
        day of the window for a child already waiting then.
    leaves_on
        The recorded discharge date (the child leaves care that day), or None.
    waiting_since
        When the child started waiting (before the window for a child waiting at its start);
        default ``ready_on``. The engine's waiting order and priority read it.
    entered
        True for a child removed during the window; False for one waiting when it opened.
    """

    child: Child
    birth_date: date
    ready_on: date
    leaves_on: date | None = None
    waiting_since: date | None = None
    entered: bool = True

    @property
    def id(self) -> str:
        return self.child.id

    @property
    def since(self) -> date:
        """When the child started waiting (:attr:`waiting_since`, else :attr:`ready_on`)."""
        return self.waiting_since or self.ready_on


@dataclass(frozen=True, slots=True)
class Resident:
    """A child living in a family home when the window opens: they stay there until they
    leave care (``leaves_on``, None: after the window)."""

    child_id: str
    home_id: str
    sex: str = "unknown"
    sibling_group: str | None = None
    separate_from: frozenset[str] = frozenset()
    leaves_on: date | None = None


@dataclass(frozen=True)
class History:
    """A window of the records to replay, from ``start`` to ``end`` (both included).

    ``recent_starts`` gives, per home id, the days placements started there in the year
    before ``start`` (the engine's load-spreading and freshness factors read them).

    Raises
    ------
    InputError
        A duplicate id, an arrival outside the window or leaving before it is ready, a
        resident in a home that is not given.
    """

    start: date
    end: date
    homes: Sequence[ReplayHome]
    arrivals: Sequence[Arrival]
    residents: Sequence[Resident]
    communities: Communities
    recent_starts: Mapping[str, Sequence[date]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InputError("History", "window", "end", f"{self.end} is before {self.start}")
        object.__setattr__(self, "homes", tuple(self.homes))
        object.__setattr__(self, "arrivals", tuple(self.arrivals))
        object.__setattr__(self, "residents", tuple(self.residents))
        object.__setattr__(
            self,
            "recent_starts",
            MappingProxyType({k: tuple(v) for k, v in self.recent_starts.items()}),
        )
        homes = set()
        for h in self.homes:
            if h.home.id in homes:
                raise InputError("Home", h.home.id, "id", "given twice")
            homes.add(h.home.id)
        children: set[str] = set()
        for a in self.arrivals:
            if a.id in children:
                raise InputError("Child", a.id, "id", "given twice")
            children.add(a.id)
            if not self.start <= a.ready_on <= self.end:
                raise InputError(
                    "Child", a.id, "ready_on", f"{a.ready_on} is outside {self.start}..{self.end}"
                )
            if a.leaves_on is not None and a.leaves_on < a.ready_on:
                raise InputError(
                    "Child", a.id, "leaves_on", f"{a.leaves_on} is before {a.ready_on}"
                )
        for r in self.residents:
            if r.child_id in children:
                raise InputError("Child", r.child_id, "id", "both waiting and living in a home")
            children.add(r.child_id)
            if r.home_id not in homes:
                raise InputError("Child", r.child_id, "home_id", f"unknown home {r.home_id!r}")

    @property
    def days(self) -> int:
        """Days in the window."""
        return (self.end - self.start).days + 1
