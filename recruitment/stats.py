"""Small statistics the engine needs, vectorised with numpy (no scipy).

Units are in the names: durations in years, rates per year.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "km_restricted_mean",
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
    e = np.asarray(observed, dtype=bool)
    if len(t) == 0:
        return float("nan")
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    times, first = np.unique(t, return_index=True)
    at_risk = len(t) - first
    exits = np.add.reduceat(e.astype(np.float64), first)
    survival_after = np.cumprod(1.0 - exits / at_risk)
    # S is 1 before the first time, then survival_after[i] from times[i] to times[i + 1]
    edges = np.concatenate([[0.0], np.minimum(times, restrict_years), [restrict_years]])
    levels = np.concatenate([[1.0], survival_after])
    widths = np.clip(np.diff(edges), 0.0, None)
    return float(np.sum(levels * widths))


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
