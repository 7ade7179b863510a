"""Kaplan-Meier survival curves: how long stays last when some are still going on.

The outcome measures read it for the length of stay in days (a censored stay: still open on
the as-of date, or ended at 18 or older), recruitment for stays in years when it projects the
children still in care at a horizon. The estimator is the usual product-limit one, with ties
handled by counting every exit at a time before the censorings at that time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["KaplanMeier", "kaplan_meier"]


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier curve: the survival just after each distinct event time.

    Attributes
    ----------
    times
        Distinct times (days) at which at least one event happened, ascending.
    survival
        S(t) just after each of ``times``: the share still in care.
    at_risk, events
        Children at risk just before, and exits at, each time.
    max_time
        The longest time observed (event or censoring): the curve is known up to here.
    """

    times: NDArray[np.float64]
    survival: NDArray[np.float64]
    at_risk: NDArray[np.int64]
    events: NDArray[np.int64]
    max_time: float

    def median(self) -> float | None:
        """The smallest time at which S(t) <= 0.5; None when the curve never gets there."""
        reached = np.flatnonzero(self.survival <= 0.5)
        return float(self.times[reached[0]]) if reached.size else None

    def restricted_mean(self, horizon: float) -> float | None:
        """Area under S(t) from 0 to ``horizon``: the mean days in care within the horizon.

        None when nobody was followed up to the horizon, because the curve is unknown there.
        """
        if self.max_time < horizon:
            return None
        return self.area(horizon)

    def area(self, upto: float) -> float:
        """Area under S(t) from 0 to ``upto``, however far the stays were followed (S keeps
        its last level beyond the last time)."""
        # S is a step function: 1 until the first event time, then survival[i] on
        # [times[i], times[i+1])
        edges = np.concatenate(([0.0], self.times[self.times < upto], [upto]))
        levels = np.concatenate(([1.0], self.survival[self.times < upto]))
        return float(np.sum(np.diff(edges) * levels))


def kaplan_meier(time: ArrayLike, event: ArrayLike) -> KaplanMeier:
    """The Kaplan-Meier curve of ``time`` (days, >= 0) with ``event`` (True: exit observed).

    Parameters
    ----------
    time
        Follow-up of each stay in days.
    event
        True where the stay ended by an exit that counts, False where it is censored.
    """
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event, dtype=bool)
    if t.shape != e.shape:
        raise ValueError("time and event must have the same length")
    if t.size == 0:
        empty_f = np.empty(0, dtype=np.float64)
        empty_i = np.empty(0, dtype=np.int64)
        return KaplanMeier(empty_f, empty_f, empty_i, empty_i, 0.0)
    if np.any(t < 0) or np.any(np.isnan(t)):
        raise ValueError("times must be non-negative numbers")
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    distinct, first = np.unique(t, return_index=True)
    # at risk just before a time = everyone whose time is at or after it
    at_risk = t.size - first
    events = np.add.reduceat(e.astype(np.int64), first)
    has_event = events > 0
    times = distinct[has_event]
    at_risk_e = at_risk[has_event].astype(np.int64)
    events_e = events[has_event].astype(np.int64)
    survival = np.cumprod(1.0 - events_e / at_risk_e).astype(np.float64)
    return KaplanMeier(times, survival, at_risk_e, events_e, float(t[-1]))
