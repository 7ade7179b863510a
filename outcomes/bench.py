"""A seeded synthetic agency at scale, and the timing of every measure over it.

The generator is vectorised (numpy), so a million placements take a few seconds to build;
only :func:`evaluate` (with validation, every breakdown and the yearly trend) is timed.
Speed is reported by ``fostermatch bench``, never asserted by tests.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from core.codes import DISCHARGE_REASONS, FAMILY_SETTINGS, PLACEMENT_SETTINGS
from outcomes.report import evaluate
from outcomes.settings import BREAKDOWNS
from outcomes.tables import RACE_FLAGS, OutcomeTables

__all__ = ["bench_section", "synthetic_tables", "time_outcomes"]

_FIRST_DAY = np.datetime64("2010-01-01")
_AS_OF = np.datetime64("2024-12-31")
_SETTING_WEIGHTS = {
    "foster_home": 0.45,
    "kin_home": 0.20,
    "pre_adoptive": 0.04,
    "group_home": 0.06,
    "institution": 0.07,
    "shelter": 0.07,
    "trial_home_visit": 0.06,
    "runaway": 0.03,
    "independent_living": 0.02,
}
_REASON_WEIGHTS = {
    "reunification": 0.47,
    "relative": 0.08,
    "adoption": 0.2,
    "guardianship": 0.11,
    "emancipation": 0.07,
    "transfer": 0.04,
    "runaway": 0.02,
    "death": 0.01,
}


def _ids(prefix: str, numbers: np.ndarray) -> pd.Series:
    return prefix + pd.Series(numbers).astype(str)


def synthetic_tables(
    n_placements: int = 1_000_000, *, communities: int = 200, seed: int = 0
) -> OutcomeTables:
    """A synthetic agency with exactly ``n_placements`` placements, seeded.

    About 3 placements per stay and 1.15 stays per child over 15 years (2010-2024),
    ``communities`` community areas, 30% of children in sibling groups of 2-4.
    """
    rng = np.random.default_rng(seed)
    n_episodes = max(1, int(n_placements / 2.9))
    n_children = max(1, int(n_episodes / 1.15))

    # communities: centres in a 60 km box, child populations of a city's neighbourhoods
    c_lat = 41.6 + rng.random(communities) * 0.5
    c_lon = -87.9 + rng.random(communities) * 0.6
    community_frame = pd.DataFrame(
        {
            "community_id": _ids("K", np.arange(communities)),
            "name": _ids("Community ", np.arange(communities)),
            "child_population": rng.integers(2_000, 30_000, communities).astype(np.float64),
        }
    )

    # children: race flags, Hispanic origin, sex, sibling groups
    race = rng.choice(5, n_children, p=[0.02, 0.04, 0.45, 0.01, 0.48])
    flags = {flag: race == i for i, flag in enumerate(RACE_FLAGS)}
    second = rng.random(n_children) < 0.06  # a second race flag: two or more races
    flags["race_white"] = flags["race_white"] | (second & (race != 4))
    # sibling groups of 2-4 among the first 30% of children (ids are random, so no bias)
    grouped = int(n_children * 0.3)
    sizes = rng.integers(2, 5, grouped)
    group_number = np.repeat(np.arange(grouped), sizes)[:grouped]
    sibling_group = np.full(n_children, None, dtype=object)
    sibling_group[:grouped] = _ids("G", group_number).to_numpy()

    # episodes: 1.15 per child on average, removal uniformly over 15 years
    ep_child = np.sort(rng.integers(0, n_children, n_episodes))
    span = int((_AS_OF - _FIRST_DAY).astype(int))
    removed = rng.integers(0, span, n_episodes)
    order = np.lexsort((removed, ep_child))
    ep_child, removed = ep_child[order], removed[order]
    stay = np.ceil(rng.exponential(520.0, n_episodes)).astype(np.int64) + 1
    next_same = np.r_[ep_child[1:] == ep_child[:-1], False]
    next_removed = np.r_[removed[1:], span + 10_000]
    # stays of one child do not overlap: each ends before the next removal
    discharged = np.minimum(removed + stay, np.where(next_same, next_removed - 1, span + 10_000))
    discharged = np.maximum(discharged, removed + 1)
    is_open = discharged > span
    reasons = rng.choice(
        list(_REASON_WEIGHTS), n_episodes, p=np.array(list(_REASON_WEIGHTS.values()))
    )
    age = rng.integers(0, 19, n_episodes)  # a few enter at 18: excluded by the measures
    child_birth = np.full(n_children, span, dtype=np.int64)
    first_ep = np.unique(ep_child, return_index=True)[1]
    child_birth[ep_child[first_ep]] = (
        removed[first_ep] - age[first_ep] * 365 - rng.integers(0, 365, first_ep.size)
    )
    never = child_birth == span
    child_birth[never] = rng.integers(-6000, span - 400, int(never.sum()))
    ep_comm = rng.integers(0, communities, n_episodes)
    ep_lat = c_lat[ep_comm] + rng.normal(0, 0.01, n_episodes)
    ep_lon = c_lon[ep_comm] + rng.normal(0, 0.01, n_episodes)

    # placements: exactly n_placements, about 2.9 per stay, splitting the stay at random days
    per_episode = 1 + rng.poisson(1.9, n_episodes)
    total = np.cumsum(per_episode)
    cut = int(np.searchsorted(total, n_placements))
    if cut < n_episodes:
        per_episode[cut] -= total[cut] - n_placements
        per_episode[cut + 1 :] = 0
    else:
        per_episode[-1] += n_placements - total[-1]
    pl_ep = np.repeat(np.arange(n_episodes), per_episode)
    first = np.r_[True, pl_ep[1:] != pl_ep[:-1]]
    ep_end = np.minimum(discharged, span)
    length = np.maximum(ep_end - removed, 1)
    offsets = (rng.random(pl_ep.size) * length[pl_ep]).astype(np.int64)
    offsets[first] = 0
    order = np.lexsort((offsets, pl_ep))
    offsets = offsets[order]
    pl_start = removed[pl_ep] + offsets
    pl_end = np.r_[pl_start[1:], 0]
    last = np.r_[pl_ep[1:] != pl_ep[:-1], True]
    pl_end[last] = discharged[pl_ep[last]]
    settings = rng.choice(
        list(_SETTING_WEIGHTS), pl_ep.size, p=np.array(list(_SETTING_WEIGHTS.values()))
    )
    family = np.isin(settings, FAMILY_SETTINGS)
    home_number = rng.integers(0, 120_000, pl_ep.size)
    own = rng.random(pl_ep.size) < 0.35
    home_comm = np.where(own, ep_comm[pl_ep], rng.integers(0, communities, pl_ep.size))
    lat = np.where(family, c_lat[home_comm] + rng.normal(0, 0.01, pl_ep.size), np.nan)
    lon = np.where(family, c_lon[home_comm] + rng.normal(0, 0.01, pl_ep.size), np.nan)
    home_ids = _ids("H", home_number).where(family, None)
    comm_ids = community_frame["community_id"].to_numpy()[home_comm]
    end_reason = np.where(last, "discharge", "move")

    def days(values: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
        out = _FIRST_DAY + values.astype("timedelta64[D]")
        if missing is not None:
            out = out.copy()
            out[missing] = np.datetime64("NaT")
        return pd.Series(out.astype("datetime64[s]"))

    children = pd.DataFrame(
        {
            "child_id": _ids("C", np.arange(n_children)),
            "birth_date": days(child_birth),
            "sex": rng.choice(["female", "male"], n_children),
            "hispanic": rng.choice(["yes", "no", "unknown"], n_children, p=[0.2, 0.75, 0.05]),
            **{flag: pd.array(value, dtype=bool) for flag, value in flags.items()},
            "race_unknown": pd.array(np.zeros(n_children, dtype=bool), dtype=bool),
            "sibling_group_id": pd.Series(sibling_group),
        }
    )
    child_ids = children["child_id"].to_numpy()
    episodes = pd.DataFrame(
        {
            "child_id": child_ids[ep_child],
            "removed_on": days(removed),
            "discharged_on": days(discharged, is_open),
            "discharge_reason": pd.Series(reasons.astype(object)).where(~is_open, None),
            "removal_community_id": community_frame["community_id"].to_numpy()[ep_comm],
            "removal_latitude": ep_lat,
            "removal_longitude": ep_lon,
        }
    )
    placements = pd.DataFrame(
        {
            "child_id": child_ids[ep_child[pl_ep]],
            "setting": settings,
            "started_on": days(pl_start),
            "ended_on": days(pl_end, pl_end > span),
            "home_id": home_ids,
            "end_reason": end_reason,
            "latitude": lat,
            "longitude": lon,
            "community_id": pd.Series(np.where(family, comm_ids, None)),
        }
    )
    assert set(placements["setting"].unique()) <= set(PLACEMENT_SETTINGS)
    assert set(episodes["discharge_reason"].dropna().unique()) <= set(DISCHARGE_REASONS)
    return OutcomeTables(
        children=children,
        episodes=episodes,
        placements=placements,
        communities=community_frame,
    )


def time_outcomes(n_placements: int = 1_000_000, *, seed: int = 0) -> dict[str, Any]:
    """Build the synthetic agency, then time every measure, every breakdown and the trend.

    Returns
    -------
    dict
        ``placements``, ``episodes``, ``children``, ``communities``, ``years`` (of trend),
        ``build_s`` (the generator, not part of the target) and ``runtime_s`` (validation and
        evaluation: the figure held to the 10 s target).
    """
    start = time.perf_counter()
    tables = synthetic_tables(n_placements, seed=seed)
    build = time.perf_counter() - start
    start = time.perf_counter()
    checked = OutcomeTables(
        children=tables.children,
        episodes=tables.episodes,
        placements=tables.placements,
        communities=tables.communities,
    )
    report = evaluate(checked, by=BREAKDOWNS, as_of=date(2024, 12, 31))
    runtime = time.perf_counter() - start
    return {
        "placements": len(tables.placements),
        "episodes": len(tables.episodes),
        "children": len(tables.children),
        "communities": len(tables.communities),
        "years": int(report.trends["year"].nunique()),
        "cells": len(report.cells) + len(report.trends),
        "build_s": round(build, 2),
        "runtime_s": round(runtime, 2),
    }


def bench_section(seed: int = 0) -> dict[str, Any]:
    """The ``outcomes`` section of ``fostermatch bench``: a million placements."""
    return time_outcomes(1_000_000, seed=seed)
