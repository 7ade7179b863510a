"""Demand: projected entries and the census in care per community and cell.

The method is docs/recruitment.md.

A *cell* is one combination of age band, sibling-group size, needs segment and language seen
among the entries; segments are unions of cells. The steps:

1. Entries of the history window (``history_years`` before ``as_of``), by community of the
   removal address, weighted so that a year ``j`` back counts ``0.5 ** ((j + 0.5) /
   half_life_years)``: recent years count more, so a sudden rise shows.
2. The entry rate per child of each community is shrunk toward the city-wide rate (empirical
   Bayes, Gamma-Poisson): ``rate = (entries + a) / (child_years + b)`` with the prior's strength
   ``b`` (child-years; ``a = b * city_rate``) estimated from the spread between communities by
   the method of moments. A small community moves most of the way to the city rate; a large
   one hardly moves. Without child populations the exposure is one per community-year.
3. The city-wide trend: a log-linear Poisson fit to the yearly entries, carried to the middle
   of the horizon (capped by ``max_trend_factor``).
4. The mix of cells of each community, pulled toward the city-wide mix by
   ``mix_prior_entries``.
5. The census at the end of the horizon ``h``, from the entry cohorts' stays (Kaplan-Meier:
   stays still open on ``as_of`` are censored), per age band at entry (all ages pooled for a
   band with fewer than ``min_entries`` entries). Two projections (``policy.projection``):

   * ``"stock_flow"`` (the default): the children in care on ``as_of`` are a known stock.
     A child in care for ``d`` years is still in care at ``as_of + h`` with probability
     ``S(d + h) / S(d)``; the entries of step 3 over the horizon are still in care at its end
     with the mean probability ``(1/h) x integral of S from 0 to h`` (entries spread evenly
     over it). ``census = sum of the stock's probabilities + entries x that mean``.
   * ``"steady_state"``: Little's law, ``L = rate x mean stay`` (the Kaplan-Meier mean
     restricted to ``restrict_years``): the census the entry rate would hold in the long
     run, whoever is in care today.

   Both are computed (the backtest compares them); ``census`` is the one the policy names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recruitment.policy import RecruitmentPolicy
from recruitment.segments import AGE_BANDS, Segment, age_band, needs_segment
from recruitment.stats import TailedSurvival, km_restricted_mean, km_survival
from recruitment.tables import RecruitmentInputs

__all__ = ["Demand", "project_demand"]

FloatArray = NDArray[np.float64]
DAYS_PER_YEAR = 365.25
MAX_GROUP_SIZE = 8  # larger groups are counted as 8: they need the largest homes anyway
UNKNOWN_LANGUAGE = "und"  # ISO 639-2 "undetermined"
# the survival curve's steps are trusted while this many stays are followed; a tail after
MIN_AT_RISK = 10


@dataclass(frozen=True)
class Demand:
    """Projected demand per community (rows, in ``inputs.communities`` order) and cell.

    Attributes
    ----------
    cells
        One row per cell: ``age`` (band at entry), ``size`` (group size), ``needs``,
        ``language``: the cells of the history window's entries and of the children in care.
    entries_per_year
        Projected entries per year, communities x cells (all children, every setting).
    stay_years
        Mean stay per cell (of its age band), years.
    observed
        Children seen, communities x cells: the history window's entries (unweighted), and,
        with the stock-flow projection, the children in care on ``as_of`` who entered before
        the window (the census is computed from them too; small counts are suppressed).
    in_care
        Children in care on ``as_of``, communities x cells.
    stock_census
        Of them, the expected number still in care at the end of the horizon.
    entry_census
        Expected entries over the horizon still in care at its end, communities x cells.
    projection
        ``"stock_flow"`` or ``"steady_state"``: which projection :attr:`census` is.
    shape
        Posterior Gamma shape of each community's rate (its relative uncertainty is
        ``1 / sqrt(shape)``).
    raw_rate, rate
        Entries per child-year of each community before and after shrinkage (per community-
        year without child populations).
    parameters
        City rate, prior strength, trend slope and factor, stays by age band, the stock and
        the share of entries still in care at the horizon's end.
    """

    cells: pd.DataFrame
    entries_per_year: FloatArray
    stay_years: FloatArray
    observed: FloatArray
    in_care: FloatArray
    stock_census: FloatArray
    entry_census: FloatArray
    projection: str
    shape: FloatArray
    raw_rate: FloatArray
    rate: FloatArray
    parameters: dict[str, Any]

    @property
    def steady_state(self) -> FloatArray:
        """Expected children in care by Little's law (entries x mean stay), communities x cells."""
        return self.entries_per_year * self.stay_years[None, :]

    @property
    def stock_flow(self) -> FloatArray:
        """Expected children in care at the horizon's end: today's still there, and entries."""
        return self.stock_census + self.entry_census

    @property
    def census(self) -> FloatArray:
        """Expected children in care by the policy's projection, communities x cells."""
        return self.stock_flow if self.projection == "stock_flow" else self.steady_state

    @property
    def census_from_entries(self) -> FloatArray:
        """The part of :attr:`census` proportional to the entry rate (uncertain with it)."""
        return self.entry_census if self.projection == "stock_flow" else self.steady_state

    def cell_mask(self, segment: Segment) -> NDArray[np.bool_]:
        """Which cells belong to ``segment``."""
        low = self.cells["age"].map(lambda band: AGE_BANDS[band][0])
        return segment.children(
            low, self.cells["size"], self.cells["needs"], self.cells["language"]
        )


def _window_entries(
    inputs: RecruitmentInputs, policy: RecruitmentPolicy
) -> tuple[pd.DataFrame, pd.Timestamp]:
    as_of = pd.Timestamp(inputs.as_of)
    start = as_of - pd.Timedelta(days=policy.history_years * DAYS_PER_YEAR)
    ep = inputs.episodes
    keep = (ep["removed_on"] > start) & (ep["removed_on"] <= as_of) & (ep["age"] <= 17)
    return ep.loc[keep], start


def _cells_of(frame: pd.DataFrame, policy: RecruitmentPolicy) -> pd.DataFrame:
    """The cell columns of children (episodes or unmet rows)."""
    return pd.DataFrame(
        {
            "age": age_band(frame["age"]),
            "size": frame["group_size"].clip(1, MAX_GROUP_SIZE).astype("int64"),
            "needs": needs_segment(frame["needs"], policy.needs_order),
            "language": frame["language"].fillna(UNKNOWN_LANGUAGE).astype("str"),
        },
        index=frame.index,
    )


def _trend(
    yearly: FloatArray, weights: FloatArray, horizon_years: float, cap: float
) -> tuple[float, float]:
    """Slope (per year) of a log-linear Poisson fit to yearly totals, and the factor it gives.

    ``yearly[j]`` counts year ``j`` back from ``as_of``. The factor carries the weighted
    history (centred where its weights centre) to the middle of the horizon.
    """
    x = -(np.arange(len(yearly)) + 0.5)
    if len(yearly) < 2 or yearly.sum() < 10 or np.count_nonzero(yearly) < 2:
        return 0.0, 1.0
    # Newton's method on the Poisson log-likelihood of log(mu) = alpha + beta * x
    alpha, beta = float(np.log(yearly.mean())), 0.0
    for _ in range(50):
        mu = np.exp(alpha + beta * x)
        grad = np.array([np.sum(yearly - mu), np.sum((yearly - mu) * x)])
        hess = np.array([[mu.sum(), (mu * x).sum()], [(mu * x).sum(), (mu * x * x).sum()]])
        step = np.linalg.solve(hess, grad)
        alpha, beta = alpha + float(step[0]), beta + float(step[1])
        if np.abs(step).max() < 1e-10:
            break
    centre = float(np.sum(weights * x) / np.sum(weights))
    factor = float(np.exp(beta * (horizon_years / 2.0 - centre)))
    return beta, float(np.clip(factor, 1.0 / cap, cap))


def _in_care(inputs: RecruitmentInputs) -> pd.DataFrame:
    """Episodes of children (17 or under at entry) still in care on ``as_of``."""
    as_of = pd.Timestamp(inputs.as_of)
    ep = inputs.episodes
    open_ = ep["discharged_on"].isna() | (ep["discharged_on"] > as_of)
    return ep.loc[(ep["removed_on"] <= as_of) & open_ & (ep["age"] <= 17)]


def _cohort(
    inputs: RecruitmentInputs, policy: RecruitmentPolicy
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.str_]]:
    """Stays of the entry cohorts of ``cohort_years``: years, exit seen, age band at entry."""
    as_of = pd.Timestamp(inputs.as_of)
    start = as_of - pd.Timedelta(days=policy.cohort_years * DAYS_PER_YEAR)
    ep = inputs.episodes
    cohort = ep.loc[(ep["removed_on"] > start) & (ep["removed_on"] <= as_of) & (ep["age"] <= 17)]
    # a discharge after as_of was not known on as_of: censored there
    seen = cohort["discharged_on"].notna() & (cohort["discharged_on"] <= as_of)
    end = cohort["discharged_on"].where(seen, as_of)
    years = ((end - cohort["removed_on"]).dt.days / DAYS_PER_YEAR).clip(lower=0.0)
    bands = age_band(cohort["age"]).to_numpy(dtype=np.str_)
    return years.to_numpy(dtype=np.float64), seen.to_numpy(dtype=bool), bands


def _stays(
    years: FloatArray,
    observed: NDArray[np.bool_],
    bands: NDArray[np.str_],
    policy: RecruitmentPolicy,
) -> dict[str, float]:
    """Mean stay (years, KM restricted mean) per age band of entry, from entry cohorts."""
    overall = km_restricted_mean(years, observed, policy.restrict_years)
    if np.isnan(overall):
        overall = 0.0
    stays: dict[str, float] = {"all": overall}
    for band in AGE_BANDS:
        mine = bands == band
        if mine.sum() >= policy.min_entries:
            stays[band] = km_restricted_mean(years[mine], observed[mine], policy.restrict_years)
        else:
            stays[band] = overall
    return stays


def _survival(
    years: FloatArray,
    observed: NDArray[np.bool_],
    bands: NDArray[np.str_],
    policy: RecruitmentPolicy,
) -> dict[str, TailedSurvival]:
    """Survival of stays per age band of entry (pooled where a band has too few entries)."""
    pooled = km_survival(years, observed, MIN_AT_RISK)
    curves: dict[str, TailedSurvival] = {}
    for band in AGE_BANDS:
        mine = bands == band
        enough = mine.sum() >= policy.min_entries
        curves[band] = km_survival(years[mine], observed[mine], MIN_AT_RISK) if enough else pooled
    return curves


def project_demand(
    inputs: RecruitmentInputs, policy: RecruitmentPolicy, horizon_months: int
) -> Demand:
    """Project entries and the census per community and cell (see the module docstring)."""
    n = inputs.n_communities
    entries, start = _window_entries(inputs, policy)
    stock = _in_care(inputs)
    as_of = pd.Timestamp(inputs.as_of)
    keys = ["age", "size", "needs", "language"]
    # the cells of the entries and of the children in care (some entered before the window)
    both = pd.concat([_cells_of(entries, policy), _cells_of(stock, policy)], ignore_index=True)
    grouped = both.groupby(keys, sort=True)
    codes = grouped.ngroup().to_numpy()
    cell_code, stock_cell = codes[: len(entries)], codes[len(entries) :]
    cells = grouped.size().reset_index()[keys].reset_index(drop=True)
    n_cells = len(cells)

    years = policy.history_years
    back = ((as_of - entries["removed_on"]).dt.days / DAYS_PER_YEAR).to_numpy()
    year_back = np.clip(np.floor(back), 0, years - 1).astype(np.int64)
    year_weights = np.asarray(
        0.5 ** ((np.arange(years) + 0.5) / policy.half_life_years), dtype=np.float64
    )
    weight = year_weights[year_back]
    community = inputs.community_codes(entries["community"])
    located = community >= 0

    weighted = np.zeros((n, max(n_cells, 1)))
    observed = np.zeros((n, max(n_cells, 1)))
    if n_cells:
        np.add.at(weighted, (community[located], cell_code[located]), weight[located])
        np.add.at(observed, (community[located], cell_code[located]), 1.0)
    weighted, observed = weighted[:, :n_cells], observed[:, :n_cells]

    population = inputs.communities["child_population"].to_numpy(dtype=np.float64)
    per_child = bool(n) and not np.isnan(population).any()
    exposure_per_year = population if per_child else np.ones(n)
    exposure = exposure_per_year * year_weights.sum()
    counts = weighted.sum(axis=1)
    total_exposure = exposure.sum()
    city_rate = counts.sum() / total_exposure if total_exposure > 0 else 0.0

    # method of moments: the spread of the raw rates beyond Poisson noise is the prior's
    raw_rate = np.divide(counts, exposure, out=np.zeros(n), where=exposure > 0)
    spread = np.sum(exposure * (raw_rate - city_rate) ** 2)
    between = (spread - max(n - 1, 0) * city_rate) / total_exposure if total_exposure else 0.0
    if between > 0 and city_rate > 0:
        prior = float(
            np.clip(city_rate / between, policy.min_prior_child_years, policy.max_prior_child_years)
        )
    else:
        prior = policy.max_prior_child_years
    if not per_child:
        # the prior is in community-years here, not child-years: scale the bounds' meaning
        prior = float(np.clip(city_rate / between, 0.5, 50.0)) if between > 0 else 50.0
    a = prior * city_rate
    rate = (counts + a) / (exposure + prior)
    shape = counts + a

    yearly = np.bincount(year_back[located], minlength=years)
    slope, factor = _trend(
        yearly.astype(np.float64), year_weights, horizon_months / 12.0, policy.max_trend_factor
    )

    city_mix = weighted.sum(axis=0)
    city_mix = city_mix / city_mix.sum() if city_mix.sum() > 0 else city_mix
    k = policy.mix_prior_entries
    denominator = counts + k
    mix = np.divide(
        weighted + k * city_mix[None, :],
        denominator[:, None],
        out=np.broadcast_to(city_mix, weighted.shape).copy(),
        where=denominator[:, None] > 0,
    )
    entries_per_year = (rate * exposure_per_year * factor)[:, None] * mix

    cohort = _cohort(inputs, policy)
    stays = _stays(*cohort, policy)
    stay_years = cells["age"].map(stays).to_numpy(dtype=np.float64)

    # stock and flow: who of today's children is still in care at the horizon's end, and of
    # the entries to come (evenly spread over the horizon)
    horizon_years = horizon_months / 12.0
    curves = _survival(*cohort, policy)
    still_in = np.ones(len(stock))
    stock_band = age_band(stock["age"]).to_numpy()
    elapsed = ((as_of - stock["removed_on"]).dt.days / DAYS_PER_YEAR).to_numpy(dtype=np.float64)
    for band, curve in curves.items():
        mine = stock_band == band
        still_in[mine] = curve.conditional(elapsed[mine], horizon_years)
    entry_share = {
        band: curve.area(horizon_years) / horizon_years for band, curve in curves.items()
    }
    stock_code = inputs.community_codes(stock["community"])
    here = stock_code >= 0
    in_care = np.zeros((n, n_cells))
    stock_census = np.zeros((n, n_cells))
    np.add.at(in_care, (stock_code[here], stock_cell[here]), 1.0)
    np.add.at(stock_census, (stock_code[here], stock_cell[here]), still_in[here])
    share_of_cell = cells["age"].map(entry_share).to_numpy(dtype=np.float64)
    entry_census = entries_per_year * horizon_years * share_of_cell[None, :]
    if policy.projection == "stock_flow":
        # the census is computed from these children too: count them for suppression
        earlier = (stock["removed_on"] <= start).to_numpy() & here
        np.add.at(observed, (stock_code[earlier], stock_cell[earlier]), 1.0)

    parameters: dict[str, Any] = {
        "projection": policy.projection,
        "city_entry_rate_per_1000": round(1000.0 * city_rate, 3) if per_child else None,
        "prior_child_years": round(prior, 1) if per_child else None,
        "trend_per_year": round(float(np.expm1(slope)), 4),
        "trend_factor": round(factor, 4),
        "mean_stay_years": {band: round(v, 3) for band, v in stays.items()},
        "history_entries": int(np.count_nonzero(located)),
        "in_care_on_as_of": int(in_care.sum()),
        "still_in_care_at_horizon_end": round(float(stock_census.sum()), 1),
        "entries_still_in_care_share": {
            band: round(share, 3) for band, share in entry_share.items()
        },
    }
    return Demand(
        cells=cells,
        entries_per_year=entries_per_year,
        stay_years=stay_years,
        observed=observed,
        in_care=in_care,
        stock_census=stock_census,
        entry_census=entry_census,
        projection=policy.projection,
        shape=shape,
        raw_rate=raw_rate,
        rate=rate,
        parameters=parameters,
    )
