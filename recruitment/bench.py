"""Timing :func:`recruitment.compute_gaps` on a seeded synthetic area (for ``fostermatch bench``).

The target (README, "Benchmark"): capacity gaps for 1,000 communities with 5 years of
history in under 2 s. The area is a grid of square communities (neighbours: the four sides),
each with a child population, entries at about 2.6 per 1,000 children a year (with a
community multiplier), stays of about 1.8 years, some 20 non-kin homes with their licence
history, applicants and partners. Speed is measured here, never asserted by tests.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from recruitment.gaps import compute_gaps
from recruitment.policy import load_recruitment_policy
from recruitment.tables import RecruitmentInputs

__all__ = ["AS_OF", "bench_section", "synthetic_inputs", "table_lines", "time_gaps"]

AS_OF = date(2026, 1, 1)
_LANGUAGES = np.array(["en", "es", "pl", "zh", "ar", "ur", "vi", "so"])
_LANGUAGE_WEIGHTS = np.array([0.78, 0.12, 0.03, 0.02, 0.02, 0.01, 0.01, 0.01])
_NEEDS = np.array(
    ["", "behavioral", "medical", "developmental", "therapeutic", "behavioral;medical"]
)
_NEEDS_WEIGHTS = np.array([0.62, 0.15, 0.07, 0.07, 0.05, 0.04])
_STAGES = np.array(["inquiry", "application", "training", "home_study", "licensed", "withdrawn"])


def _days(rng: np.random.Generator, low: int, high: int, n: int) -> pd.Series:
    offsets = rng.integers(low, high, n)
    return pd.Series(pd.Timestamp(AS_OF) - pd.to_timedelta(offsets, unit="D"))


def synthetic_inputs(communities: int = 1000, years: int = 5, seed: int = 0) -> RecruitmentInputs:
    """A seeded synthetic area of ``communities`` square communities with ``years`` of history."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(communities)))
    ids = [f"K{i:04d}" for i in range(communities)]
    population = rng.lognormal(np.log(5000), 0.5, communities).round()
    neighbours = {}
    for i, cid in enumerate(ids):
        r, c = divmod(i, side)
        around = [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)]
        neighbours[cid] = frozenset(
            ids[rr * side + cc]
            for rr, cc in around
            if 0 <= rr < side and 0 <= cc < side and rr * side + cc < communities
        )
    multiplier = rng.gamma(4.0, 0.25, communities)
    per_year = 2.6e-3 * population * multiplier
    counts = rng.poisson(per_year * (years + 2))  # two more years so stays can be censored
    n = int(counts.sum())
    community = np.repeat(np.arange(communities), counts)
    removed = _days(rng, 0, int((years + 2) * 365.25), n)
    stay = pd.to_timedelta(rng.gamma(1.2, 1.5 * 365.25, n).astype(np.int64), unit="D")
    discharged = removed + stay
    discharged = discharged.where(discharged <= pd.Timestamp(AS_OF), pd.NaT)
    episodes = pd.DataFrame(
        {
            "community": np.array(ids)[community],
            "removed_on": removed,
            "discharged_on": discharged,
            "age": rng.integers(0, 18, n),
            "group_size": rng.choice([1, 2, 3, 4, 5], n, p=[0.45, 0.28, 0.15, 0.08, 0.04]),
            "needs": rng.choice(_NEEDS, n, p=_NEEDS_WEIGHTS),
            "language": rng.choice(_LANGUAGES, n, p=_LANGUAGE_WEIGHTS),
        }
    )
    h = communities * 20
    licensed = _days(rng, 0, 12 * 365, h)
    tenure = pd.to_timedelta(rng.exponential(3 * 365.25, h).astype(np.int64), unit="D")
    closed = (licensed + tenure).where(licensed + tenure <= pd.Timestamp(AS_OF), pd.NaT)
    age_min = rng.choice([0, 0, 0, 5, 11], h)
    capacity = rng.choice([1, 2, 3, 4, 5, 6], h, p=[0.28, 0.34, 0.2, 0.1, 0.05, 0.03])
    homes = pd.DataFrame(
        {
            "community": np.array(ids)[rng.integers(0, communities, h)],
            "kind": rng.choice(["foster", "therapeutic", "pre_adoptive"], h, p=[0.7, 0.09, 0.21]),
            "status": np.where(closed.isna(), "active", "closed"),
            "capacity": capacity,
            "free_beds": rng.integers(0, 3, h),
            "age_min": age_min,
            "age_max": np.minimum(17, age_min + rng.choice([5, 8, 11, 17], h)),
            "max_siblings": np.minimum(capacity, rng.integers(1, 5, h)),
            "capabilities": rng.choice(
                ["", "medical", "behavioral;developmental", "therapeutic"], h
            ),
            "languages": rng.choice(["en", "en;es", "en;pl", "es", "en;zh"], h),
            "licensed_on": licensed,
            "closed_on": closed,
        }
    )
    a = communities * 8
    applicants = pd.DataFrame(
        {
            "community": np.array(ids)[rng.integers(0, communities, a)],
            "stage": rng.choice(_STAGES, a, p=[0.08, 0.03, 0.03, 0.03, 0.08, 0.75]),
            "stage_on": _days(rng, 0, 730, a),
            "interests": rng.choice(["", "teens", "infants;siblings", "medical"], a),
            "languages": rng.choice(["en", "en;es"], a),
        }
    )
    p = communities * 3
    partners = pd.DataFrame(
        {
            "id": [f"P{i:05d}" for i in range(p)],
            "name": [f"Partner {i}" for i in range(p)],
            "kind": rng.choice(["faith", "school", "community_centre", "health"], p),
            "community": np.array(ids)[np.arange(p) % communities],
            "languages": rng.choice(["en", "en;es", "en;pl", "es;en;zh"], p),
        }
    )
    u = communities // 5
    unmet = pd.DataFrame(
        {
            "community": np.array(ids)[rng.integers(0, communities, u)],
            "age": rng.integers(10, 18, u),
            "group_size": rng.choice([1, 3, 4], u),
            "needs": rng.choice(["", "behavioral"], u),
            "language": "en",
            "rule": rng.choice(["age_range", "no_free_bed", "needs"], u),
            "children": 1,
        }
    )
    return RecruitmentInputs.build(
        communities=pd.DataFrame(
            {
                "id": ids,
                "name": [f"Community {i}" for i in range(communities)],
                "child_population": population,
            }
        ),
        episodes=episodes,
        homes=homes,
        applicants=applicants,
        partners=partners,
        unmet=unmet,
        neighbours=neighbours,
        as_of=AS_OF,
    )


def time_gaps(
    communities: int = 1000, years: int = 5, seed: int = 0, repeat: int = 3
) -> dict[str, Any]:
    """Seconds to compute every gap (all segments, tiers, outreach) on a synthetic area.

    Returns the bench section: ``communities``, ``runtime_s`` (the median of
    ``repeat`` runs), plus the size of the instance and the time to validate the tables.
    """
    start = time.perf_counter()
    inputs = synthetic_inputs(communities, years, seed)
    build_s = time.perf_counter() - start
    policy = load_recruitment_policy()
    times = []
    result = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = compute_gaps(inputs, policy)
        times.append(time.perf_counter() - start)
    assert result is not None
    return {
        "communities": communities,
        "years": years,
        "runtime_s": round(float(np.median(times)), 3),
        "episodes": len(inputs.episodes),
        "homes": len(inputs.homes),
        "rows": len(result.table),
        "segments": len(result.segments),
        "build_s": round(build_s, 3),
        "seed": seed,
    }


def bench_section(seed: int = 0) -> dict[str, Any]:
    """The ``gaps`` section of ``fostermatch bench``: 1,000 communities, 5 years of history."""
    return time_gaps(1000, 5, seed=seed)


def table_lines(figures: dict[str, Any]) -> list[str]:
    """The section as lines of the bench table (``measure`` left, ``value`` right)."""
    return [
        f"{'gaps: communities x years':<40} {figures['communities']:>7,} x {figures['years']:>4}",
        f"{'gaps: episodes':<40} {figures['episodes']:>14,}",
        f"{'gaps: rows (communities x segments)':<40} {figures['rows']:>14,}",
        f"{'gaps: runtime s':<40} {figures['runtime_s']:>14.3f}",
    ]
