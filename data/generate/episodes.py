"""Episodes in care: when and how each family's and each child's care ends.

An episode is one removal of (some of) a family's children; a stay is one child's part of
an episode, with the child's own start and discharge. Each episode draws its discharge
reason (by the age of the youngest child), its length of stay (lognormal by reason) and an
exit phase before the discharge; each stay the child's own exits (emancipation at 18,
running away, death).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from data.generate.codes import (
    R_ADOPTION,
    R_DEATH,
    R_EMANCIPATION,
    R_GUARDIANSHIP,
    R_RELATIVE,
    R_REUNIFICATION,
    R_RUNAWAY,
    X_NONE,
    X_PRE_ADOPTIVE,
    X_RUN,
    X_SETTLE,
    X_SIL,
    X_THV,
)
from data.generate.draws import YEAR, IntArray, uniform_days, weighted_choice
from data.generate.targets import (
    DEATH_SHARE,
    FAMILY_REASON_BY_AGE_BAND,
    NEWBORN_SHARE_OF_INFANTS,
    PRE_ADOPTIVE_DAYS,
    PRE_ADOPTIVE_SHARE_OF_ADOPTIONS,
    RUNAWAY_EXIT_DAYS,
    RUNAWAY_EXIT_SHARE_TEENS,
    SETTLED_DAYS_BEFORE_PERMANENCY,
    SIL_DAYS,
    SIL_SHARE_OF_EMANCIPATIONS,
    STAY_BY_REASON,
    STAY_SCALE,
    THV_DAYS,
    THV_SHARE_OF_REUNIFICATIONS,
    YOUNGEST_AGE_WEIGHTS,
)


def age_band(age_days: IntArray) -> IntArray:
    years = age_days / YEAR
    return np.where(years < 6, 0, np.where(years < 13, 1, 2)).astype(np.int64)


def draw_youngest_age_days(rng: np.random.Generator, n: int) -> IntArray:
    years = weighted_choice(rng, YOUNGEST_AGE_WEIGHTS, n)
    days = (years * YEAR + rng.uniform(0, YEAR, n)).astype(np.int64)
    newborn = (years == 0) & (rng.random(n) < NEWBORN_SHARE_OF_INFANTS)
    days[newborn] = rng.integers(0, 4, int(newborn.sum()))
    return days


def draw_family_timeline(
    rng: np.random.Generator, start: IntArray, youngest_age: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Reason, discharge day and exit phase (kind, day) of each episode."""
    n = len(start)
    band = age_band(youngest_age)
    reason = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    for b in range(3):
        rows = band == b
        cdf = np.cumsum(FAMILY_REASON_BY_AGE_BAND[b])
        reason[rows] = np.searchsorted(cdf / cdf[-1], u[rows], side="right")
    drawn = np.zeros(n)
    z = rng.standard_normal(n)
    for r, (median, sigma) in STAY_BY_REASON.items():
        rows = reason == r
        drawn[rows] = median * STAY_SCALE * np.exp(sigma * z[rows])
    stay: IntArray = np.maximum(np.round(drawn), 3).astype(np.int64)
    discharge = start + stay

    exit_kind = np.full(n, X_NONE, dtype=np.int64)
    exit_day = discharge.copy()
    u = rng.random(n)
    thv = (reason == R_REUNIFICATION) & (u < THV_SHARE_OF_REUNIFICATIONS) & (stay >= 60)
    length = np.minimum(uniform_days(rng, THV_DAYS, n), stay // 2)
    exit_kind[thv], exit_day[thv] = X_THV, (discharge - length)[thv]
    pre = (reason == R_ADOPTION) & (u < PRE_ADOPTIVE_SHARE_OF_ADOPTIONS)
    length = np.minimum(uniform_days(rng, PRE_ADOPTIVE_DAYS, n), (stay * 0.6).astype(np.int64))
    exit_kind[pre], exit_day[pre] = X_PRE_ADOPTIVE, (discharge - length)[pre]
    settle = np.isin(reason, (R_RELATIVE, R_GUARDIANSHIP)) | ((reason == R_ADOPTION) & ~pre)
    length = np.minimum(SETTLED_DAYS_BEFORE_PERMANENCY, stay // 2)
    exit_kind[settle], exit_day[settle] = X_SETTLE, (discharge - length)[settle]
    return reason, discharge, exit_kind, exit_day


def birthdays(birth: IntArray, age: int, start: date) -> IntArray:
    """The simulation day of each ``age``-th birthday (a 29 February child: 1 March)."""
    born = np.datetime64(start, "D") + birth
    year = born.astype("datetime64[Y]")
    month = born.astype("datetime64[M]")
    # the same month and day, ``age`` years on; day 29 of a short February runs into March
    then = (year + age).astype("datetime64[M]") + (month - year.astype("datetime64[M]"))
    days = then.astype("datetime64[D]") + (born - month.astype("datetime64[D]"))
    on_day: IntArray = (days - np.datetime64(start, "D")).astype(np.int64)
    return on_day


def draw_stays(
    rng: np.random.Generator,
    start: IntArray,
    birth: IntArray,
    adult: IntArray,
    family_discharge: IntArray,
    family_reason: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Each child's own discharge (18th birthday, running away, death) and exit phase."""
    n = len(start)
    discharge = family_discharge.copy()
    reason = family_reason.copy()
    emancipate = adult <= discharge
    discharge[emancipate], reason[emancipate] = adult[emancipate], R_EMANCIPATION
    age = start - birth
    stay = discharge - start
    runs = (age >= 14 * YEAR) & (rng.random(n) < RUNAWAY_EXIT_SHARE_TEENS) & (stay > 45)
    dies = (rng.random(n) < DEATH_SHARE) & (stay > 20) & ~runs
    cut = start + (stay * rng.uniform(0.3, 1.0, n)).astype(np.int64)
    discharge[runs], reason[runs] = cut[runs], R_RUNAWAY
    discharge[dies], reason[dies] = cut[dies], R_DEATH
    stay = discharge - start

    exit_kind = np.full(n, X_NONE, dtype=np.int64)
    exit_day = discharge.copy()
    sil = (reason == R_EMANCIPATION) & (stay >= 200) & (rng.random(n) < SIL_SHARE_OF_EMANCIPATIONS)
    length = np.minimum(uniform_days(rng, SIL_DAYS, n), (stay * 0.6).astype(np.int64))
    exit_kind[sil], exit_day[sil] = X_SIL, (discharge - length)[sil]
    length = np.minimum(uniform_days(rng, RUNAWAY_EXIT_DAYS, n), stay // 2)
    exit_kind[runs], exit_day[runs] = X_RUN, (discharge - length)[runs]
    return discharge, reason, exit_kind, exit_day


class _Table:
    """Columns that grow by whole arrays."""

    columns: tuple[str, ...] = ()

    def __init__(self) -> None:
        for name in self.columns:
            setattr(self, name, np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(getattr(self, self.columns[0]))

    def add(self, **values: IntArray) -> None:
        for name in self.columns:
            setattr(
                self,
                name,
                np.concatenate([getattr(self, name), np.asarray(values[name], np.int64)]),
            )


class EpisodeTable(_Table):
    columns = ("family", "start", "discharge", "reason", "exit_kind", "exit_day")
    family: IntArray
    start: IntArray
    discharge: IntArray
    reason: IntArray
    exit_kind: IntArray
    exit_day: IntArray


class StayTable(_Table):
    columns = ("child", "episode", "start", "discharge", "reason", "exit_kind", "exit_day")
    child: IntArray
    episode: IntArray
    start: IntArray
    discharge: IntArray
    reason: IntArray
    exit_kind: IntArray
    exit_day: IntArray
