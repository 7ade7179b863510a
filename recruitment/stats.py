"""Small statistics the engine needs, vectorised with numpy (no scipy).

Units are in the names: durations in years, rates per year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.survival import kaplan_meier

__all__ = [
    "TailedSurvival",
    "km_restricted_mean",
    "km_survival",
    "normal_quantile",
    "piecewise_hazard",
    "poisson_quantile",
    "survival_between",
]

FloatArray = NDArray[np.float64]

# above this mean the Cornish-Fisher expansion is within one of the exact Poisson quantile
_EXACT_UP_TO = 60.0


def normal_quantile(p: float) -> float:
    """The standard normal quantile of ``p`` (0 < p < 1)."""
    return NormalDist().inv_cdf(p)


def poisson_quantile(p: float, mean: ArrayLike) -> FloatArray:
    """The smallest ``k`` with ``P(X <= k) >= p`` for ``X ~ Poisson(mean)``, element-wise.

    Exact (cumulating the probabilities) for means up to 60; above that the Cornish-Fisher
    expansion ``mean + z sqrt(mean) + (z^2 - 1) / 6``, rounded up, which is within one.
    A mean of 0 gives 0.
    """
    lam = np.asarray(mean, dtype=np.float64)
    flat = np.atleast_1d(lam).ravel()
    out = np.zeros(flat.shape, dtype=np.float64)
    small = np.flatnonzero(flat <= _EXACT_UP_TO)
    if len(small):
        m = flat[small]
        term = np.exp(-m)
        total = term.copy()
        k = np.zeros(len(m))
        open_ = total < p
        step = 0
        while open_.any():
            step += 1
            term = term * m / step
            total = total + term
            k[open_] = step
            open_ &= total < p
        out[small] = k
    large = np.flatnonzero(flat > _EXACT_UP_TO)
    if len(large):
        m = flat[large]
        z = normal_quantile(p)
        out[large] = np.ceil(m + z * np.sqrt(m) + (z * z - 1.0) / 6.0 - 0.5)
    return out.reshape(lam.shape) if lam.ndim else out


def km_restricted_mean(
    durations_years: ArrayLike, observed: ArrayLike, restrict_years: float
) -> float:
    """The Kaplan-Meier mean restricted to ``restrict_years`` (area under the survival curve).

    Parameters
    ----------
    durations_years
        Time from entry to exit, or to censoring, in years (>= 0).
    observed
        True where the exit was seen; False where the stay is censored (still in care).
    restrict_years
        The restriction: stays are counted up to this long.

    Returns
    -------
    float
        Years; NaN when there are no durations.
    """
    t = np.asarray(durations_years, dtype=np.float64)
    if len(t) == 0:
        return float("nan")
    return kaplan_meier(t, observed).area(restrict_years)


@dataclass(frozen=True)
class TailedSurvival:
    """A survival curve ``S(t)``: the probability that a stay lasts longer than ``t`` years.

    The Kaplan-Meier steps up to ``tail_from`` years, then an exponential tail at
    ``tail_rate`` per year: beyond the point where few stays are still followed, the steps
    would be noise (or stop at a level held forever), so the hazard of the last supported
    year is carried on.

    Attributes
    ----------
    times
        The distinct exit times up to ``tail_from``, years, ascending.
    survival
        ``S`` just after each of ``times`` (``S`` is 1 before the first).
    tail_from, tail_rate
        Where the tail starts (years) and its hazard (per year; ``inf``: nobody stays longer).
    """

    times: FloatArray
    survival: FloatArray
    tail_from: float
    tail_rate: float

    def _steps(self, t: FloatArray) -> FloatArray:
        levels = np.concatenate([[1.0], self.survival])
        return np.asarray(levels[np.searchsorted(self.times, t, side="right")], dtype=np.float64)

    def __call__(self, years: ArrayLike) -> FloatArray:
        """``S`` at ``years`` (element-wise)."""
        t = np.asarray(years, dtype=np.float64)
        base = self._steps(np.minimum(t, self.tail_from))
        beyond = np.clip(t - self.tail_from, 0.0, None)
        with np.errstate(invalid="ignore"):  # inf x 0 at the tail's start: no decay yet
            decay = np.where(beyond > 0.0, np.exp(-self.tail_rate * beyond), 1.0)
        return np.asarray(base * decay, dtype=np.float64)

    def conditional(self, elapsed_years: ArrayLike, length_years: float) -> FloatArray:
        """``S(d + length) / S(d)``, element-wise over ``d`` = ``elapsed_years``.

        The chance that a stay already ``d`` years long lasts ``length_years`` more; 0 where
        ``S(d)`` is 0 (a stay longer than any the curve allows).
        """
        d = np.asarray(elapsed_years, dtype=np.float64)
        now = self(d)
        later = self(d + length_years)
        return np.divide(later, now, out=np.zeros_like(now), where=now > 0.0)

    def area(self, upto_years: float) -> float:
        """The integral of ``S`` from 0 to ``upto_years`` (the mean stay restricted to it)."""
        head = min(upto_years, self.tail_from)
        edges = np.concatenate([[0.0], np.minimum(self.times, head), [head]])
        levels = np.concatenate([[1.0], self.survival])
        total = float(np.sum(levels * np.clip(np.diff(edges), 0.0, None)))
        rest = upto_years - self.tail_from
        if rest > 0.0:
            start = float(self._steps(np.array([self.tail_from]))[0])
            if self.tail_rate == 0.0:
                total += start * rest
            elif math.isfinite(self.tail_rate):
                total += start * -math.expm1(-self.tail_rate * rest) / self.tail_rate
        return total


def km_survival(
    durations_years: ArrayLike, observed: ArrayLike, min_at_risk: int = 10
) -> TailedSurvival:
    """The Kaplan-Meier curve of stays, with an exponential tail where few remain at risk.

    Parameters
    ----------
    durations_years
        Time from entry to exit, or to censoring, in years (>= 0).
    observed
        True where the exit was seen; False where the stay is censored (still in care).
    min_at_risk
        The steps are kept up to the last exit with at least this many stays at risk; after
        it the curve decays at the mean hazard of the year before (of the whole curve when
        it is shorter than a year). With no exit that well supported, every step is kept.

    Returns
    -------
    TailedSurvival
        ``S(t) = 1`` for every ``t`` when no exit was seen (nobody known to leave).
    """
    km = kaplan_meier(durations_years, observed)
    if len(km.times) == 0:
        return TailedSurvival(np.zeros(0), np.zeros(0), 0.0, 0.0)
    supported = np.flatnonzero(km.at_risk >= min_at_risk)
    last = int(supported[-1]) if len(supported) else len(km.times) - 1
    times, survival = km.times[: last + 1], km.survival[: last + 1]
    tail_from = float(times[-1])
    curve = TailedSurvival(times, survival, tail_from, 0.0)
    window = min(1.0, tail_from)
    end = float(survival[-1])
    start = float(curve(np.array([tail_from - window]))[0])
    if end <= 0.0:
        rate = math.inf
    elif window > 0.0:
        rate = math.log(start / end) / window
    else:
        rate = 0.0
    return TailedSurvival(times, survival, tail_from, rate)


def piecewise_hazard(
    start_years: ArrayLike,
    end_years: ArrayLike,
    event: ArrayLike,
    bands: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Yearly event rates by whole year of tenure (the last band open-ended).

    Each record is at risk from tenure ``start_years`` (later than 0 when it was first seen
    part-way, left truncation) to ``end_years``; ``event`` says whether it ended with the event
    (a closure) or was censored.

    Returns
    -------
    (rates, events, exposure)
        Per band ``0 .. bands - 1``: events per year at risk, the events, the years at risk.
        A band without exposure gets the rate of the nearest band before it that has some.
    """
    start = np.asarray(start_years, dtype=np.float64)
    end = np.asarray(end_years, dtype=np.float64)
    ev = np.asarray(event, dtype=bool)
    lows = np.arange(bands, dtype=np.float64)
    highs = np.append(lows[1:], np.inf)
    exposure = np.clip(
        np.minimum(end[:, None], highs[None, :]) - np.maximum(start[:, None], lows[None, :]),
        0.0,
        None,
    ).sum(axis=0)
    band_of_end = np.minimum(np.floor(np.maximum(end, 0.0)), bands - 1).astype(np.int64)
    events = np.bincount(band_of_end[ev], minlength=bands).astype(np.float64)
    rates = np.divide(events, exposure, out=np.full(bands, np.nan), where=exposure > 0)
    # carry the last estimated rate forward into bands with no exposure (none observed yet)
    for i in range(bands):
        if np.isnan(rates[i]):
            rates[i] = rates[i - 1] if i > 0 else 0.0
    return rates, events, exposure


def survival_between(rates: FloatArray, start_years: ArrayLike, length_years: float) -> FloatArray:
    """Probability of no event from tenure ``start`` to ``start + length`` (piecewise rates)."""
    start = np.asarray(start_years, dtype=np.float64)
    bands = len(rates)

    def cumulative(x: FloatArray) -> FloatArray:
        lows = np.arange(bands, dtype=np.float64)
        highs = np.append(lows[1:], np.inf)
        inside = np.clip(np.minimum(x[:, None], highs) - lows, 0.0, None)
        return np.asarray(inside @ rates, dtype=np.float64)

    hazard = cumulative(start + length_years) - cumulative(start)
    return np.asarray(np.exp(-hazard), dtype=np.float64)
