"""A tiny town to build matching instances in a line each: three communities, default records.

Community A is where children are removed from; B touches A; C touches neither. Homes are
placed by kilometres north of the removal address, so distances in a test read as written.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from geo import LatLon
from geo.distance import EARTH_RADIUS_KM
from matching import (
    Child,
    Communities,
    Home,
    HomeSnapshot,
    Policy,
    RankResult,
    load_policy,
    rank,
)

AS_OF = date(2026, 3, 1)
REMOVAL = LatLon(41.85, -87.65)
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180.0  # along a meridian, on the haversine sphere


def north(km: float, of: LatLon = REMOVAL) -> LatLon:
    """The point ``km`` north of ``of`` (exact for the haversine distance)."""
    return LatLon(of.lat + km / KM_PER_DEGREE, of.lon)


class Town:
    """Builders for children, homes and a snapshot in the test town."""

    communities = Communities({"A": "Lower West Side", "B": "Pilsen", "C": "Loop"}, {"A": ["B"]})

    as_of = AS_OF
    north = staticmethod(north)

    def __init__(self) -> None:
        self.policy: Policy = load_policy()

    def child(self, id: str = "C1", **fields: Any) -> Child:
        """A child of 8, female, speaking English, removed in community A."""
        values: dict[str, Any] = {
            "age": 8,
            "sex": "female",
            "removal": REMOVAL,
            "removal_community": "A",
            "languages": ("en",),
        }
        values.update(fields)
        return Child(id=id, **values)

    def home(self, id: str, km: float = 1.0, **fields: Any) -> Home:
        """An active, licensed foster home ``km`` north of the removal address, one free bed."""
        values: dict[str, Any] = {
            "kind": "foster",
            "location": north(km),
            "community": "A",
            "capacity": 1,
            "free_beds": 1,
            "languages": ("en",),
        }
        values.update(fields)
        if "free_beds" in fields and "capacity" not in fields:
            values["capacity"] = max(values["free_beds"], 1)
        return Home(id=id, **values)

    def snapshot(self, homes: Sequence[Home]) -> HomeSnapshot:
        return HomeSnapshot(homes, as_of=AS_OF)

    def rank(
        self,
        children: Sequence[Child],
        homes: Sequence[Home],
        policy: Policy | None = None,
        limit: int = 10,
    ) -> RankResult:
        """Rank ``homes`` for ``children`` under the default (or given) policy."""
        return rank(
            children, self.snapshot(homes), self.communities, policy or self.policy, limit=limit
        )


@pytest.fixture
def town() -> Town:
    """The tiny town's builders."""
    return Town()
