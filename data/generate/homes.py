"""The non-kin homes: recruited before and during the simulation, with a tenure each.

Foster, therapeutic and pre-adoptive homes are recruited as a Poisson process with a tenure
drawn so that about half close within their first year and about a fifth of the rest each
year after. Kin homes are created during the simulation for a specific sibling group
(:mod:`data.generate.simulation`); their rows are allocated here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.codes import HOME_KINDS
from data.generate.codes import (
    CAP_INFANT,
    K_FOSTER,
    K_PRE_ADOPTIVE,
    K_THERAPEUTIC,
    L_ASE,
    L_EN,
    L_ES,
    LANGS,
    NEED_BEHAVIORAL,
    NEED_DEVELOPMENTAL,
    NEED_MEDICAL,
    NEED_THERAPEUTIC,
    T_DEAF,
    T_HALAL,
    T_KOSHER,
    T_LGBTQ,
    T_TRIBAL,
    T_VEGETARIAN,
)
from data.generate.draws import YEAR, BoolArray, FloatArray, IntArray, weighted_choice
from data.generate.families import draw_religion
from data.generate.geography import Geography, random_points
from data.generate.targets import (
    AGE_RANGE_WEIGHTS,
    AGE_RANGES,
    CAPACITY_WEIGHTS,
    HOME_ASL_SHARE,
    HOME_FIRST_YEAR_CLOSURE,
    HOME_LANGUAGE_FACTOR,
    HOME_PREHISTORY_YEARS,
    HOME_RELIGION_RECORDED,
    HOME_TRIBE_SHARE,
    HOME_YEARLY_CLOSURE_AFTER,
    NONKIN_KIND_WEIGHTS,
    TEEN_AGE,
    ScaleTargets,
)

# why a non-kin home closes, and how often, by kind
NONKIN_CLOSE_REASONS = ("voluntary", "relocated", "family_change", "licensing", "adopted")
NONKIN_CLOSE_WEIGHTS = {
    K_FOSTER: (0.58, 0.14, 0.14, 0.06, 0.08),
    K_THERAPEUTIC: (0.60, 0.14, 0.14, 0.08, 0.04),
    K_PRE_ADOPTIVE: (0.25, 0.10, 0.10, 0.05, 0.50),
}


@dataclass
class Homes:
    """Every home, non-kin ones first; kin homes are appended during the simulation."""

    n_nonkin: int
    kind: IntArray
    comm: IntArray
    lat: FloatArray
    lon: FloatArray
    capacity: IntArray
    age_min: IntArray
    age_max: IntArray
    accepts: IntArray  # ACCEPTS_SEX
    max_siblings: IntArray
    caps: IntArray  # bit mask of CAPABILITIES
    langs: IntArray  # bit mask of LANGS
    primary: IntArray  # the home's first language (LANGS)
    religion: IntArray
    offers: IntArray  # bit mask of CULTURAL_TAGS
    tribe: IntArray
    tribe_licensed: BoolArray
    popularity: FloatArray  # log weight: a fifth of homes give most of the care (ASPE/RTI)
    licensed: IntArray
    planned_close: IntArray
    close_reason: list[str]


def mean_tenure_days() -> float:
    # first year: uniform over (20, 365) days; after: 1 year + exponential
    after = 1 / -math.log(1 - HOME_YEARLY_CLOSURE_AFTER)
    return HOME_FIRST_YEAR_CLOSURE * 192.5 + (1 - HOME_FIRST_YEAR_CLOSURE) * (1 + after) * YEAR


def draw_homes(
    geo: Geography,
    rng: np.random.Generator,
    targets: ScaleTargets,
    last_day: int,
    kin_slots: int,
) -> Homes:
    """Non-kin homes recruited before and during the simulation, thinned to the target.

    Arrays are allocated for ``kin_slots`` kin homes more.
    """
    target_open = targets.open_homes - targets.in_care / targets.children_per_open_kin_home
    first_day = -int(HOME_PREHISTORY_YEARS * YEAR)
    span = last_day - first_day + 1
    rate = 1.25 * target_open / mean_tenure_days()  # over-drawn, then thinned below
    n = int(rng.poisson(rate * span))
    licensed = np.sort(rng.integers(first_day, last_day + 1, n)).astype(np.int64)
    first_year = rng.random(n) < HOME_FIRST_YEAR_CLOSURE
    after = 1 / -math.log(1 - HOME_YEARLY_CLOSURE_AFTER) * YEAR
    tenure = np.where(first_year, rng.uniform(20, 365, n), 365 + rng.exponential(after, n))
    planned_close = licensed + tenure.astype(np.int64)
    open_on_as_of = (planned_close > last_day).sum()
    keep = (rng.random(n) < min(1.0, target_open / max(1, open_on_as_of))) & (planned_close >= 0)
    licensed, planned_close = licensed[keep], planned_close[keep]
    n = len(licensed)

    names = list(NONKIN_KIND_WEIGHTS)
    kind = np.array(
        [
            HOME_KINDS.index(names[i])
            for i in weighted_choice(rng, list(NONKIN_KIND_WEIGHTS.values()), n)
        ],
        np.int64,
    )
    comm = weighted_choice(rng, geo.home_weight, n)
    lat, lon = random_points(geo, comm, rng)
    capacity = weighted_choice(rng, CAPACITY_WEIGHTS, n) + 1
    ages = np.array(AGE_RANGES, dtype=np.int64)[weighted_choice(rng, AGE_RANGE_WEIGHTS, n)]
    age_min, age_max = ages[:, 0].copy(), ages[:, 1].copy()
    accepts = weighted_choice(rng, [0.80, 0.12, 0.08], n)
    caps = np.zeros(n, dtype=np.int64)
    for bit, share in ((NEED_MEDICAL, 0.15), (NEED_BEHAVIORAL, 0.20), (NEED_DEVELOPMENTAL, 0.15)):
        caps |= np.where(rng.random(n) < share, bit, 0)
    # therapeutic homes: trained for therapeutic and behavioural needs, few beds, older children
    ther = kind == K_THERAPEUTIC
    caps[ther] |= NEED_THERAPEUTIC | NEED_BEHAVIORAL
    caps[ther] |= np.where(rng.random(int(ther.sum())) < 0.3, NEED_MEDICAL | NEED_DEVELOPMENTAL, 0)
    capacity[ther] = np.minimum(capacity[ther], 2)
    age_min[ther] = np.where(rng.random(int(ther.sum())) < 0.5, 5, 0)
    age_max[ther] = 17
    # pre-adoptive homes: mostly families hoping to adopt a young child or a small group
    pre = kind == K_PRE_ADOPTIVE
    capacity[pre] = np.minimum(capacity[pre], 3)
    caps[pre] |= np.where(rng.random(int(pre.sum())) < 0.3, NEED_MEDICAL | NEED_DEVELOPMENTAL, 0)
    age_min[pre] = 0
    age_max[pre] = np.array([5, 8, 11, 17])[
        weighted_choice(rng, [0.35, 0.3, 0.25, 0.1], int(pre.sum()))
    ]
    caps |= np.where((age_min == 0) & (rng.random(n) < 0.6), CAP_INFANT, 0)
    max_siblings = np.where(rng.random(n) < 0.85, capacity, rng.integers(1, 7, n))
    max_siblings = np.clip(np.minimum(max_siblings, capacity), 1, None)

    # languages: English, plus the community's languages, less often than its families speak
    # them (the gap the recruitment analytics should find)
    langs = np.full(n, 1 << L_EN, dtype=np.int64)
    primary = np.full(n, L_EN, dtype=np.int64)
    u = rng.random((n, len(LANGS)))
    for li in range(1, len(LANGS)):
        speaks = u[:, li] < geo.language_share[comm, li] * HOME_LANGUAGE_FACTOR
        langs[speaks] |= 1 << li
        primary[speaks & (primary == L_EN)] = li
    spanish_only = (primary == L_ES) & (rng.random(n) < 0.1)
    langs[spanish_only] &= ~(1 << L_EN)
    asl = rng.random(n) < HOME_ASL_SHARE
    langs[asl] |= 1 << L_ASE
    religion = draw_religion(rng, primary, HOME_RELIGION_RECORDED)
    tribe = np.where(
        rng.random(n) < HOME_TRIBE_SHARE, weighted_choice(rng, [4, 3, 2, 2, 1, 1, 1], n), -1
    )
    offers = np.zeros(n, dtype=np.int64)
    offers |= np.where((religion == 2) & (rng.random(n) < 0.8), T_HALAL, 0)
    offers |= np.where((religion == 3) & (rng.random(n) < 0.7), T_KOSHER, 0)
    offers |= np.where(asl, T_DEAF, 0)
    offers |= np.where(tribe >= 0, T_TRIBAL, 0)
    offers |= np.where((age_max >= TEEN_AGE) & (rng.random(n) < 0.25), T_LGBTQ, 0)
    offers |= np.where(rng.random(n) < 0.05, T_VEGETARIAN, 0)
    close_reason = []
    for k in kind.tolist():
        weights = NONKIN_CLOSE_WEIGHTS[k]
        close_reason.append(NONKIN_CLOSE_REASONS[int(weighted_choice(rng, weights, 1)[0])])

    def grow(values: NDArray[Any], fill: Any = 0) -> NDArray[Any]:
        return np.concatenate([values, np.full(kin_slots, fill, dtype=values.dtype)])

    return Homes(
        n_nonkin=n,
        kind=grow(kind),
        comm=grow(comm),
        lat=grow(lat, 0.0),
        lon=grow(lon, 0.0),
        capacity=grow(capacity),
        age_min=grow(age_min),
        age_max=grow(age_max),
        accepts=grow(accepts),
        max_siblings=grow(max_siblings),
        caps=grow(caps),
        langs=grow(langs),
        primary=grow(primary),
        religion=grow(religion.astype(np.int64), -1),
        offers=grow(offers),
        tribe=grow(tribe.astype(np.int64), -1),
        tribe_licensed=grow(rng.random(n) < 0.5, False),
        popularity=grow(rng.normal(0.0, 0.8, n), 0.0),
        licensed=grow(licensed),
        planned_close=grow(planned_close, np.iinfo(np.int64).max),
        close_reason=close_reason + [""] * kin_slots,
    )
