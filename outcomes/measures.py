"""The outcome measures (README, "Outcomes") for one period, by group.

Each measure is defined in :mod:`outcomes.definitions`. :func:`period_cells` computes every
measure for one period and every requested breakdown as a long table of *cells*: one row per
measure x breakdown x group with the counts behind the value, ready for the disparity and
suppression steps. Groups are summed with ``numpy.bincount``, so a period costs a few passes
over the arrays whatever the number of groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from core.codes import DISCHARGE_REASONS, PLACEMENT_SETTINGS
from core.survival import kaplan_meier
from outcomes.definitions import BY_KEY
from outcomes.prepare import OPEN, Prepared
from outcomes.settings import OutcomeSettings

__all__ = ["period_cells"]


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
        if BY_KEY[key].kind == "median":  # a median has no disparity index
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


@dataclass(frozen=True)
class _Cohort:
    """The entry cohort: each child's first entry in the period, and what became of it."""

    ent: I64  # the episodes
    first_located: B  # the first placement's home is located
    first_own: B  # ... and in the child's own community
    first_km: F64  # ... its distance (NaN when not located)
    has_placement: B
    first_congregate: B
    stay_time: F64  # days in care, up to the as-of date
    stay_event: B  # the stay ended before 18 (else censored)
    followed: B  # followed for the whole follow-up
    permanency: B
    reunified: B
    reentry_base: B  # exits after which a re-entry is counted
    reentered: B
    moves: F64  # moves during the period, before 18
    days: F64  # days in care during the period, before 18

    @classmethod
    def of(cls, prep: Prepared, start: int, end: int, settings: OutcomeSettings) -> _Cohort:
        follow = settings.follow_up_days
        entering = (prep.ep_start >= start) & (prep.ep_start <= end) & ~prep.excluded
        ent = np.flatnonzero(entering)
        first_of_child = np.ones(ent.size, dtype=bool)
        first_of_child[1:] = prep.ep_child[ent[1:]] != prep.ep_child[ent[:-1]]
        ent = ent[first_of_child]
        cohort = np.zeros(prep.ep_start.size, dtype=bool)
        cohort[ent] = True

        e_start, e_end = prep.ep_start[ent], prep.ep_end[ent]
        e_adult = prep.ep_adult[ent]
        reason = prep.ep_reason[ent]
        discharged = e_end < OPEN
        perm_codes = [DISCHARGE_REASONS.index(r) for r in settings.permanency_reasons]
        reentry_codes = [DISCHARGE_REASONS.index(r) for r in settings.reentry_exit_reasons]
        before_adult = discharged & (e_end < e_adult)
        within = prep.ep_perm_exit[ent] - e_start <= follow
        reentry_base = (
            before_adult
            & np.isin(reason, reentry_codes)
            & (e_end - e_start <= follow)
            & (e_end + follow <= prep.as_of)
        )
        first_setting = prep.ep_first_setting[ent]
        first_located = prep.ep_first_located[ent]

        # moves and days in care of the cohort during the period, before the 18th birthday
        stop = np.minimum(np.minimum(e_end, end + 1), e_adult)
        pl_ep = prep.pl_ep
        move = (
            prep.pl_move
            & cohort[pl_ep]
            & (prep.pl_start >= start)
            & (prep.pl_start <= end)
            & (prep.pl_start < prep.ep_adult[pl_ep])
        )
        moves = np.bincount(pl_ep[move], minlength=prep.ep_start.size).astype(np.float64)
        return cls(
            ent=ent,
            first_located=first_located,
            first_own=prep.ep_first_own[ent] & first_located,
            first_km=np.where(first_located, prep.ep_first_km[ent], np.nan),
            has_placement=first_setting >= 0,
            first_congregate=np.isin(first_setting, _congregate_codes(settings)),
            stay_time=(np.minimum(e_end, prep.as_of) - e_start).astype(np.float64),
            stay_event=before_adult,
            followed=e_start + follow <= prep.as_of,
            permanency=before_adult & np.isin(reason, perm_codes) & within,
            reunified=before_adult & (reason == DISCHARGE_REASONS.index("reunification")) & within,
            reentry_base=reentry_base,
            reentered=reentry_base & (prep.ep_next_start[ent] - e_end <= follow),
            moves=moves[ent],
            days=np.maximum(0, stop - np.maximum(e_start, start)).astype(np.float64),
        )


def _congregate_codes(settings: OutcomeSettings) -> list[int]:
    return [PLACEMENT_SETTINGS.index(s) for s in settings.congregate_settings]


@dataclass(frozen=True)
class _InCare:
    """The children in care during the period, and their days in congregate care."""

    episodes: I64  # every episode in care during the period
    care_days: F64  # per episode (all episodes)
    congregate_days: F64  # per episode (all episodes)
    child_ep: I64  # each child's latest stay in the period (it gives the groups)
    child_congregate: B  # the child spent a day in congregate care

    @classmethod
    def of(cls, prep: Prepared, start: int, end: int, settings: OutcomeSettings) -> _InCare:
        pl_ep = prep.pl_ep
        ep_stop = np.minimum(np.minimum(prep.ep_end, end + 1), prep.ep_adult)
        care_days = np.maximum(0, ep_stop - np.maximum(prep.ep_start, start))
        in_period = (care_days > 0) & ~prep.excluded
        pl_stop = np.minimum(
            np.minimum(prep.pl_end, end + 1),
            np.minimum(prep.ep_adult[pl_ep], prep.ep_end[pl_ep]),
        )
        pl_days = np.maximum(0, pl_stop - np.maximum(prep.pl_start, start)).astype(np.float64)
        pl_congregate = np.isin(prep.pl_setting, _congregate_codes(settings))
        cong_days = np.bincount(
            pl_ep[pl_congregate], weights=pl_days[pl_congregate], minlength=prep.ep_start.size
        )
        inp = np.flatnonzero(in_period)
        child_runs = np.ones(inp.size, dtype=bool)
        child_runs[1:] = prep.ep_child[inp[1:]] != prep.ep_child[inp[:-1]]
        run_starts = np.flatnonzero(child_runs)
        any_cong = cong_days[inp] > 0
        child_cong = (
            np.maximum.reduceat(any_cong.astype(np.int64), run_starts) > 0
            if run_starts.size
            else np.zeros(0, dtype=bool)
        )
        last_of_run = np.r_[run_starts[1:] - 1, inp.size - 1] if run_starts.size else run_starts
        return cls(
            episodes=inp,
            care_days=care_days.astype(np.float64),
            congregate_days=cong_days.astype(np.float64),
            child_ep=inp[last_of_run],
            child_congregate=child_cong,
        )


@dataclass(frozen=True)
class _LastDay:
    """The children in care on the period's last day: where they live, and their siblings."""

    episodes: I64
    located: B  # the current home is located
    own: B  # ... in the child's own community
    km: F64  # ... its distance
    congregate: B
    siblings: I64  # the episodes of children with a brother or sister in care that day
    with_all: B  # living with all of them
    with_some: B  # with at least one

    @classmethod
    def of(cls, prep: Prepared, day: int, settings: OutcomeSettings) -> _LastDay:
        n_ep = prep.ep_start.size
        pl_ep = prep.pl_ep
        on_day = (prep.ep_start <= day) & (prep.ep_end > day) & (prep.ep_adult > day)
        on_day &= ~prep.excluded
        current = (prep.pl_start <= day) & (prep.pl_end > day) & on_day[pl_ep]
        cur = np.flatnonzero(current)
        # two placements open on the same day: the later one is the current one
        last_cur = np.ones(cur.size, dtype=bool)
        last_cur[:-1] = pl_ep[cur[1:]] != pl_ep[cur[:-1]]
        cur = cur[last_cur]
        day_eps = np.flatnonzero(on_day)
        setting = np.full(n_ep, -1, dtype=np.int64)
        setting[pl_ep[cur]] = prep.pl_setting[cur]
        home = np.full(n_ep, -1, dtype=np.int64)
        home[pl_ep[cur]] = prep.pl_home[cur]
        located = np.zeros(n_ep, dtype=bool)
        located[pl_ep[cur]] = prep.pl_located[cur]
        own = np.zeros(n_ep, dtype=bool)
        own[pl_ep[cur]] = prep.pl_own[cur]
        km = np.full(n_ep, np.nan)
        km[pl_ep[cur]] = prep.pl_km[cur]

        # siblings: the same home id is together
        sib = day_eps[prep.ep_sibling_group[day_eps] >= 0]
        sib_group = prep.ep_sibling_group[sib]
        sib_home = home[sib]
        group_size = np.bincount(sib_group)[sib_group] if sib.size else np.zeros(0, np.int64)
        pair = sib_group * (int(sib_home.max(initial=0)) + 2) + (sib_home + 1)
        _, pair_inverse, pair_counts = np.unique(pair, return_inverse=True, return_counts=True)
        together = pair_counts[pair_inverse] if sib.size else np.zeros(0, np.int64)
        has_sibling = group_size >= 2
        with_all = has_sibling & (sib_home >= 0) & (together == group_size)
        with_some = has_sibling & (sib_home >= 0) & (together >= 2)
        return cls(
            episodes=day_eps,
            located=located[day_eps],
            own=own[day_eps],
            km=km[day_eps],
            congregate=np.isin(setting[day_eps], _congregate_codes(settings)),
            siblings=sib[has_sibling],
            with_all=with_all[has_sibling],
            with_some=with_some[has_sibling],
        )


@dataclass(frozen=True)
class _Breakdown:
    """One breakdown's groups, and the verbs that add a measure's cells for all of them."""

    cells: _Cells
    name: str
    labels: tuple[str, ...]
    codes: I64  # the group of each episode

    @property
    def n(self) -> int:
        return len(self.labels)

    def proportion(self, key: str, units: I64, hits: B) -> None:
        """The share of ``units`` (group codes) that are ``hits``, in percent."""
        den = _sum(units, self.n)
        num = _sum(units[hits], self.n)
        self.cells.add(key, self.name, self.labels, _ratio(num, den, 100.0), num, den, den, num)

    def median(self, key: str, units: I64, values: F64, counted: F64) -> None:
        """The median of ``values`` per group (NaN ignored), over ``counted`` children."""
        median = _group_median(units, self.n, values)
        self.cells.add(key, self.name, self.labels, median, counted, counted, counted, counted)


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
    cohort = _Cohort.of(prep, start, end, settings)
    in_care = _InCare.of(prep, start, end, settings)
    last_day = _LastDay.of(prep, end, settings)
    for name in breakdowns:
        g = _Breakdown(cells, name, tuple(prep.labels[name]), prep.ep_groups[name])
        _entries(g, cohort, prep.population[name])
        _close_to_home(g, cohort, last_day)
        _congregate_care(g, cohort, in_care, last_day)
        _survival(
            cells,
            name,
            g.labels,
            g.codes[cohort.ent],
            cohort.stay_time,
            cohort.stay_event,
            settings,
        )
        _permanency(g, cohort)
        _moves(g, cohort)
        _siblings(g, last_day)
    return cells.frame()


def _entries(g: _Breakdown, cohort: _Cohort, population: F64) -> None:
    """Children entering care per 1,000 children of the group's population."""
    entries = _sum(g.codes[cohort.ent], g.n)
    g.cells.add(
        "entries_per_1000",
        g.name,
        g.labels,
        _ratio(entries, population, 1000.0),
        entries,
        population,
        entries,
        entries,
    )


def _close_to_home(g: _Breakdown, cohort: _Cohort, day: _LastDay) -> None:
    """Own community and distance: of the first placement, and of the home on the last day."""
    g_ent = g.codes[cohort.ent]
    located = cohort.first_located
    g.proportion("own_community_first", g_ent[located], cohort.first_own[located])
    g.median("distance_first_km", g_ent, cohort.first_km, _sum(g_ent[located], g.n))
    g_day = g.codes[day.episodes]
    g.proportion("own_community_current", g_day[day.located], day.own[day.located])
    g.median(
        "distance_current_km",
        g_day,
        np.where(day.located, day.km, np.nan),
        _sum(g_day[day.located], g.n),
    )


def _congregate_care(g: _Breakdown, cohort: _Cohort, care: _InCare, day: _LastDay) -> None:
    """Group care: children who spent a day there, the share of care days, the first
    placement, and the last day."""
    g.proportion("congregate_children", g.codes[care.child_ep], care.child_congregate)
    g_inp = g.codes[care.episodes]
    cong_days = _sum(g_inp, g.n, care.congregate_days[care.episodes])
    care_days = _sum(g_inp, g.n, care.care_days[care.episodes])
    in_care = _sum(g.codes[care.child_ep], g.n)
    g.cells.add(
        "congregate_days",
        g.name,
        g.labels,
        _ratio(cong_days, care_days, 100.0),
        cong_days,
        care_days,
        in_care,
        _sum(g.codes[care.child_ep], g.n, care.child_congregate.astype(np.float64)),
    )
    g_ent = g.codes[cohort.ent]
    g.proportion(
        "congregate_first",
        g_ent[cohort.has_placement],
        cohort.first_congregate[cohort.has_placement],
    )
    g.proportion("congregate_point", g.codes[day.episodes], day.congregate)


def _permanency(g: _Breakdown, cohort: _Cohort) -> None:
    """Permanency and reunification within the follow-up, and re-entry after an exit."""
    g_ent = g.codes[cohort.ent]
    g.proportion("permanency_12m", g_ent[cohort.followed], cohort.permanency[cohort.followed])
    g.proportion("reunification_12m", g_ent[cohort.followed], cohort.reunified[cohort.followed])
    g.proportion("reentry_12m", g_ent[cohort.reentry_base], cohort.reentered[cohort.reentry_base])


def _moves(g: _Breakdown, cohort: _Cohort) -> None:
    """Moves per 1,000 days in care of the entry cohort."""
    g_ent = g.codes[cohort.ent]
    moves = _sum(g_ent, g.n, cohort.moves)
    days = _sum(g_ent, g.n, cohort.days)
    g.cells.add(
        "moves_per_1000_days",
        g.name,
        g.labels,
        _ratio(moves, days, 1000.0),
        moves,
        days,
        _sum(g_ent, g.n),
        moves,
    )


def _siblings(g: _Breakdown, day: _LastDay) -> None:
    """Children with brothers or sisters in care living with all, and with some, of them."""
    g.proportion("siblings_all", g.codes[day.siblings], day.with_all)
    g.proportion("siblings_some", g.codes[day.siblings], day.with_some)


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
