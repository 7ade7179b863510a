"""Backtest: project from the data up to a cut-off and compare with what happened.

The cut-off is ``as_of - horizon``. The projection uses only what was known on it (entries
up to it, stays censored at it, the children in care on it). What is compared, per community
of the removal address:

* **need**: the children in care the projection expects (every setting, before the scenario
  shares, which are choices rather than forecasts) against the mean number of children from
  that community actually in care over the horizon; and the same against the number in care
  on the horizon's last day (what the stock-flow projection projects);
* **entries** over the horizon, projected against counted.

Reported: the mean absolute error per community of both projections (stock-flow and steady
state, see :mod:`recruitment.demand`) and of a naive baseline (the census on the cut-off day
carried forward) to judge them against; the same relative to the mean census; and the share
of communities whose observed need (mean, and last day) fell inside the interval of the
policy's projection (coverage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recruitment.demand import project_demand
from recruitment.policy import RecruitmentPolicy, load_recruitment_policy
from recruitment.stats import normal_quantile
from recruitment.tables import RecruitmentInputs

__all__ = ["METHODS", "BacktestResult", "backtest"]


METHODS = ("stock_flow", "steady_state", "naive")
_LABELS = {
    "stock_flow": "stock-flow",
    "steady_state": "steady-state",
    "naive": "naive carry-forward",
}


@dataclass(frozen=True)
class BacktestResult:
    """Errors of a projection made at ``cutoff`` against the ``horizon_months`` after it.

    ``mae_need`` is the error of the policy's ``projection``; ``mae_need_by_method`` gives
    it for every method of :data:`METHODS` (the naive baseline carries the cut-off day's
    census forward), against the mean census over the horizon, and ``mae_last_day_by_method``
    against the census on the horizon's last day; ``coverage`` and ``coverage_last_day`` are
    the shares of communities inside the interval. ``per_community`` holds one row per
    community: projected (each method) and observed need and entries, the interval and
    whether it covered the observation (raw figures: keep it inside the agency;
    :meth:`to_json` publishes aggregates only).
    """

    cutoff: Any
    horizon_months: int
    interval: float
    communities: int
    projection: str
    mae_need: float
    mean_need: float
    mae_need_naive: float
    mae_need_by_method: dict[str, float]
    mean_last_day: float
    mae_last_day_by_method: dict[str, float]
    coverage: float
    coverage_last_day: float
    mae_entries: float
    projected_need_total: float
    observed_need_total: float
    projected_entries_total: float
    observed_entries_total: float
    per_community: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """Aggregate figures only (no community rows)."""
        return {
            "cutoff": str(self.cutoff),
            "horizon_months": self.horizon_months,
            "communities": self.communities,
            "projection": self.projection,
            "mae_need_per_community": round(self.mae_need, 2),
            "mean_need_per_community": round(self.mean_need, 2),
            "relative_mae_need": round(self.mae_need / self.mean_need, 3)
            if self.mean_need > 0
            else None,
            "mae_need_naive": round(self.mae_need_naive, 2),
            "mae_need_by_method": {k: round(v, 2) for k, v in self.mae_need_by_method.items()},
            "mean_last_day_per_community": round(self.mean_last_day, 2),
            "mae_last_day_by_method": {
                k: round(v, 2) for k, v in self.mae_last_day_by_method.items()
            },
            "interval": self.interval,
            "interval_coverage": round(self.coverage, 3),
            "interval_coverage_last_day": round(self.coverage_last_day, 3),
            "mae_entries_per_community": round(self.mae_entries, 2),
            "need_total": {
                "projected": round(self.projected_need_total, 1),
                "observed": round(self.observed_need_total, 1),
            },
            "entries_total": {
                "projected": round(self.projected_entries_total, 1),
                "observed": round(self.observed_entries_total, 1),
            },
        }

    def summary(self) -> str:
        def errors(by_method: dict[str, float]) -> str:
            return ", ".join(
                f"{_LABELS[m]}{' (used)' if m == self.projection else ''} {by_method[m]:.2f}"
                for m in METHODS
            )

        return "\n".join(
            [
                f"Backtest: projected on {self.cutoff} for {self.horizon_months} months, "
                f"{self.communities} communities",
                f"  need (children in care, mean over the horizon: {self.mean_need:.1f} per "
                "community), MAE per community:",
                f"    {errors(self.mae_need_by_method)}",
                f"  children in care on the last day ({self.mean_last_day:.1f} per community), "
                "MAE per community:",
                f"    {errors(self.mae_last_day_by_method)}",
                f"  {self.interval:.0%} interval ({_LABELS[self.projection]}) coverage: "
                f"{self.coverage:.1%} of the horizon means, {self.coverage_last_day:.1%} of "
                "the last day's",
                f"  entries MAE per community {self.mae_entries:.2f}; area need projected "
                f"{self.projected_need_total:.0f}, observed {self.observed_need_total:.0f}",
            ]
        )


def backtest(
    inputs: RecruitmentInputs,
    policy: RecruitmentPolicy | None = None,
    *,
    horizon_months: int | None = None,
) -> BacktestResult:
    """Project at ``as_of - horizon`` and compare with the horizon that followed.

    Raises
    ------
    ValueError
        A horizon below 1.
    """
    policy = policy or load_recruitment_policy()
    horizon = policy.horizon_months if horizon_months is None else horizon_months
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"horizon_months must be a whole number of months >= 1, got {horizon!r}")
    end = pd.Timestamp(inputs.as_of)
    days = round(horizon * 365.25 / 12)
    cutoff_day = inputs.as_of - timedelta(days=days)
    cutoff = pd.Timestamp(cutoff_day)
    # the projection at the cut-off starts its history where today's does: records from
    # before that are often incomplete (kept only for children still in care later), and a
    # longer look-back would judge a different method from the one used today
    lost = math.ceil(horizon / 12)
    earlier = replace(
        policy,
        history_years=max(1, policy.history_years - lost),
        cohort_years=max(1, policy.cohort_years - lost),
    )
    demand = project_demand(replace(inputs, as_of=cutoff_day), earlier, horizon)
    projected = demand.census.sum(axis=1)
    from_entries = demand.census_from_entries.sum(axis=1)
    z = normal_quantile(0.5 + policy.interval / 2.0)
    sd = np.sqrt(projected + from_entries**2 / np.maximum(demand.shape, 1.0))
    low, high = np.maximum(projected - z * sd, 0.0), projected + z * sd

    ep = inputs.episodes.loc[inputs.episodes["age"] <= 17]
    code = inputs.community_codes(ep["community"])
    stop = ep["discharged_on"].fillna(end).clip(upper=end)
    begin = ep["removed_on"].clip(lower=cutoff)
    overlap = (stop - begin).dt.days.clip(lower=0).to_numpy(dtype=np.float64)
    n = inputs.n_communities
    ok = code >= 0
    observed = np.bincount(code[ok], weights=overlap[ok] / days, minlength=n)

    def in_care_on(day: pd.Timestamp) -> NDArray[np.float64]:
        open_ = ep["discharged_on"].isna() | (ep["discharged_on"] > day)
        mask = ((ep["removed_on"] <= day) & open_).to_numpy()
        return np.bincount(code[ok & mask], minlength=n).astype(np.float64)

    naive = in_care_on(cutoff)
    last_day = in_care_on(end)
    entered = ((ep["removed_on"] > cutoff) & (ep["removed_on"] <= end)).to_numpy()
    entries_seen = np.bincount(code[ok & entered], minlength=n).astype(np.float64)
    entries_projected = demand.entries_per_year.sum(axis=1) * horizon / 12.0
    methods = {
        "stock_flow": demand.stock_flow.sum(axis=1),
        "steady_state": demand.steady_state.sum(axis=1),
        "naive": naive,
    }

    def mae(a: NDArray[Any], b: NDArray[Any]) -> float:
        return float(np.mean(np.abs(a - b))) if n else 0.0

    per_community = pd.DataFrame(
        {
            "community": inputs.communities["id"].to_numpy(),
            "need_projected": projected,
            "need_low": low,
            "need_high": high,
            "need_observed": observed,
            "covered": (observed >= low) & (observed <= high),
            **{f"need_{m}": v for m, v in methods.items()},
            "in_care_last_day": last_day,
            "entries_projected": entries_projected,
            "entries_observed": entries_seen,
        }
    )
    return BacktestResult(
        cutoff=cutoff_day,
        horizon_months=horizon,
        interval=policy.interval,
        communities=n,
        projection=policy.projection,
        mae_need=mae(projected, observed),
        mean_need=float(observed.mean()) if n else 0.0,
        mae_need_naive=mae(naive, observed),
        mae_need_by_method={m: mae(v, observed) for m, v in methods.items()},
        mean_last_day=float(last_day.mean()) if n else 0.0,
        mae_last_day_by_method={m: mae(v, last_day) for m, v in methods.items()},
        coverage=float(per_community["covered"].mean()) if n else 0.0,
        coverage_last_day=float(np.mean((last_day >= low) & (last_day <= high))) if n else 0.0,
        mae_entries=mae(entries_projected, entries_seen),
        projected_need_total=float(projected.sum()),
        observed_need_total=float(observed.sum()),
        projected_entries_total=float(entries_projected.sum()),
        observed_entries_total=float(entries_seen.sum()),
        per_community=per_community,
    )
