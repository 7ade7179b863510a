"""The homes as numpy columns: built once, then every request is a handful of array operations.

Ranking scans every home for every request, so the homes are kept column by column (one
array per attribute, one position per home) and the rules and factors are vectorised over
them. Building a snapshot loops over the homes once in Python; ranking against it never
does. A snapshot is immutable: when records change, build a new one.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.inputs import CAPABILITIES, MAX_AGE, MAX_BEDS, NEEDS, Home, InputError

__all__ = ["CAPABILITY_BITS", "HomeSnapshot"]

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# one bit per capability code, in the order of inputs.CAPABILITIES
CAPABILITY_BITS: dict[str, int] = {code: 1 << i for i, code in enumerate(CAPABILITIES)}
ACCEPTS_CODES = {None: 0, "any": 0, "female": 1, "male": 2}
SEX_CODES = {"female": 1, "male": 2, "unknown": 3}
NO_CODE = -1  # the home has no value (no religion, no tribe, outside every community)
UNKNOWN_CODE = -2  # a value no home has: compares unequal to every home, NO_CODE included


def bits(codes: Iterable[str]) -> int:
    """The capability bitmask of a set of codes (needs or capabilities)."""
    mask = 0
    for code in codes:
        mask |= CAPABILITY_BITS[code]
    return mask


def unit_vectors(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """``(3, n)`` unit vectors on the sphere for latitudes and longitudes in degrees."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    array.flags.writeable = False
    return array


class _Vocabulary:
    """Codes for a text attribute (religion, tribe, community): value -> small integer."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def add(self, value: str | None) -> int:
        if value is None:
            return NO_CODE
        return self.codes.setdefault(value, len(self.codes))

    def code(self, value: str | None) -> int:
        if value is None:
            return UNKNOWN_CODE
        return self.codes.get(value, UNKNOWN_CODE)


class HomeSnapshot:
    """Every home as numpy columns, positions ``0..n-1`` in the order given.

    Parameters
    ----------
    homes
        The homes, each a :class:`~matching.inputs.Home`. Ids must be unique. Closed homes
        may be left out (they can never take a child); they are kept if passed, and counted
        under the "Home active" rule.
    as_of
        The day the snapshot describes: free beds are free on this day, and how long ago a
        home last took a child is counted from it.

    Attributes
    ----------
    ids
        Home ids by position.
    homes
        The :class:`Home` values by position (explanations read them for the few homes
        shown; the hot path reads only the arrays).
    lat, lon
        Location in degrees.
    xyz
        ``(3, n)``: the location as a unit vector (for fast radius tests).
    active, licensed, kin_kind
        Status is active; fully licensed; kind is ``kin``.
    free_beds, max_siblings
        Free beds; the largest sibling group taken (no limit = 50, the bed limit).
    age_min, age_max
        Ages taken (no limit = 0 and 21).
    accepts
        0 any, 1 female only, 2 male only.
    capabilities
        Bitmask of :data:`CAPABILITY_BITS`.
    takes_age, takes_sex, meets_needs
        ``(values, homes)`` answers of the age rule per age 0..21 (infants included), of the
        sex rule per sex code (1 female, 2 male, 3 unknown) and of the needs rule per needs
        bitmask: precomputed, so ranking looks them up.
    religion, tribe, community
        Codes (``-1`` none); see :meth:`religion_code`, :meth:`tribe_code`,
        :meth:`community_code`.
    tribe_licensed
        Licensed or approved by its tribe.
    placements_last_year
        Placements started in the last year.
    days_since_placed
        Days from the last placement to ``as_of`` (NaN: none on record).
    days_since_no_capacity
        Days from the family's last "no capacity now" to ``as_of`` (NaN: none standing).
    calls, calls_accepted
        The home's last answered calls and how many it accepted.
    id_order
        Position of each home's id in sorted order: the deterministic tie-break.
    """

    def __init__(self, homes: Sequence[Home], *, as_of: date) -> None:
        if not isinstance(as_of, date):
            raise TypeError(f"as_of must be a datetime.date, got {as_of!r}")
        seen: dict[str, int] = {}
        for i, home in enumerate(homes):
            if not isinstance(home, Home):
                raise TypeError(f"homes[{i}] is not a matching.Home: {home!r}")
            if home.id in seen:
                raise InputError(
                    "Home", home.id, "id", f"duplicate id (positions {seen[home.id]} and {i})"
                )
            seen[home.id] = i
        self.as_of = as_of
        self.homes: tuple[Home, ...] = tuple(homes)
        self.ids: tuple[str, ...] = tuple(h.id for h in self.homes)
        self._position: dict[str, int] = seen
        n = len(self.homes)

        def column(values: Iterable[Any], dtype: Any) -> NDArray[Any]:
            return _frozen(np.fromiter(values, dtype=dtype, count=n))

        hs = self.homes
        self.lat: FloatArray = column((h.location.lat for h in hs), np.float64)
        self.lon: FloatArray = column((h.location.lon for h in hs), np.float64)
        # unit vectors: "within r km" is then one dot product per home, no trigonometry
        self.xyz: FloatArray = _frozen(unit_vectors(self.lat, self.lon))
        self.active: BoolArray = column((h.status == "active" for h in hs), np.bool_)
        self.licensed: BoolArray = column((h.licensed for h in hs), np.bool_)
        self.kin_kind: BoolArray = column((h.kind == "kin" for h in hs), np.bool_)
        self.free_beds: IntArray = column((h.free_beds for h in hs), np.int64)
        self.max_siblings: IntArray = column(
            (MAX_BEDS if h.max_siblings is None else h.max_siblings for h in hs), np.int64
        )
        self.age_min: IntArray = column((h.age_min or 0 for h in hs), np.int64)
        self.age_max: IntArray = column(
            (MAX_AGE if h.age_max is None else h.age_max for h in hs), np.int64
        )
        self.accepts: IntArray = column((ACCEPTS_CODES[h.accepts_sex] for h in hs), np.int64)
        self.capabilities: IntArray = column((bits(h.capabilities) for h in hs), np.int64)
        # every answer the age, sex and needs rules can give, worked out once per snapshot:
        # a request then looks its children's rows up instead of comparing 50,000 homes
        takes_infants = (self.capabilities & CAPABILITY_BITS["infant"]) != 0
        ages = np.arange(MAX_AGE + 1)[:, None]
        self.takes_age: BoolArray = _frozen(
            (self.age_min <= ages) & (ages <= self.age_max) & ((ages >= 1) | takes_infants)
        )
        self.takes_sex: BoolArray = _frozen(
            (self.accepts == 0) | (self.accepts == np.arange(len(SEX_CODES) + 1)[:, None])
        )
        combos = np.arange(1 << len(NEEDS))[:, None]
        self.meets_needs: BoolArray = _frozen((self.capabilities & combos) == combos)
        self.tribe_licensed: BoolArray = column((h.tribe_licensed for h in hs), np.bool_)
        self.placements_last_year: IntArray = column((h.placements_last_year for h in hs), np.int64)
        self.days_since_placed: FloatArray = column(
            (
                np.nan if h.last_placed_on is None else max(0, (as_of - h.last_placed_on).days)
                for h in hs
            ),
            np.float64,
        )
        self.days_since_no_capacity: FloatArray = column(
            (
                np.nan if h.no_capacity_on is None else max(0, (as_of - h.no_capacity_on).days)
                for h in hs
            ),
            np.float64,
        )
        self._held: dict[int, BoolArray] = {}  # on_hold() per hold length, built once
        self.calls: IntArray = column((h.calls for h in hs), np.int64)
        self.calls_accepted: IntArray = column((h.calls_accepted for h in hs), np.int64)

        religions, tribes, communities = _Vocabulary(), _Vocabulary(), _Vocabulary()
        self.religion: IntArray = column((religions.add(h.religion) for h in hs), np.int64)
        self.tribe: IntArray = column((tribes.add(h.tribe) for h in hs), np.int64)
        self.community: IntArray = column((communities.add(h.community) for h in hs), np.int64)
        self._religions, self._tribes, self._communities = religions, tribes, communities
        self.community_ids: tuple[str, ...] = tuple(communities.codes)

        # one boolean column per language and per cultural offer: a child's language is then
        # one dictionary lookup and one array, whatever the number of languages in the agency
        self._languages = self._indicator_columns((h.languages for h in hs), n)
        self._offers = self._indicator_columns((h.cultural_offers for h in hs), n)
        self._nobody: BoolArray = _frozen(np.zeros(n, dtype=np.bool_))

        kin: dict[str, list[int]] = {}
        for i, h in enumerate(hs):
            for child_id in h.kin_of:
                kin.setdefault(child_id, []).append(i)
        self._kin = MappingProxyType(
            {c: _frozen(np.array(p, dtype=np.intp)) for c, p in kin.items()}
        )
        self.id_order: IntArray = _frozen(
            np.argsort(np.argsort(np.array(self.ids, dtype=object), kind="stable")).astype(np.int64)
        )

    def on_day(
        self,
        as_of: date,
        *,
        free_beds: IntArray,
        active: BoolArray,
        licensed: BoolArray,
        placements_last_year: IntArray,
        days_since_placed: FloatArray,
    ) -> HomeSnapshot:
        """The same homes on another day: what changes from day to day replaced, the rest
        shared (no loop over the homes).

        A replay of the records (``replay``) moves through a year one day at a time; rebuilding
        every column each day would cost more than the matching itself. The arrays are by
        position, as the attributes of the same names. The :attr:`homes` values keep the
        description they were built with; the rules and factors read the columns.
        """
        n = len(self)
        day = copy.copy(self)
        day.as_of = as_of
        for name, array, dtype in (
            ("free_beds", free_beds, np.int64),
            ("active", active, np.bool_),
            ("licensed", licensed, np.bool_),
            ("placements_last_year", placements_last_year, np.int64),
            ("days_since_placed", days_since_placed, np.float64),
        ):
            if array.shape != (n,):
                raise ValueError(f"{name}: expected {n} values (one per home), got {array.shape}")
            setattr(day, name, _frozen(np.array(array, dtype=dtype)))
        return day

    @staticmethod
    def _indicator_columns(values: Iterable[Iterable[str]], n: int) -> dict[str, BoolArray]:
        positions: dict[str, list[int]] = {}
        for i, items in enumerate(values):
            for item in items:
                positions.setdefault(item, []).append(i)
        columns: dict[str, BoolArray] = {}
        for item, where in positions.items():
            col = np.zeros(n, dtype=np.bool_)
            col[where] = True
            columns[item] = _frozen(col)
        return columns

    # -- lookups -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"HomeSnapshot({len(self)} homes as of {self.as_of.isoformat()})"

    def position(self, home_id: str) -> int:
        """The position of a home (``KeyError`` naming an unknown id)."""
        try:
            return self._position[home_id]
        except KeyError:
            raise KeyError(f"unknown home {home_id!r}") from None

    def positions(self, home_ids: Iterable[str]) -> NDArray[np.intp]:
        """Positions of the ids that are in the snapshot (unknown ids are skipped)."""
        found = [self._position[h] for h in home_ids if h in self._position]
        return np.array(sorted(found), dtype=np.intp)

    def kin_positions(self, child_id: str) -> NDArray[np.intp]:
        """Positions of the homes that are kin of a child (may be empty)."""
        return self._kin.get(child_id, np.empty(0, dtype=np.intp))

    def on_hold(self, hold_days: int) -> BoolArray:
        """Which homes said "no capacity now" less than ``hold_days`` days before ``as_of``
        (worked out once per hold length: every request of a policy asks the same)."""
        found = self._held.get(hold_days)
        if found is None:
            found = self._held[hold_days] = _frozen(self.days_since_no_capacity < hold_days)
        return found

    def speaks(self, language: str) -> BoolArray:
        """Which homes speak a language (all False for a language no home speaks)."""
        return self._languages.get(language, self._nobody)

    def offers(self, tag: str) -> BoolArray:
        """Which homes offer a named cultural need."""
        return self._offers.get(tag, self._nobody)

    def religion_code(self, religion: str | None) -> int:
        """The code of a religion in :attr:`religion`; matches no home when no home has it."""
        return self._religions.code(religion)

    def tribe_code(self, tribe: str | None) -> int:
        """The code of a tribe in :attr:`tribe`; matches no home when no home has it."""
        return self._tribes.code(tribe)

    def community_code(self, community_id: str | None) -> int:
        """The code of a community in :attr:`community`; matches no home when none is in it."""
        return self._communities.code(community_id)
