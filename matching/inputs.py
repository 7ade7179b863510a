"""The engine's inputs: children, homes and communities as typed, frozen, validated values.

These are the only shapes the matching engine accepts. They are deliberately not the
database records: the service layer converts records into them in one place, and the
engine never sees a database row. Each value is checked once, when it is built; a problem
raises :class:`InputError` naming the record, its id and the field.

There is **no race, ethnicity or national-origin field** on any input (the Multiethnic
Placement Act forbids delaying or denying a placement on that basis): cultural fit is built
only from individually assessed languages, faith and named cultural needs.

Codes
-----
sex
    ``female``, ``male``, ``unknown``.
icwa
    ``yes``, ``no``, ``reason_to_know`` or ``None`` (not asked).
needs
    ``medical``, ``behavioral``, ``developmental``, ``therapeutic``.
capabilities
    the needs, plus ``infant`` (the home takes children under 1).
home kind
    ``kin``, ``foster``, ``therapeutic``, ``pre_adoptive``.
home status
    ``active``, ``on_hold``, ``closed``.
accepts_sex
    ``any``, ``female``, ``male`` or ``None`` (= any).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from core.codes import (
    ACCEPTS_SEX,
    CAPABILITIES,
    DECLINE_REASONS,
    HOME_KINDS,
    HOME_STATUSES,
    ICWA,
    NEEDS,
    SEXES,
)
from geo import LatLon

if TYPE_CHECKING:
    from geo import CommunityIndex

__all__ = [
    "ACCEPTANCE_CALLS",
    "ACCEPTS_SEX",
    "CAPABILITIES",
    "HOME_KINDS",
    "HOME_STATUSES",
    "ICWA",
    "MAX_AGE",
    "NEEDS",
    "SEXES",
    "Child",
    "Communities",
    "Decline",
    "Home",
    "InputError",
    "PlacedSibling",
]

# the code lists are core.codes'; these types spell them for the type checker (a test keeps
# the two equal)
Sex = Literal["female", "male", "unknown"]
Icwa = Literal["yes", "no", "reason_to_know"]
HomeKind = Literal["kin", "foster", "therapeutic", "pre_adoptive"]
HomeStatus = Literal["active", "on_hold", "closed"]
AcceptsSex = Literal["any", "female", "male"]

# extended foster care runs to 21 in many states; the folder format allows home ranges to 21
MAX_AGE = 21
MAX_BEDS = 50  # the folder format's limit on a home's capacity
ACCEPTANCE_CALLS = 10  # a home's acceptance counts its last this many answered calls
ADULT_AGE = 18  # the birthday a coordinator must see coming (care may end, plans change)
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


class InputError(ValueError):
    """An engine input that cannot be used.

    ``record`` is the kind of value ("Child", "Home", "Communities", "request"),
    ``record_id`` its id and ``field`` the offending field; the message says all three and
    what was expected.
    """

    def __init__(self, record: str, record_id: str, field: str, problem: str) -> None:
        self.record = record
        self.record_id = record_id
        self.field = field
        self.problem = problem
        super().__init__(f"{record} {record_id}: {field}: {problem}")


# -- checks shared by the records ------------------------------------------------------------


class _Checker:
    """Field checks for one record; each raises :class:`InputError` naming the field."""

    def __init__(self, record: str, record_id: object) -> None:
        self.record = record
        self.record_id = record_id if isinstance(record_id, str) else repr(record_id)

    def fail(self, name: str, problem: str) -> InputError:
        return InputError(self.record, self.record_id, name, problem)

    def identifier(self, name: str, value: object) -> str:
        if not isinstance(value, str) or not value or value != value.strip():
            raise self.fail(name, f"expected a non-empty id, no surrounding spaces, got {value!r}")
        return value

    def optional_text(self, name: str, value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"expected a non-empty string or None, got {value!r}")
        return value

    def whole(self, name: str, value: object, low: int, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"expected a whole number, got {value!r}")
        if value < low or (high is not None and value > high):
            upper = f" and <= {high}" if high is not None else ""
            raise self.fail(name, f"expected a whole number >= {low}{upper}, got {value}")
        return value

    def optional_whole(self, name: str, value: object, low: int, high: int) -> int | None:
        return None if value is None else self.whole(name, value, low, high)

    def code(self, name: str, value: object, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(name, f"expected one of {', '.join(choices)}, got {value!r}")
        assert isinstance(value, str)
        return value

    def flag(self, name: str, value: object) -> bool:
        if not isinstance(value, bool):
            raise self.fail(name, f"expected True or False, got {value!r}")
        return value

    def point(self, name: str, value: object, *, optional: bool = False) -> LatLon | None:
        if value is None and optional:
            return None
        if not isinstance(value, LatLon):
            raise self.fail(name, f"expected a geo.LatLon, got {value!r}")
        return value

    def day(self, name: str, value: object) -> date | None:
        if value is not None and not isinstance(value, date):
            raise self.fail(name, f"expected a datetime.date or None, got {value!r}")
        return value

    def strings(self, name: str, value: object) -> list[str]:
        # a bare string is iterable too; taking "abc" as {"a", "b", "c"} would hide a bug
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise self.fail(name, f"expected a collection of strings, got {value!r}")
        items = list(value)
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise self.fail(name, f"expected non-empty strings, got {item!r}")
        return items

    def tags(self, name: str, value: object) -> frozenset[str]:
        return frozenset(self.strings(name, value))

    def ids(self, name: str, value: object) -> frozenset[str]:
        items = self.strings(name, value)
        for item in items:
            self.identifier(name, item)
        return frozenset(items)

    def codes(self, name: str, value: object, choices: tuple[str, ...]) -> frozenset[str]:
        items = self.strings(name, value)
        unknown = sorted(set(items) - set(choices))
        if unknown:
            raise self.fail(
                name, f"unknown code {unknown[0]!r}; expected a subset of {', '.join(choices)}"
            )
        return frozenset(items)

    def declines(self, name: str, value: object) -> frozenset[Decline]:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise self.fail(name, f"expected a collection of Decline, got {value!r}")
        items = list(value)
        for item in items:
            if not isinstance(item, Decline):
                raise self.fail(name, f"expected matching.Decline values, got {item!r}")
        return frozenset(items)

    def siblings(self, name: str, value: object) -> frozenset[PlacedSibling]:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise self.fail(name, f"expected a collection of PlacedSibling, got {value!r}")
        items = list(value)
        for item in items:
            if not isinstance(item, PlacedSibling):
                raise self.fail(name, f"expected matching.PlacedSibling values, got {item!r}")
        return frozenset(items)

    def languages(self, name: str, value: object) -> tuple[str, ...]:
        items = self.strings(name, value)
        for item in items:
            if not _LANGUAGE_CODE.fullmatch(item):
                raise self.fail(
                    name, f"{item!r} is not an ISO 639 code (2 or 3 lower-case letters, e.g. es)"
                )
        # a repeated language says nothing more; keep the first mention (the order matters:
        # a child's first language is the primary one)
        return tuple(dict.fromkeys(items))


def _set(instance: object, name: str, value: Any) -> None:
    """Store a normalised value on a frozen dataclass during ``__post_init__``."""
    object.__setattr__(instance, name, value)


# -- the records -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlacedSibling:
    """A brother or sister of a child who already lives in a family home.

    The engine matches only the children who wait; a sibling settled in a family home stays
    there, and that home is where the waiting child could join them.

    Parameters
    ----------
    id
        The sibling's child id.
    sex
        The sibling's sex (``female``, ``male`` or ``unknown``): reasons say "her sister".
    home_id
        The family home where the sibling lives now.

    Raises
    ------
    InputError
        Naming the sibling id and the field that is wrong.
    """

    id: str
    sex: Sex
    home_id: str

    def __post_init__(self) -> None:
        check = _Checker("PlacedSibling", self.id)
        check.identifier("id", self.id)
        check.code("sex", self.sex, SEXES)
        check.identifier("home_id", self.home_id)


@dataclass(frozen=True, slots=True)
class Decline:
    """A family that said no when called about a child, in the child's current episode.

    Parameters
    ----------
    home_id
        The home that declined.
    on
        The day of the call.
    reason
        Why, as a code (``no_capacity_now``, ``child_needs``, ``age_or_sex``,
        ``sibling_group_size``, ``family_circumstances``, ``distance``, ``other``).

    Raises
    ------
    InputError
        Naming the home id and the field that is wrong.
    """

    home_id: str
    on: date
    reason: str

    def __post_init__(self) -> None:
        check = _Checker("Decline", self.home_id)
        check.identifier("home_id", self.home_id)
        if not isinstance(self.on, date):
            raise check.fail("on", f"expected a datetime.date, got {self.on!r}")
        check.code("reason", self.reason, DECLINE_REASONS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Child:
    """A child who needs a home, as the matching engine sees them.

    Parameters
    ----------
    id
        The case system's child id.
    age
        Age in whole years on the matching date (0 = under 1), 0..21.
    sex
        ``female``, ``male`` or ``unknown``.
    removal
        The removal address (where the child lived when they came into care).
    languages
        ISO 639 codes; the first is the child's primary language. Empty = not recorded.
    religion
        Faith practice to respect, as recorded ("catholic"), or None.
    cultural_needs
        Named, individually assessed needs ("halal diet", "Deaf/ASL", "tribal connection"),
        matched against what homes offer.
    tribe
        The tribe the child is (or may be) a member of, or None.
    icwa
        ``yes``, ``no``, ``reason_to_know`` or None (not asked). ``yes`` and
        ``reason_to_know`` put the child under the ICWA placement preference order.
    needs
        Subset of ``medical``, ``behavioral``, ``developmental``, ``therapeutic``; every
        need must be within a home's capabilities.
    sibling_group
        The sibling group id, or None.
    separate_from
        Children this child must never be placed with (a recorded safety reason).
    excluded_homes
        Homes this child must not go to (e.g. a disrupted placement, a conflict).
    removal_community
        Id of the community containing the removal address, or None (outside all).
    school
        The school of origin, or None when unknown or not in school.
    waiting_since
        The day the child started waiting for a family home, or None.
    birth_date
        The child's date of birth, or None when not given (the coming 18th birthday is then
        unknown).
    placed_siblings
        Brothers and sisters of the child who already live in a family home (not matched
        with the child): the homes where the child could join them.
    declined
        The homes that declined the child in this episode (rule ``declined``).

    Raises
    ------
    InputError
        Naming the child id and the field that is wrong.
    """

    id: str
    age: int
    sex: Sex
    removal: LatLon
    languages: tuple[str, ...] = ()
    religion: str | None = None
    cultural_needs: frozenset[str] = frozenset()
    tribe: str | None = None
    icwa: Icwa | None = None
    needs: frozenset[str] = frozenset()
    sibling_group: str | None = None
    separate_from: frozenset[str] = frozenset()
    excluded_homes: frozenset[str] = frozenset()
    removal_community: str | None = None
    school: LatLon | None = None
    waiting_since: date | None = None
    birth_date: date | None = None
    placed_siblings: frozenset[PlacedSibling] = frozenset()
    declined: frozenset[Decline] = frozenset()

    def __post_init__(self) -> None:
        check = _Checker("Child", self.id)
        check.identifier("id", self.id)
        check.whole("age", self.age, 0, MAX_AGE)
        check.code("sex", self.sex, SEXES)
        check.point("removal", self.removal)
        _set(self, "languages", check.languages("languages", self.languages))
        check.optional_text("religion", self.religion)
        _set(self, "cultural_needs", check.tags("cultural_needs", self.cultural_needs))
        check.optional_text("tribe", self.tribe)
        if self.icwa is not None:
            check.code("icwa", self.icwa, ICWA)
        _set(self, "needs", check.codes("needs", self.needs, NEEDS))
        if self.sibling_group is not None:
            check.identifier("sibling_group", self.sibling_group)
        _set(self, "separate_from", check.ids("separate_from", self.separate_from))
        if self.id in self.separate_from:
            raise check.fail("separate_from", "a child cannot be separated from themselves")
        _set(self, "excluded_homes", check.ids("excluded_homes", self.excluded_homes))
        if self.removal_community is not None:
            check.identifier("removal_community", self.removal_community)
        check.point("school", self.school, optional=True)
        check.day("waiting_since", self.waiting_since)
        check.day("birth_date", self.birth_date)
        _set(self, "placed_siblings", check.siblings("placed_siblings", self.placed_siblings))
        if any(s.id == self.id for s in self.placed_siblings):
            raise check.fail("placed_siblings", "a child is not their own sibling")
        _set(self, "declined", check.declines("declined", self.declined))

    @property
    def sibling_homes(self) -> frozenset[str]:
        """Ids of the family homes where a brother or sister of the child already lives."""
        return frozenset(s.home_id for s in self.placed_siblings)

    def turns_18_on(self, as_of: date, within_days: int = 180) -> date | None:
        """The 18th birthday when it falls from ``as_of`` to ``within_days`` days after it.

        None when it is further away, already past, or the birth date is unknown. A child born
        on 29 February turns 18 on 1 March (the same day as the service's ``age_on``).
        """
        if self.birth_date is None:
            return None
        born = self.birth_date
        try:
            birthday = born.replace(year=born.year + ADULT_AGE)
        except ValueError:  # 29 February, and year + 18 is never a leap year
            birthday = date(born.year + ADULT_AGE, 3, 1)
        if as_of <= birthday <= as_of + timedelta(days=within_days):
            return birthday
        return None

    @property
    def under_icwa(self) -> bool:
        """True when the ICWA placement preferences apply (icwa yes or reason_to_know)."""
        return self.icwa in ("yes", "reason_to_know")

    @property
    def primary_language(self) -> str | None:
        """The child's first language, or None when none is recorded."""
        return self.languages[0] if self.languages else None

    def kept_apart_from(self, other: Child) -> bool:
        """A recorded safety separation between the two children, named by either of them:
        the one check every part of the engine uses."""
        return other.id in self.separate_from or self.id in other.separate_from

    def waited_days(self, as_of: date) -> int | None:
        """Days the child has waited for a family home on ``as_of`` (None: not known)."""
        if self.waiting_since is None:
            return None
        return max(0, (as_of - self.waiting_since).days)


@dataclass(frozen=True, slots=True, kw_only=True)
class Home:
    """A family home that may take children, as the matching engine sees it.

    Parameters
    ----------
    id
        The case system's home id.
    kind
        ``kin``, ``foster``, ``therapeutic`` or ``pre_adoptive``.
    location
        Where the family lives.
    capacity
        Licensed beds (0..50).
    free_beds
        Beds free on the matching date: capacity minus children placed there now, 0..capacity.
    status
        ``active``, ``on_hold`` or ``closed``; only active homes take children.
    community
        Id of the community containing the home, or None.
    age_min, age_max
        Ages (whole years) the home takes; None = no limit on that side.
    accepts_sex
        ``any``, ``female``, ``male`` or None (= any).
    max_siblings
        The largest sibling group the home takes, or None for no limit beyond its beds.
    capabilities
        Subset of the needs plus ``infant`` (takes children under 1).
    languages
        ISO 639 codes the family speaks. Empty = not recorded.
    religion
        The family's faith, or None.
    cultural_offers
        Named cultural needs the family meets ("halal diet", "Deaf/ASL").
    tribe
        The family's tribe, or None. A home with a tribe is an Indian home for ICWA.
    tribe_licensed
        True when the home is licensed or approved by its tribe (needs ``tribe``).
    kin_of
        Children for whom this is a relative or fictive-kin home.
    kin_relationship
        How the family is related to those children, in words ("maternal aunt",
        "grandparents", "family friend"), or None; only with ``kin_of``.
    licensed
        False for a home that is only provisionally approved (e.g. a relative not yet
        licensed): shown as such, and acceptable only as kin of the children asked about.
    placements_last_year
        Placements that started in the home in the 365 days before the matching date.
    last_placed_on
        The start of the most recent placement in the home, or None.
    no_capacity_on
        The day the family last declined a call saying it had no room now, when no call
        since confirmed that it has room; None otherwise. The home is then on hold for the
        policy's ``no_capacity_hold_days`` (rule ``on_hold``).
    calls, calls_accepted
        The home's last answered calls (up to :data:`ACCEPTANCE_CALLS`: accepted, declined
        or no answer) and how many of them it accepted (factor ``acceptance``).

    Raises
    ------
    InputError
        Naming the home id and the field that is wrong.
    """

    id: str
    kind: HomeKind
    location: LatLon
    capacity: int
    free_beds: int
    status: HomeStatus = "active"
    community: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    accepts_sex: AcceptsSex | None = None
    max_siblings: int | None = None
    capabilities: frozenset[str] = frozenset()
    languages: tuple[str, ...] = ()
    religion: str | None = None
    cultural_offers: frozenset[str] = frozenset()
    tribe: str | None = None
    tribe_licensed: bool = False
    kin_of: frozenset[str] = frozenset()
    kin_relationship: str | None = None
    licensed: bool = True
    placements_last_year: int = 0
    last_placed_on: date | None = None
    no_capacity_on: date | None = None
    calls: int = 0
    calls_accepted: int = 0

    def __post_init__(self) -> None:
        check = _Checker("Home", self.id)
        check.identifier("id", self.id)
        check.code("kind", self.kind, HOME_KINDS)
        check.point("location", self.location)
        check.whole("capacity", self.capacity, 0, MAX_BEDS)
        check.whole("free_beds", self.free_beds, 0, self.capacity)
        check.code("status", self.status, HOME_STATUSES)
        if self.community is not None:
            check.identifier("community", self.community)
        check.optional_whole("age_min", self.age_min, 0, MAX_AGE)
        check.optional_whole("age_max", self.age_max, 0, MAX_AGE)
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise check.fail("age_max", f"age_max {self.age_max} is below age_min {self.age_min}")
        if self.accepts_sex is not None:
            check.code("accepts_sex", self.accepts_sex, ACCEPTS_SEX)
        check.optional_whole("max_siblings", self.max_siblings, 1, MAX_BEDS)
        _set(self, "capabilities", check.codes("capabilities", self.capabilities, CAPABILITIES))
        _set(self, "languages", check.languages("languages", self.languages))
        check.optional_text("religion", self.religion)
        _set(self, "cultural_offers", check.tags("cultural_offers", self.cultural_offers))
        check.optional_text("tribe", self.tribe)
        check.flag("tribe_licensed", self.tribe_licensed)
        if self.tribe_licensed and self.tribe is None:
            raise check.fail("tribe_licensed", "a home licensed by its tribe needs a tribe")
        _set(self, "kin_of", check.ids("kin_of", self.kin_of))
        check.optional_text("kin_relationship", self.kin_relationship)
        if self.kin_relationship is not None and not self.kin_of:
            raise check.fail("kin_relationship", "a kin relationship needs kin_of (its children)")
        check.flag("licensed", self.licensed)
        check.whole("placements_last_year", self.placements_last_year, 0)
        check.day("last_placed_on", self.last_placed_on)
        check.day("no_capacity_on", self.no_capacity_on)
        check.whole("calls", self.calls, 0, ACCEPTANCE_CALLS)
        check.whole("calls_accepted", self.calls_accepted, 0, self.calls)


class Communities:
    """The agency's communities: ids, display names and which ones touch.

    Parameters
    ----------
    names
        Community id -> display name ("Lower West Side").
    adjacency
        Community id -> ids of the communities it touches. Made symmetric (if A touches B,
        B touches A); a community missing from it has no neighbours.

    Raises
    ------
    InputError
        A name that is empty, or a neighbour that is not a known community or is the
        community itself.
    """

    __slots__ = ("_names", "_neighbours")

    def __init__(
        self,
        names: Mapping[str, str],
        adjacency: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        for community_id, name in names.items():
            check = _Checker("Community", community_id)
            check.identifier("id", community_id)
            if not isinstance(name, str) or not name.strip():
                raise check.fail("name", f"expected a non-empty name, got {name!r}")
        neighbours: dict[str, set[str]] = {community_id: set() for community_id in names}
        for community_id, touching in (adjacency or {}).items():
            check = _Checker("Community", community_id)
            if community_id not in names:
                raise check.fail("adjacency", "not a known community (it has no name)")
            for other in check.ids("adjacency", touching):
                if other == community_id:
                    raise check.fail("adjacency", "a community is not its own neighbour")
                if other not in names:
                    raise check.fail("adjacency", f"neighbour {other!r} is not a known community")
                neighbours[community_id].add(other)
                neighbours[other].add(community_id)
        self._names: Mapping[str, str] = MappingProxyType(dict(names))
        self._neighbours: Mapping[str, frozenset[str]] = MappingProxyType(
            {k: frozenset(v) for k, v in neighbours.items()}
        )

    @classmethod
    def from_index(cls, index: CommunityIndex) -> Communities:
        """The communities of a :class:`geo.CommunityIndex` (names and touching polygons)."""
        return cls(
            {c.id: c.name for c in index.communities},
            {c.id: index.neighbours(c.id) for c in index.communities},
        )

    @property
    def ids(self) -> frozenset[str]:
        """Every community id."""
        return frozenset(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, community_id: object) -> bool:
        return community_id in self._names

    def name(self, community_id: str) -> str:
        """The display name of a community (``KeyError`` naming an unknown id)."""
        try:
            return self._names[community_id]
        except KeyError:
            raise KeyError(f"unknown community {community_id!r}") from None

    def neighbours(self, community_id: str) -> frozenset[str]:
        """Ids of the communities that touch this one (not itself)."""
        self.name(community_id)
        return self._neighbours[community_id]

    def __repr__(self) -> str:
        return f"Communities({len(self)} communities)"
