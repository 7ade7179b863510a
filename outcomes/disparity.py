"""Disparity measures (README, "Outcomes"), vectorised over groups.

Every function takes numpy arrays (one value per group, or scalars that broadcast) and
returns arrays; where a value is undefined (a zero count, a zero rate) it is NaN, never an
exception, so a whole breakdown is computed at once. The intervals are 95% (z = 1.96).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Z95",
    "disproportionality_index",
    "rate_ratio",
    "ratio_of_means",
    "ratio_of_proportions",
    "risk_difference",
]

Z95 = 1.96

Triple = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


def _f(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def ratio_of_proportions(a: ArrayLike, n_g: ArrayLike, c: ArrayLike, n_r: ArrayLike) -> Triple:
    """Disparity index of proportions ``(a/n_g) / (c/n_r)`` with its 95% interval.

    ``exp(ln DI ± 1.96·√(1/a - 1/n_g + 1/c - 1/n_r))`` (Katz log interval). The interval is
    NaN when a count is zero.

    Returns
    -------
    index, low, high
    """
    a_, ng, c_, nr = _f(a), _f(n_g), _f(c), _f(n_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        index = (a_ / ng) / (c_ / nr)
        se = np.sqrt(1.0 / a_ - 1.0 / ng + 1.0 / c_ - 1.0 / nr)
        defined = (a_ > 0) & (c_ > 0) & (ng > 0) & (nr > 0)
        index = np.where((ng > 0) & (nr > 0) & (c_ > 0), index, np.nan)
        low = np.where(defined, np.exp(np.log(index) - Z95 * se), np.nan)
        high = np.where(defined, np.exp(np.log(index) + Z95 * se), np.nan)
    return index, low, high


def ratio_of_means(
    mean_g: ArrayLike,
    sd_g: ArrayLike,
    n_g: ArrayLike,
    mean_r: ArrayLike,
    sd_r: ArrayLike,
    n_r: ArrayLike,
) -> Triple:
    """Ratio of two means ``mean_g / mean_r`` (e.g. of distances) with its 95% interval.

    Delta method on the log scale: ``exp(ln R ± 1.96·√(sd_g²/(n_g·mean_g²) +
    sd_r²/(n_r·mean_r²)))``, with ``sd`` the sample standard deviation (``ddof=1``). It
    assumes positive values and groups large enough for their means to be near normal; the
    interval is NaN when a group has fewer than 2 values or a mean is not positive.

    Returns
    -------
    ratio, low, high
    """
    mg, sg, ng, mr, sr, nr = _f(mean_g), _f(sd_g), _f(n_g), _f(mean_r), _f(sd_r), _f(n_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((ng > 0) & (nr > 0) & (mr > 0), mg / mr, np.nan)
        se = np.sqrt(sg**2 / (ng * mg**2) + sr**2 / (nr * mr**2))
        defined = (ng >= 2) & (nr >= 2) & (mg > 0) & (mr > 0) & np.isfinite(se)
        low = np.where(defined, np.exp(np.log(ratio) - Z95 * se), np.nan)
        high = np.where(defined, np.exp(np.log(ratio) + Z95 * se), np.nan)
    return ratio, low, high


def rate_ratio(a: ArrayLike, t_g: ArrayLike, c: ArrayLike, t_r: ArrayLike) -> Triple:
    """Disparity index of rates (events per unit of time) with its Poisson 95% interval.

    ``(a/t_g) / (c/t_r)``, interval ``exp(ln RR ± 1.96·√(1/a + 1/c))``.
    """
    a_, tg, c_, tr = _f(a), _f(t_g), _f(c), _f(t_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        index = (a_ / tg) / (c_ / tr)
        se = np.sqrt(1.0 / a_ + 1.0 / c_)
        defined = (a_ > 0) & (c_ > 0) & (tg > 0) & (tr > 0)
        index = np.where((tg > 0) & (tr > 0) & (c_ > 0), index, np.nan)
        low = np.where(defined, np.exp(np.log(index) - Z95 * se), np.nan)
        high = np.where(defined, np.exp(np.log(index) + Z95 * se), np.nan)
    return index, low, high


def risk_difference(a: ArrayLike, n_g: ArrayLike, c: ArrayLike, n_r: ArrayLike) -> Triple:
    """Risk difference ``p_g - p_r`` with its Wald 95% interval.

    ``± 1.96·√(p_g(1-p_g)/n_g + p_r(1-p_r)/n_r)``.
    """
    a_, ng, c_, nr = _f(a), _f(n_g), _f(c), _f(n_r)
    with np.errstate(divide="ignore", invalid="ignore"):
        pg = np.where(ng > 0, a_ / ng, np.nan)
        pr = np.where(nr > 0, c_ / nr, np.nan)
        diff = pg - pr
        se = np.sqrt(pg * (1 - pg) / ng + pr * (1 - pr) / nr)
    return diff, diff - Z95 * se, diff + Z95 * se


def disproportionality_index(n: ArrayLike, population: ArrayLike) -> NDArray[np.float64]:
    """``RDI_g = (n_g/Σn) / (P_g/ΣP)``: a group's share of entries over its population share.

    Sums run over the groups given (those with a known population). Not for comparing
    places: its maximum depends on the group's share of the population.
    """
    n_, p = _f(n), _f(population)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_n = n_ / n_.sum()
        share_p = p / p.sum()
        return np.where(share_p > 0, share_n / share_p, np.nan)
