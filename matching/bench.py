"""Timing :func:`matching.rank` on seeded random homes (for ``fostermatch bench``).

Speed is measured here, never asserted by tests (the target, README "Benchmark": ranked
matches for one request over 50,000 homes in under 5 ms). The instance is random but seeded,
with the attribute mix of a real agency (a third of homes full, most taking any sex, a few
kin homes, several languages); homes and removal addresses are spread uniformly over a box,
so the box's size sets how many homes are within the radius.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from geo import LatLon
from matching.inputs import NEEDS, Child, Communities, Home
from matching.policy import Policy, load_policy
from matching.rank import rank
from matching.snapshot import HomeSnapshot

__all__ = [
    "CHICAGO_BOX",
    "ILLINOIS_BOX",
    "RankTimings",
    "compare_plan_greedy",
    "plan_instance",
    "random_instance",
    "time_rank",
]

# (south, west, north, east) in degrees
CHICAGO_BOX = (41.64, -87.94, 42.03, -87.52)  # a dense county: most homes within 25 km
ILLINOIS_BOX = (36.97, -91.51, 42.51, -87.50)  # a state: a few hundred homes within 25 km
AS_OF = date(2026, 1, 1)
GRID_SIDE = 20  # communities per side of the square grid over the box
_LANGUAGES = ("en", "es", "pl", "zh", "ar", "ur", "vi", "ko", "tl", "so", "fr", "ru", "ase")
_FAITHS = ("protestant", "catholic", "muslim", "jewish", "buddhist", "hindu", "orthodox")
_OFFERS = ("halal diet", "kosher diet", "vegetarian diet", "Deaf/ASL", "LGBTQ+ affirming")
_TRIBES = ("Ho-Chunk Nation", "Oneida Nation", "Menominee Indian Tribe of Wisconsin")


@dataclass(frozen=True, slots=True)
class RankTimings:
    """Milliseconds per :func:`rank` call over one snapshot."""

    homes: int
    requests: int
    median_ms: float
    p95_ms: float
    mean_candidates: float
    snapshot_build_s: float

    def to_json(self) -> dict[str, float | int]:
        return {
            "homes": self.homes,
            "requests": self.requests,
            "median_ms": round(self.median_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "mean_candidates": round(self.mean_candidates, 1),
            "snapshot_build_s": round(self.snapshot_build_s, 2),
        }


def _communities(box: tuple[float, float, float, float], side: int) -> Communities:
    """A grid of ``side`` x ``side`` square communities over the box, touching by edge."""
    names = {f"{r}-{c}": f"Area {r}-{c}" for r in range(side) for c in range(side)}
    adjacency = {
        f"{r}-{c}": [f"{r + 1}-{c}"] * (r + 1 < side) + [f"{r}-{c + 1}"] * (c + 1 < side)
        for r in range(side)
        for c in range(side)
    }
    return Communities(names, adjacency)


def _cell(lat: float, lon: float, box: tuple[float, float, float, float], side: int) -> str:
    south, west, north, east = box
    r = min(int((lat - south) / (north - south) * side), side - 1)
    c = min(int((lon - west) / (east - west) * side), side - 1)
    return f"{r}-{c}"


def random_instance(
    n_homes: int,
    n_children: int,
    *,
    box: tuple[float, float, float, float] = ILLINOIS_BOX,
    seed: int = 0,
) -> tuple[list[Home], list[Child], Communities]:
    """Seeded random homes and children (single children: the common request) in a box."""
    rng = np.random.default_rng(seed)
    side = GRID_SIDE
    communities = _communities(box, side)
    south, west, north, east = box
    homes = []
    for i in range(n_homes):
        lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        kind = str(
            rng.choice(["foster", "kin", "therapeutic", "pre_adoptive"], p=[0.55, 0.3, 0.07, 0.08])
        )
        capacity = int(rng.integers(1, 6))
        age_min, age_max = [(None, None), (0, 5), (0, 11), (5, 17), (11, 17)][int(rng.integers(5))]
        homes.append(
            Home(
                id=f"H{i:06d}",
                kind=kind,  # type: ignore[arg-type]  # drawn from the codes above
                location=LatLon(lat, lon),
                community=_cell(lat, lon, box, side),
                capacity=capacity,
                free_beds=int(rng.integers(0, capacity + 1)),
                status="active" if rng.random() < 0.9 else "on_hold",
                age_min=age_min,
                age_max=age_max,
                accepts_sex=str(rng.choice(["any", "female", "male"], p=[0.85, 0.08, 0.07])),  # type: ignore[arg-type]
                max_siblings=int(rng.integers(1, capacity + 1)) if rng.random() < 0.2 else None,
                capabilities=frozenset(c for c in (*NEEDS, "infant") if rng.random() < 0.3),
                languages=("en",)
                + ((str(rng.choice(_LANGUAGES[1:])),) if rng.random() < 0.25 else ()),
                religion=str(rng.choice(_FAITHS)) if rng.random() < 0.5 else None,
                cultural_offers=frozenset(o for o in _OFFERS if rng.random() < 0.05),
                tribe=str(rng.choice(_TRIBES)) if rng.random() < 0.01 else None,
                kin_of=frozenset({f"C{int(rng.integers(n_children)):06d}"})
                if kind == "kin"
                else frozenset(),
                licensed=kind != "kin" or rng.random() < 0.7,
                placements_last_year=int(rng.poisson(0.8)),
                last_placed_on=AS_OF - timedelta(days=int(rng.integers(1, 2000)))
                if rng.random() < 0.8
                else None,
            )
        )
    children = []
    for i in range(n_children):
        lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        children.append(
            Child(
                id=f"C{i:06d}",
                age=int(rng.integers(0, 18)),
                sex=str(rng.choice(["female", "male"])),  # type: ignore[arg-type]
                removal=LatLon(lat, lon),
                removal_community=_cell(lat, lon, box, side),
                languages=(str(rng.choice(_LANGUAGES, p=[0.7] + [0.3 / 12] * 12)), "en"),
                religion=str(rng.choice(_FAITHS)) if rng.random() < 0.3 else None,
                cultural_needs=frozenset(o for o in _OFFERS if rng.random() < 0.03),
                icwa="yes" if rng.random() < 0.01 else "no",
                tribe=str(rng.choice(_TRIBES)) if rng.random() < 0.01 else None,
                needs=frozenset(n for n in NEEDS if rng.random() < 0.15),
                school=LatLon(lat + rng.normal(0, 0.02), lon + rng.normal(0, 0.02))
                if rng.random() < 0.7
                else None,
            )
        )
    return homes, children, communities


def time_rank(
    n_homes: int = 50_000,
    requests: int = 300,
    *,
    box: tuple[float, float, float, float] = ILLINOIS_BOX,
    seed: int = 0,
    policy: Policy | None = None,
    limit: int = 10,
) -> RankTimings:
    """Median and 95th percentile of :func:`rank` for single children, snapshot built once.

    A few warm-up calls run first and are not counted (first-call allocations).
    """
    policy = policy or load_policy()
    homes, children, communities = random_instance(n_homes, requests, box=box, seed=seed)
    start = time.perf_counter()
    snapshot = HomeSnapshot(homes, as_of=AS_OF)
    build_s = time.perf_counter() - start
    for child in children[:5]:
        rank([child], snapshot, communities, policy, limit=limit)
    times, found = [], []
    for child in children:
        start = time.perf_counter()
        result = rank([child], snapshot, communities, policy, limit=limit)
        times.append((time.perf_counter() - start) * 1000.0)
        found.append(result.eligible_homes)
    return RankTimings(
        homes=n_homes,
        requests=requests,
        median_ms=float(np.median(times)),
        p95_ms=float(np.percentile(times, 95)),
        mean_candidates=float(np.mean(found)),
        snapshot_build_s=build_s,
    )


def plan_instance(
    n_homes: int = 10_000,
    n_children: int = 2_000,
    *,
    box: tuple[float, float, float, float] = ILLINOIS_BOX,
    seed: int = 0,
) -> tuple[list[Home], list[Child], Communities]:
    """:func:`random_instance` with a quarter of the children in sibling groups of 2 or 3.

    Members of a group share the first member's removal address and school, as siblings
    removed together do. Kin homes are named for waiting children and placed as
    :func:`_kin_near_their_children` says.
    """
    homes, children, communities = random_instance(n_homes, n_children, box=box, seed=seed)
    rng = np.random.default_rng(seed + 1)
    grouped: list[Child] = []
    i = group = 0
    while i < len(children):
        size = int(rng.choice([1, 2, 3], p=[0.75, 0.17, 0.08]))
        members = children[i : i + size]
        if len(members) > 1:
            first = members[0]
            members = [
                replace(
                    c,
                    sibling_group=f"G{group:05d}",
                    removal=first.removal,
                    removal_community=first.removal_community,
                    school=first.school,
                )
                for c in members
            ]
            group += 1
        grouped += members
        i += size
    return _kin_near_their_children(homes, grouped, box, rng), grouped, communities


KIN_FOR_WAITING = 0.1  # share of kin homes named for a waiting child (the rest: placed there)
KIN_NEARBY = 0.75  # share of those within a few km of the child's home (the rest: anywhere)
KIN_SPREAD_KM = 8.0  # standard deviation of the nearby ones, north-south and east-west


def _kin_near_their_children(
    homes: list[Home],
    children: list[Child],
    box: tuple[float, float, float, float],
    rng: np.random.Generator,
) -> list[Home]:
    """Kin homes as a waiting list sees them, not named for any child anywhere at random.

    Most approved kin homes already care for the child they were approved for, who is not
    waiting. A tenth are named for a waiting child (with the siblings): about one waiting
    child in seven. Relatives mostly live near the child's home: three in four within a few
    km of the removal address, the rest anywhere in the area.
    """
    south, west, north, east = box
    units: dict[str, list[Child]] = {}
    for child in children:
        units.setdefault(child.sibling_group or child.id, []).append(child)
    keys = list(units)
    out = []
    for i, home in enumerate(homes):
        if home.kind != "kin":
            out.append(home)
            continue
        if rng.random() >= KIN_FOR_WAITING:
            out.append(replace(home, kin_of=frozenset({f"P{i:06d}"})))
            continue
        unit = units[keys[int(rng.integers(len(keys)))]]
        lat, lon = home.location.lat, home.location.lon
        if rng.random() < KIN_NEARBY:
            removal = unit[0].removal
            km_per_degree_lon = 111.32 * np.cos(np.radians(removal.lat))
            lat = float(np.clip(removal.lat + rng.normal(0, KIN_SPREAD_KM) / 110.57, south, north))
            lon = float(
                np.clip(removal.lon + rng.normal(0, KIN_SPREAD_KM) / km_per_degree_lon, west, east)
            )
        out.append(
            replace(
                home,
                location=LatLon(lat, lon),
                community=_cell(lat, lon, box, GRID_SIDE),
                kin_of=frozenset(c.id for c in unit),
            )
        )
    return out


def compare_plan_greedy(
    n_homes: int = 10_000,
    n_children: int = 2_000,
    *,
    time_limit_s: float = 10.0,
    seed: int = 0,
    policy: Policy | None = None,
) -> dict[str, object]:
    """Plan and greedy on the same seeded instance: runtime, status, gap and the comparison.

    The greedy figures are the lawful baseline's, which the plan computes and carries.
    """
    from matching.plan import plan

    policy = policy or load_policy()
    homes, children, communities = plan_instance(n_homes, n_children, seed=seed)
    snapshot = HomeSnapshot(homes, as_of=AS_OF)
    planned = plan(children, snapshot, communities, policy, time_limit_s=time_limit_s, seed=seed)
    assert planned.baseline is not None  # a cp-sat plan always carries its baseline
    keys = (
        "placed",
        "sibling_groups",
        "sibling_groups_whole",
        "own_community",
        "mean_distance_km",
        "non_kin_mean_distance_km",
        "kin",
    )
    return {
        "plan": {
            "children": len(children),
            "homes": n_homes,
            "runtime_s": round(planned.runtime_s, 2),
            "gap": planned.gap,
            "status": planned.status,
        },
        "plan_vs_greedy": {
            "plan": _figures(planned.summary_figures, keys),
            "greedy": _figures(planned.baseline, keys),
        },
    }


def _figures(summary: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The comparison's figures, with the shares the benchmark compares."""
    out = {k: summary.get(k) for k in keys}
    groups, placed = summary["sibling_groups"], summary["placed"]
    out["sibling_groups_whole_pct"] = (
        round(100 * summary["sibling_groups_whole"] / groups, 1) if groups else None
    )
    out["own_community_pct"] = round(100 * summary["own_community"] / placed, 1) if placed else None
    out["long_waiting_placed"] = summary["long_waiting"]["placed"]
    return out
