"""A tiny town to build matching instances in a line each: three communities, default records.

Community A is where children are removed from; B touches A; C touches neither. Homes are
placed by kilometres north of the removal address, so distances in a test read as written.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import date
from typing import Any

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


def random_instance(town: Town, rng: random.Random) -> tuple[list[Child], list[Home]]:
    """Up to 5 children (maybe one sibling pair) and up to 4 homes with a few rules in play."""
    n_children, n_homes = rng.randint(1, 5), rng.randint(1, 4)
    children = []
    for i in range(n_children):
        children.append(
            town.child(
                f"C{i}",
                age=rng.choice([3, 8, 14]),
                sex=rng.choice(["female", "male"]),
                languages=(rng.choice(["en", "es"]),),
                needs=frozenset({"medical"}) if rng.random() < 0.2 else frozenset(),
                sibling_group="G" if i < 2 and rng.random() < 0.7 else None,
                separate_from=frozenset({"C0"}) if i == 3 and rng.random() < 0.5 else frozenset(),
            )
        )
    homes = []
    for j in range(n_homes):
        kin = rng.random() < 0.2
        homes.append(
            town.home(
                f"H{j}",
                km=rng.choice([1.0, 4.0, 12.0, 30.0]),
                free_beds=rng.randint(0, 3),
                capacity=3,
                age_min=rng.choice([None, 0, 6]),
                age_max=rng.choice([None, 10, 17]),
                accepts_sex=rng.choice(["any", "any", "female"]),
                capabilities=frozenset({"medical"}) if rng.random() < 0.5 else frozenset(),
                languages=(rng.choice(["en", "es"]),),
                community=rng.choice(["A", "B", "C"]),
                kind="kin" if kin else "foster",
                kin_of=frozenset({f"C{rng.randrange(n_children)}"}) if kin else frozenset(),
                max_siblings=rng.choice([None, None, 1]),
            )
        )
    return children, homes
