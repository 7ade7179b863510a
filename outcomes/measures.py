"""The outcome measures of REFERENCE.md section B for one period, by group.

Each measure is a :class:`Measure` (a name people read, its unit, how its disparity index is
computed, whether lower is better, its definition). :func:`period_cells` computes every
measure for one period and every requested breakdown as a long table of *cells*: one row per
measure x breakdown x group with the counts behind the value, ready for the disparity and
suppression steps. Groups are summed with ``numpy.bincount``, so a period costs a few passes
over the arrays whatever the number of groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from core.codes import DISCHARGE_REASONS, PLACEMENT_SETTINGS
from core.survival import kaplan_meier
from outcomes.prepare import OPEN, Prepared
from outcomes.settings import OutcomeSettings

__all__ = ["MEASURES", "Measure", "measure", "period_cells"]

Kind = Literal["population_rate", "proportion", "event_rate", "days_share", "median", "survival"]


@dataclass(frozen=True)
class Measure:
    """One outcome measure.

    Attributes
    ----------
    key
        Stable identifier used in JSON and CSV.
    name
        What people read.
    unit
        ``per 1,000 children``, ``%``, ``days``, ``km`` or ``per 1,000 days``.
    kind
        How numerator and denominator relate, which fixes the disparity formula: proportions
        use the ratio of proportions and the risk difference, rates per day the Poisson rate
        ratio; medians have no disparity index (length of stay uses the exit-rate ratio).
    lower_is_better
        True for re-entry, moves, congregate care, length of stay and distance.
    definition
        Numerator, denominator and exclusions in one sentence.
    """

    key: str
    name: str
    unit: str
    kind: Kind
    lower_is_better: bool | None
    definition: str


MEASURES: tuple[Measure, ...] = (
    Measure(
        "entries_per_1000",
        "Entries per 1,000 children",
        "per 1,000 children",
        "population_rate",
        None,
        "children 0-17 entering care in the period (first entry; stays under 8 days excluded) "
        "per 1,000 children 0-17 of the population",
    ),
    Measure(
        "own_community_first",
        "First placement in own community",
        "%",
        "proportion",
        False,
        "entries whose first placement with an address (a family home) is in the community "
        "of the removal address, over entries with such a placement",
    ),
    Measure(
        "distance_first_km",
        "Median distance of first placement",
        "km",
        "median",
        True,
        "median distance from the removal address to the first placement with an address",
    ),
    Measure(
        "own_community_current",
        "Current placement in own community",
        "%",
        "proportion",
        False,
        "children in care on the last day of the period whose placement that day has an "
        "address in the community of the removal address, over those with such a placement",
    ),
    Measure(
        "distance_current_km",
        "Median distance of current placement",
        "km",
        "median",
        True,
        "median distance from the removal address to the placement on the last day",
    ),
    Measure(
        "congregate_children",
        "Children in congregate care",
        "%",
        "proportion",
        True,
        "children in care during the period who spent any day of it in a congregate "
        "setting, over children in care during the period",
    ),
    Measure(
        "congregate_days",
        "Care days in congregate care",
        "%",
        "days_share",
        True,
        "days in a congregate setting during the period over all days in care during the "
        "period (days from the 18th birthday on excluded)",
    ),
    Measure(
        "congregate_first",
        "First placement congregate",
        "%",
        "proportion",
        True,
        "entries whose first placement is congregate, over entries with a recorded placement",
    ),
    Measure(
        "congregate_point",
        "In congregate care on the last day",
        "%",
        "proportion",
        True,
        "children in care on the last day of the period placed in a congregate setting that "
        "day, over children in care that day",
    ),
    Measure(
        "stay_median_days",
        "Median length of stay",
        "days",
        "survival",
        True,
        "Kaplan-Meier median days from removal to discharge for the entries; open stays "
        "censored on the as-of date, exits at 18 or older censored; disparity index: ratio "
        "of exit rates (exits per day in care)",
    ),
    Measure(
        "stay_restricted_mean_days",
        "Restricted mean length of stay",
        "days",
        "survival",
        True,
        "area under the Kaplan-Meier curve of the entries up to the horizon "
        "(restricted_mean_days): the mean days in care within it; disparity index: ratio of "
        "exit rates (exits per day in care)",
    ),
    Measure(
        "permanency_12m",
        "Permanency in 12 months",
        "%",
        "proportion",
        False,
        "entries discharged to reunification, relatives, adoption or guardianship within "
        "12 months (before 18; trial-home-visit days beyond 30 not counted), over entries "
        "followed for 12 months",
    ),
    Measure(
        "reunification_12m",
        "Reunification in 12 months",
        "%",
        "proportion",
        False,
        "entries discharged to reunification within 12 months (before 18; trial-home-visit "
        "days beyond 30 not counted), over entries followed for 12 months",
    ),
    Measure(
        "reentry_12m",
        "Re-entry in 12 months",
        "%",
        "proportion",
        True,
        "entries discharged within 12 months to reunification, relatives or guardianship "
        "(not adoption) who re-entered care within 12 months of the discharge, over those "
        "discharges followed for 12 months",
    ),
    Measure(
        "moves_per_1000_days",
        "Placement moves per 1,000 days",
        "per 1,000 days",
        "event_rate",
        True,
        "placement moves of the entries during the period (the first placement, trial home "
        "visits, runaway and respite are not moves) per 1,000 of their days in care in it",
    ),
    Measure(
        "siblings_all",
        "Placed with all siblings",
        "%",
        "proportion",
        False,
        "children in care on the last day with a sibling in care who live in the same home as "
        "all of their siblings in care, over children in care with a sibling in care",
    ),
    Measure(
        "siblings_some",
        "Placed with some siblings",
        "%",
        "proportion",
        False,
        "children in care on the last day with a sibling in care who live in the same home as "
        "at least one of them, over children in care with a sibling in care",
    ),
)

_BY_KEY = {m.key: m for m in MEASURES}

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

CELL_COLUMNS = (
    "measure",
    "breakdown",
    "group",
    "value",
    "numerator",
    "denominator",
    "children",
    "count",
    "di_events",
    "di_base",
)


def measure(key: str) -> Measure:
    """The measure with this key."""
    return _BY_KEY[key]


class _Cells:
    """Collects cells; each ``add`` is one measure for one breakdown (all its groups)."""

    def __init__(self) -> None:
        self.parts: list[dict[str, object]] = []

    def add(
        self,
        key: str,
        breakdown: str,
        groups: Sequence[str],
        value: F64,
        numerator: F64,
        denominator: F64,
        children: F64,
        count: F64,
        di_events: F64 | None = None,
        di_base: F64 | None = None,
    ) -> None:
        n = len(groups)
        if _BY_KEY[key].kind == "median":  # a median has no disparity index
            di_events = di_base = np.full(n, np.nan)
        self.parts.append(
            {
                "measure": [key] * n,
                "breakdown": [breakdown] * n,
                "group": list(groups),
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
                "children": children,
                "count": count,
                "di_events": numerator if di_events is None else di_events,
                "di_base": denominator if di_base is None else di_base,
            }
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({c: [] for c in CELL_COLUMNS})
        frames = [pd.DataFrame(part) for part in self.parts]
        return pd.concat(frames, ignore_index=True)


def _ratio(num: F64, den: F64, scale: float) -> F64:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den * scale, np.nan)


def _sum(codes: I64, n: int, weights: NDArray[np.generic] | None = None) -> F64:
    return np.bincount(codes, weights=weights, minlength=n).astype(np.float64)


def _group_median(codes: I64, n: int, values: F64) -> F64:
    """Median of ``values`` per group code (NaN values ignored; NaN for an empty group)."""
    keep = ~np.isnan(values)
    codes, values = codes[keep], values[keep]
    out = np.full(n, np.nan)
    if values.size == 0:
        return out
    order = np.lexsort((values, codes))
    codes, values = codes[order], values[order]
    counts = np.bincount(codes, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    lo = starts + (counts - 1) // 2
    hi = starts + counts // 2
    out[has] = (values[lo[has]] + values[hi[has]]) / 2.0
    return out


def period_cells(
    prep: Prepared,
    start: int,
    end: int,
    breakdowns: Sequence[str],
    settings: OutcomeSettings,
) -> pd.DataFrame:
    """Every measure for the period ``[start, end]`` (day numbers, both included).

    Parameters
    ----------
    prep
        The prepared records.
    start, end
        First and last day of the period; ``end`` is clipped to the as-of date.
    breakdowns
        ``"overall"`` and any of ``race``, ``sex``, ``age``, ``community``.
    settings
        Exclusions, follow-up and the code sets.

    Returns
    -------
    pandas.DataFrame
        One row per measure x breakdown x group with the columns of ``CELL_COLUMNS``:
        ``count`` is the count of children or events that suppression looks at (besides
        ``children``), ``di_events``/``di_base`` what the disparity index divides.
    """
    end = min(end, prep.as_of)
    cells = _Cells()
    follow = settings.follow_up_days
    excluded = prep.excluded
    n_ep = prep.ep_start.size

    # -- the entry cohort: each child's first entry in the period --------------------------
    entering = (prep.ep_start >= start) & (prep.ep_start <= end) & ~excluded
    ent = np.flatnonzero(entering)
    first_of_child = np.ones(ent.size, dtype=bool)
    first_of_child[1:] = prep.ep_child[ent[1:]] != prep.ep_child[ent[:-1]]
    ent = ent[first_of_child]
    cohort = np.zeros(n_ep, dtype=bool)
    cohort[ent] = True

    e_start, e_end = prep.ep_start[ent], prep.ep_end[ent]
    e_adult = prep.ep_adult[ent]
    reason = prep.ep_reason[ent]
    discharged = e_end < OPEN
    perm_codes = [DISCHARGE_REASONS.index(r) for r in settings.permanency_reasons]
    reentry_codes = [DISCHARGE_REASONS.index(r) for r in settings.reentry_exit_reasons]
    congregate_codes = [PLACEMENT_SETTINGS.index(s) for s in settings.congregate_settings]
    before_adult = discharged & (e_end < e_adult)
    followed = e_start + follow <= prep.as_of
    perm = before_adult & np.isin(reason, perm_codes) & (prep.ep_perm_exit[ent] - e_start <= follow)
    reunified = (
        before_adult
        & (reason == DISCHARGE_REASONS.index("reunification"))
        & (prep.ep_perm_exit[ent] - e_start <= follow)
    )
    reentry_base = (
        before_adult
        & np.isin(reason, reentry_codes)
        & (e_end - e_start <= follow)
        & (e_end + follow <= prep.as_of)
    )
    reentered = reentry_base & (prep.ep_next_start[ent] - e_end <= follow)
    first_setting = prep.ep_first_setting[ent]
    has_placement = first_setting >= 0
    first_congregate = np.isin(first_setting, congregate_codes)
    first_located = prep.ep_first_located[ent]
    first_own = prep.ep_first_own[ent] & first_located
    first_km = np.where(first_located, prep.ep_first_km[ent], np.nan)
    stay_time = (np.minimum(e_end, prep.as_of) - e_start).astype(np.float64)
    stay_event = before_adult

    # moves and days in care of the cohort during the period, before the 18th birthday
    stop = np.minimum(np.minimum(e_end, end + 1), e_adult)
    cohort_days = np.maximum(0, stop - np.maximum(e_start, start)).astype(np.float64)
    pl_ep = prep.pl_ep
    move = (
        prep.pl_move
        & cohort[pl_ep]
        & (prep.pl_start >= start)
        & (prep.pl_start <= end)
        & (prep.pl_start < prep.ep_adult[pl_ep])
    )
    moves_per_ep = np.bincount(pl_ep[move], minlength=n_ep).astype(np.float64)[ent]

    # -- children in care during the period ------------------------------------------------
    ep_stop = np.minimum(np.minimum(prep.ep_end, end + 1), prep.ep_adult)
    care_days_all = np.maximum(0, ep_stop - np.maximum(prep.ep_start, start))
    in_period = (care_days_all > 0) & ~excluded
    pl_stop = np.minimum(
        np.minimum(prep.pl_end, end + 1), np.minimum(prep.ep_adult[pl_ep], prep.ep_end[pl_ep])
    )
    pl_days = np.maximum(0, pl_stop - np.maximum(prep.pl_start, start)).astype(np.float64)
    pl_congregate = np.isin(prep.pl_setting, congregate_codes)
    cong_days_ep = np.bincount(pl_ep[pl_congregate], weights=pl_days[pl_congregate], minlength=n_ep)
    inp = np.flatnonzero(in_period)
    child_runs = np.ones(inp.size, dtype=bool)
    child_runs[1:] = prep.ep_child[inp[1:]] != prep.ep_child[inp[:-1]]
    run_starts = np.flatnonzero(child_runs)
    any_cong = cong_days_ep[inp] > 0
    child_cong = (
        np.maximum.reduceat(any_cong.astype(np.int64), run_starts) > 0
        if run_starts.size
        else np.zeros(0, dtype=bool)
    )
    last_of_run = np.r_[run_starts[1:] - 1, inp.size - 1] if run_starts.size else run_starts
    child_ep = inp[last_of_run]  # the child's latest stay in the period gives the groups

    # -- children in care on the last day --------------------------------------------------
    day = end
    on_day = (prep.ep_start <= day) & (prep.ep_end > day) & (prep.ep_adult > day) & ~excluded
    current = (prep.pl_start <= day) & (prep.pl_end > day) & on_day[pl_ep]
    cur = np.flatnonzero(current)
    # two placements open on the same day: the later one is the current one
    last_cur = np.ones(cur.size, dtype=bool)
    last_cur[:-1] = pl_ep[cur[1:]] != pl_ep[cur[:-1]]
    cur = cur[last_cur]
    day_eps = np.flatnonzero(on_day)
    current_setting = np.full(n_ep, -1, dtype=np.int64)
    current_setting[pl_ep[cur]] = prep.pl_setting[cur]
    current_home = np.full(n_ep, -1, dtype=np.int64)
    current_home[pl_ep[cur]] = prep.pl_home[cur]
    current_located = np.zeros(n_ep, dtype=bool)
    current_located[pl_ep[cur]] = prep.pl_located[cur]
    current_own = np.zeros(n_ep, dtype=bool)
    current_own[pl_ep[cur]] = prep.pl_own[cur]
    current_km = np.full(n_ep, np.nan)
    current_km[pl_ep[cur]] = prep.pl_km[cur]
    d_cong = np.isin(current_setting[day_eps], congregate_codes)
    d_located = current_located[day_eps]

    # siblings: the same home id is together
    sib = day_eps[prep.ep_sibling_group[day_eps] >= 0]
    sib_group = prep.ep_sibling_group[sib]
    sib_home = current_home[sib]
    group_size = np.bincount(sib_group)[sib_group] if sib.size else np.zeros(0, np.int64)
    pair = sib_group * (int(sib_home.max(initial=0)) + 2) + (sib_home + 1)
    _, pair_inverse, pair_counts = np.unique(pair, return_inverse=True, return_counts=True)
    together = pair_counts[pair_inverse] if sib.size else np.zeros(0, np.int64)
    has_sibling = group_size >= 2
    with_all = has_sibling & (sib_home >= 0) & (together == group_size)
    with_some = has_sibling & (sib_home >= 0) & (together >= 2)
    sib = sib[has_sibling]
    with_all, with_some = with_all[has_sibling], with_some[has_sibling]

    for breakdown in breakdowns:
        codes = prep.ep_groups[breakdown]
        labels = prep.labels[breakdown]
        n = len(labels)
        g_ent = codes[ent]

        def proportion(
            key: str,
            units: I64,
            hits: B,
            _breakdown: str = breakdown,
            _labels: tuple[str, ...] = labels,
        ) -> None:
            n_ = len(_labels)
            den = _sum(units, n_)
            num = _sum(units[hits], n_)
            cells.add(key, _breakdown, _labels, _ratio(num, den, 100.0), num, den, den, num)

        entries = _sum(g_ent, n)
        population = prep.population[breakdown]
        cells.add(
            "entries_per_1000",
            breakdown,
            labels,
            _ratio(entries, population, 1000.0),
            entries,
            population,
            entries,
            entries,
        )
        proportion("own_community_first", g_ent[first_located], first_own[first_located])
        counted = _sum(g_ent[first_located], n)
        cells.add(
            "distance_first_km",
            breakdown,
            labels,
            _group_median(g_ent, n, first_km),
            counted,
            counted,
            counted,
            counted,
        )
        g_day = codes[day_eps]
        proportion(
            "own_community_current",
            g_day[d_located],
            current_own[day_eps][d_located],
        )
        located_day = _sum(g_day[d_located], n)
        cells.add(
            "distance_current_km",
            breakdown,
            labels,
            _group_median(g_day, n, np.where(d_located, current_km[day_eps], np.nan)),
            located_day,
            located_day,
            located_day,
            located_day,
        )
        proportion("congregate_children", codes[child_ep], child_cong)
        g_inp = codes[inp]
        cong_days = _sum(g_inp, n, cong_days_ep[inp])
        care_days = _sum(g_inp, n, care_days_all[inp].astype(np.float64))
        in_care = _sum(codes[child_ep], n)
        cells.add(
            "congregate_days",
            breakdown,
            labels,
            _ratio(cong_days, care_days, 100.0),
            cong_days,
            care_days,
            in_care,
            _sum(codes[child_ep], n, child_cong.astype(np.float64)),
        )
        proportion("congregate_first", g_ent[has_placement], first_congregate[has_placement])
        proportion("congregate_point", g_day, d_cong)
        _survival(cells, breakdown, labels, g_ent, stay_time, stay_event, settings)
        proportion("permanency_12m", g_ent[followed], perm[followed])
        proportion("reunification_12m", g_ent[followed], reunified[followed])
        proportion("reentry_12m", g_ent[reentry_base], reentered[reentry_base])
        moves = _sum(g_ent, n, moves_per_ep)
        days = _sum(g_ent, n, cohort_days)
        cells.add(
            "moves_per_1000_days",
            breakdown,
            labels,
            _ratio(moves, days, 1000.0),
            moves,
            days,
            entries,
            moves,
        )
        proportion("siblings_all", codes[sib], with_all)
        proportion("siblings_some", codes[sib], with_some)
    return cells.frame()


def _survival(
    cells: _Cells,
    breakdown: str,
    labels: Sequence[str],
    codes: I64,
    time: F64,
    event: B,
    settings: OutcomeSettings,
) -> None:
    """Kaplan-Meier median and restricted mean per group; the disparity is the exit rate."""
    n = len(labels)
    median = np.full(n, np.nan)
    restricted = np.full(n, np.nan)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=n)
    bounds = np.concatenate(([0], np.cumsum(counts)))
    for g in np.flatnonzero(counts):
        members = order[bounds[g] : bounds[g + 1]]
        curve = kaplan_meier(time[members], event[members])
        m = curve.median()
        r = curve.restricted_mean(settings.restricted_mean_days)
        median[g] = np.nan if m is None else m
        restricted[g] = np.nan if r is None else r
    children = counts.astype(np.float64)
    exits = _sum(codes, n, event.astype(np.float64))
    exposure = _sum(codes, n, time)
    for key, value in (("stay_median_days", median), ("stay_restricted_mean_days", restricted)):
        cells.add(key, breakdown, labels, value, exits, children, children, exits, exits, exposure)
