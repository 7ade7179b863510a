"""One request: the children asked about together, and the arrays every rule and factor shares.

A :class:`PlacementRequest` is one child or one sibling group, in a canonical order (by id) so that
the same children give the same result whatever order the caller passes them in. A
:class:`Context` is one request against one snapshot under one policy; it computes what
several rules need (which homes are kin of these children, which are within the radius)
once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from geo.distance import EARTH_RADIUS_KM, haversine_km
from matching.inputs import Child, InputError
from matching.policy import Policy
from matching.snapshot import SEX_CODES, HomeSnapshot, bits, unit_vectors

__all__ = ["Context", "PlacementRequest", "within_km"]

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


class PlacementRequest:
    """The children to be placed together: one child, or every child of a sibling group.

    Parameters
    ----------
    children
        At least one :class:`~matching.inputs.Child`, each id once. Kept sorted by id.

    Attributes
    ----------
    children, ids, size
        The children (sorted by id), their ids, how many.
    ages, sexes, needs
        Per child: age in years; sex code (1 female, 2 male, 3 unknown); needs bitmask.
    separated
        Pairs ``(i, j)``, ``i < j``, of children of this request who must not live together.
    """

    __slots__ = ("ages", "children", "ids", "needs", "separated", "sexes", "size")

    def __init__(self, children: Iterable[Child]) -> None:
        given = list(children)
        if not given:
            raise ValueError("a request needs at least one child")
        seen: set[str] = set()
        for i, child in enumerate(given):
            if not isinstance(child, Child):
                raise TypeError(f"children[{i}] is not a matching.Child: {child!r}")
            if child.id in seen:
                raise InputError("Child", child.id, "id", "passed twice in one request")
            seen.add(child.id)
        self.children: tuple[Child, ...] = tuple(sorted(given, key=lambda c: c.id))
        self.ids: tuple[str, ...] = tuple(c.id for c in self.children)
        self.size = len(self.children)
        self.ages: IntArray = np.array([c.age for c in self.children], dtype=np.int64)
        self.sexes: IntArray = np.array([SEX_CODES[c.sex] for c in self.children], dtype=np.int64)
        self.needs: IntArray = np.array([bits(c.needs) for c in self.children], dtype=np.int64)
        self.separated: tuple[tuple[int, int], ...] = tuple(
            (i, j)
            for i, a in enumerate(self.children)
            for j in range(i + 1, self.size)
            if a.kept_apart_from(self.children[j])
        )

    def __repr__(self) -> str:
        return f"PlacementRequest({', '.join(self.ids)})"

    @property
    def internally_separated(self) -> bool:
        """True when two of these children must not live together: no home takes them all."""
        return bool(self.separated)

    def separation_free(self, members: Iterable[int]) -> bool:
        """True when no two of these children (by index) are separated."""
        chosen = set(members)
        return not any(i in chosen and j in chosen for i, j in self.separated)

    def describe(self) -> str:
        """The ids for a sentence: "C1" or "C1, C2 and C3"."""
        return join_words(self.ids)


def join_words(items: Iterable[str]) -> str:
    """Words joined for a sentence: "a", "a and b", "a, b and c"."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


# Homes whose dot product with the centre is this close to cos(radius) are decided by the
# haversine instead: the dot product carries ~1e-16 absolute error, so the band is far wider
# than the error and, at 25 km, under 2 mm wide.
_BAND = 1e-12


def within_km(lat0: float, lon0: float, radius_km: float, snapshot: HomeSnapshot) -> BoolArray:
    """Which homes are within ``radius_km`` (haversine distance, inclusive) of a point.

    Two points are within angle ``r`` of each other when the dot product of their unit
    vectors is at least ``cos(r)``: three multiply-adds per home instead of the haversine's
    trigonometry, which was most of ranking's time. Homes in a thin band around the
    threshold get the haversine itself, so the answer always agrees with ``haversine_km``.
    """
    angle = min(radius_km / EARTH_RADIUS_KM, math.pi)
    centre = unit_vectors(np.array([lat0]), np.array([lon0]))[:, 0]
    dot = centre @ snapshot.xyz
    threshold = math.cos(angle)
    out: BoolArray = dot >= threshold + _BAND
    band = np.flatnonzero((dot >= threshold - _BAND) & ~out)
    if len(band):
        d = haversine_km(lat0, lon0, snapshot.lat[band], snapshot.lon[band])
        out[band] = d <= radius_km
    return out


class Context:
    """One request against one snapshot under one policy, with shared arrays computed once.

    Rules and factors read the request's arrays from here; the expensive ones (kin, the
    radius) are computed on first use and kept.
    """

    def __init__(self, request: PlacementRequest, snapshot: HomeSnapshot, policy: Policy) -> None:
        self.request = request
        self.snapshot = snapshot
        self.policy = policy
        # rule name -> its (children, homes) masks, kept for near misses and explanations
        self.memo: dict[str, BoolArray] = {}

    @property
    def n(self) -> int:
        """Number of homes."""
        return len(self.snapshot)

    @cached_property
    def kin_by_child(self) -> BoolArray:
        """``(children, homes)``: the home is kin of the child."""
        out = np.zeros((self.request.size, self.n), dtype=np.bool_)
        for i, child_id in enumerate(self.request.ids):
            out[i, self.snapshot.kin_positions(child_id)] = True
        return out

    @cached_property
    def kin(self) -> BoolArray:
        """Homes that are kin of any of these children."""
        return np.asarray(self.kin_by_child.any(axis=0), dtype=np.bool_)

    @cached_property
    def within_radius(self) -> BoolArray:
        """``(children, homes)``: within the search radius of the child's removal address."""
        return self.within(self.policy.radius_km)

    def within(self, radius_km: float) -> BoolArray:
        """``(children, homes)``: within ``radius_km`` of each child's removal address."""
        out = np.empty((self.request.size, self.n), dtype=np.bool_)
        done: dict[tuple[float, float], int] = {}
        s = self.snapshot
        for i, child in enumerate(self.request.children):
            point = (child.removal.lat, child.removal.lon)
            if point in done:  # siblings removed together share the address: compute once
                out[i] = out[done[point]]
                continue
            out[i] = within_km(point[0], point[1], radius_km, s)
            done[point] = i
        return out

    def distances_km(self, positions: NDArray[np.intp]) -> FloatArray:
        """``(children, len(positions))``: haversine km from each child's removal address."""
        s = self.snapshot
        lat = np.array([c.removal.lat for c in self.request.children])[:, None]
        lon = np.array([c.removal.lon for c in self.request.children])[:, None]
        return haversine_km(lat, lon, s.lat[positions][None, :], s.lon[positions][None, :])
