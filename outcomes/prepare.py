"""From the input frames to columnar arrays, once, so each period is a few vectorised passes.

Dates become whole days since 1970-01-01 (int64); an open end is :data:`OPEN`. Episodes are
sorted by child and removal date; each placement is linked to the episode that contains its
start date (by a binary search on a child-and-day key, not a loop). Everything that does not
depend on the period is computed here: groups, exclusions, the first placement, the
trial-home-visit adjustment, the next removal and which placements are moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from core.codes import DISCHARGE_REASONS, PLACEMENT_SETTINGS, SEXES
from geo.distance import haversine_km
from outcomes.settings import OutcomeSettings
from outcomes.tables import (
    AGE_BANDS,
    RACE_CATEGORIES,
    OutcomeTables,
    age_band,
    race_ethnicity,
)

__all__ = ["OPEN", "Prepared", "day_number", "from_day", "prepare"]

OPEN = np.int64(10_000_000)  # an open end: a day far beyond any real date (year ~29,000)
_EPOCH = date(1970, 1, 1)
_DAY_BITS = 24  # a day number fits in 24 bits until the year ~47,000

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]


def day_number(value: date) -> int:
    """Days since 1970-01-01."""
    return (value - _EPOCH).days


def from_day(day: int) -> date:
    """The date of a day number."""
    return date.fromordinal(_EPOCH.toordinal() + int(day))


def _days(series: pd.Series) -> I64:
    values = pd.to_datetime(series).to_numpy().astype("datetime64[D]")
    out: NDArray[np.int64] = values.astype(np.int64)
    out[np.isnat(values)] = OPEN
    return out


def _ymd(days: I64) -> tuple[I64, I64]:
    """Year and month*100+day of each day number (for ages by birthday)."""
    d = days.astype("datetime64[D]")
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    months = d.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    dom = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return years, month * 100 + dom


def _age(birth: I64, day: I64) -> I64:
    """Whole years of age on ``day`` (a 29 February birthday counts on 1 March)."""
    by, bmd = _ymd(birth)
    dy, dmd = _ymd(np.minimum(day, OPEN - 1))
    return dy - by - (dmd < bmd)


def _birthday(birth: I64, years: int) -> I64:
    """The day of the ``years``-th birthday (29 February -> 1 March in common years)."""
    d = birth.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    dom = (d - months.astype("datetime64[D]")).astype(np.int64)
    target = (months + np.timedelta64(12 * years, "M")).astype("datetime64[D]")
    days: NDArray[np.int64] = target.astype(np.int64) + dom
    return days


def _codes(values: pd.Series, labels: tuple[str, ...]) -> NDArray[np.int64]:
    codes: NDArray[np.int64] = pd.Index(labels).get_indexer(
        values.astype(object).where(values.notna(), None)
    )
    return codes


@dataclass(frozen=True)
class Prepared:
    """The records as aligned numpy arrays (see the module docstring). Internal."""

    as_of: int
    labels: dict[str, tuple[str, ...]]
    names: dict[str, tuple[str, ...]]
    population: dict[str, F64]
    # episodes, sorted by child then removal
    ep_child: I64
    ep_start: I64
    ep_end: I64  # discharge day, OPEN while open on the as-of date
    ep_reason: I64  # index into DISCHARGE_REASONS, -1 while open
    ep_adult: I64  # the day of the 18th birthday
    ep_age: I64  # age at entry
    ep_groups: dict[str, I64]
    ep_short: B  # stay shorter than the minimum
    ep_adult_entry: B  # entered at 18 or older
    ep_perm_exit: I64  # discharge day for time to permanency (trial home visits capped)
    ep_next_start: I64  # the child's next removal, OPEN when none
    ep_first_setting: I64  # -1 when no placement is recorded
    ep_first_located: B
    ep_first_own: B
    ep_first_km: F64
    ep_sibling_group: I64  # -1 when none
    # placements linked to an episode, sorted by episode, start, end
    pl_ep: I64
    pl_start: I64
    pl_end: I64  # clipped to the episode's end; OPEN while open
    pl_setting: I64
    pl_home: I64  # -1 when no home
    pl_located: B
    pl_own: B
    pl_km: F64
    pl_move: B
    unlinked_placements: int

    @property
    def excluded(self) -> B:
        """Episodes left out of every measure (CFSR): short stays and entries at 18+."""
        return self.ep_short | self.ep_adult_entry


def _latest_day(tables: OutcomeTables) -> int:
    days = [
        _days(tables.episodes["removed_on"]),
        _days(tables.episodes["discharged_on"]),
        _days(tables.placements["started_on"]),
        _days(tables.placements["ended_on"]),
    ]
    real = [d[d < OPEN] for d in days]
    latest = [int(d.max()) for d in real if d.size]
    return max(latest) if latest else day_number(date(1970, 1, 1))


def prepare(
    tables: OutcomeTables, settings: OutcomeSettings, as_of: date | None = None
) -> Prepared:
    """Arrays for :mod:`outcomes.measures`; ``as_of`` defaults to the latest recorded date.

    Events after ``as_of`` are treated as not yet known: later removals and placements are
    dropped, later discharges and placement ends become open.
    """
    as_of_day = day_number(as_of) if as_of is not None else _latest_day(tables)
    children, episodes, placements = tables.children, tables.episodes, tables.placements

    # -- children ---------------------------------------------------------------------------
    child_index = pd.Index(children["child_id"].astype(object))
    birth = _days(children["birth_date"])
    race = race_ethnicity(children).astype(np.int64)
    sex = _codes(children["sex"], SEXES)
    groups_raw = children["sibling_group_id"]
    sibling_group = pd.factorize(groups_raw.astype(object).where(groups_raw.notna(), None))[0]
    sibling_group = np.asarray(sibling_group, dtype=np.int64)

    # -- communities ------------------------------------------------------------------------
    communities = tables.communities
    community_ids = tuple(str(c) for c in communities["community_id"])
    community_labels = (*community_ids, "unknown")
    community_names = (*(str(n) for n in communities["name"]), "unknown")
    community_pop = pd.to_numeric(communities["child_population"]).to_numpy(dtype=np.float64)
    community_pop = np.concatenate((community_pop, [np.nan]))

    # -- episodes ---------------------------------------------------------------------------
    ep_child = np.asarray(child_index.get_indexer(episodes["child_id"].astype(object)), np.int64)
    ep_start = _days(episodes["removed_on"])
    ep_end = _days(episodes["discharged_on"])
    ep_reason = np.asarray(_codes(episodes["discharge_reason"], DISCHARGE_REASONS), np.int64)
    ep_comm = np.asarray(_codes(episodes["removal_community_id"], community_ids), np.int64)
    ep_comm = np.where(ep_comm < 0, len(community_ids), ep_comm)
    ep_lat = pd.to_numeric(episodes["removal_latitude"]).to_numpy(dtype=np.float64)
    ep_lon = pd.to_numeric(episodes["removal_longitude"]).to_numpy(dtype=np.float64)
    keep = ep_start <= as_of_day
    later = ep_end > as_of_day
    ep_end = np.where(later, OPEN, ep_end)
    ep_reason = np.where(later, -1, ep_reason)
    order = np.lexsort((ep_start, ep_child))
    order = order[keep[order]]
    ep_child, ep_start, ep_end = ep_child[order], ep_start[order], ep_end[order]
    ep_reason, ep_comm = ep_reason[order], ep_comm[order]
    ep_lat, ep_lon = ep_lat[order], ep_lon[order]
    n_ep = ep_child.size

    ep_birth = birth[ep_child]
    ep_age = _age(ep_birth, ep_start)
    ep_adult = _birthday(ep_birth, settings.adult_age)
    ep_band = age_band(ep_age)
    ep_short = (ep_end < OPEN) & (ep_end - ep_start < settings.min_stay_days)
    ep_adult_entry = ep_age >= settings.adult_age
    same_child_next = np.zeros(n_ep, dtype=bool)
    same_child_next[:-1] = ep_child[1:] == ep_child[:-1]
    ep_next_start = np.full(n_ep, OPEN, dtype=np.int64)
    ep_next_start[:-1] = np.where(same_child_next[:-1], ep_start[1:], OPEN)

    # -- placements: link each to the episode containing its start --------------------------
    pl_child = np.asarray(child_index.get_indexer(placements["child_id"].astype(object)), np.int64)
    pl_start = _days(placements["started_on"])
    pl_end = _days(placements["ended_on"])
    pl_end = np.where(pl_end > as_of_day, OPEN, pl_end)
    ep_key = (ep_child << _DAY_BITS) | ep_start
    pl_key = (pl_child << _DAY_BITS) | np.minimum(pl_start, (1 << _DAY_BITS) - 1)
    pl_ep = np.searchsorted(ep_key, pl_key, side="right") - 1
    linked = (pl_ep >= 0) & (pl_start <= as_of_day)
    pl_ep_safe = np.where(pl_ep >= 0, pl_ep, 0)
    linked &= ep_child[pl_ep_safe] == pl_child
    # a placement that starts on the discharge day belongs to no stay (the child went home)
    linked &= (pl_start < ep_end[pl_ep_safe]) | (pl_start == ep_start[pl_ep_safe])
    unlinked = int((~linked).sum())

    idx = np.flatnonzero(linked)
    p_ep = pl_ep[idx]
    p_start = pl_start[idx]
    p_end = np.minimum(pl_end[idx], ep_end[p_ep])
    setting = np.asarray(_codes(placements["setting"].iloc[idx], PLACEMENT_SETTINGS), np.int64)
    home_raw = placements["home_id"].iloc[idx]
    home = np.asarray(
        pd.factorize(home_raw.astype(object).where(home_raw.notna(), None))[0], np.int64
    )
    reason_raw = placements["end_reason"].iloc[idx]
    respite = reason_raw.isin(settings.not_a_move_end_reasons).to_numpy(dtype=bool)
    lat = pd.to_numeric(placements["latitude"].iloc[idx]).to_numpy(dtype=np.float64)
    lon = pd.to_numeric(placements["longitude"].iloc[idx]).to_numpy(dtype=np.float64)
    comm = np.asarray(_codes(placements["community_id"].iloc[idx], community_ids), np.int64)
    order = np.lexsort((p_end, p_start, p_ep))
    p_ep, p_start, p_end = p_ep[order], p_start[order], p_end[order]
    setting, home, respite = setting[order], home[order], respite[order]
    lat, lon, comm = lat[order], lon[order], comm[order]

    located = ~np.isnan(lat) & ~np.isnan(lon)
    km = haversine_km(ep_lat[p_ep], ep_lon[p_ep], lat, lon)
    own = (comm >= 0) & (comm == ep_comm[p_ep]) & located
    if settings.own_community_radius_km > 0:
        own |= located & (km <= settings.own_community_radius_km)

    # moves: every placement after the first countable one of the stay, except trial home
    # visits, runaway spells and respite, and except a return to the same home after them
    not_move_settings = np.isin(
        setting, [PLACEMENT_SETTINGS.index(s) for s in settings.not_a_move_settings]
    )
    countable = np.flatnonzero(~not_move_settings & ~respite)
    c_ep, c_home = p_ep[countable], home[countable]
    is_move = np.zeros(countable.size, dtype=bool)
    is_move[1:] = (c_ep[1:] == c_ep[:-1]) & ~((c_home[1:] >= 0) & (c_home[1:] == c_home[:-1]))
    pl_move = np.zeros(p_ep.size, dtype=bool)
    pl_move[countable] = is_move

    # the first placement of each stay, and its first placement with an address
    ep_first_setting = np.full(n_ep, -1, dtype=np.int64)
    first_ep, first_at = np.unique(p_ep, return_index=True)
    ep_first_setting[first_ep] = setting[first_at]
    ep_first_located = np.zeros(n_ep, dtype=bool)
    ep_first_own = np.zeros(n_ep, dtype=bool)
    ep_first_km = np.full(n_ep, np.nan)
    loc_idx = np.flatnonzero(located)
    loc_ep, loc_at = np.unique(p_ep[loc_idx], return_index=True)
    ep_first_located[loc_ep] = True
    ep_first_own[loc_ep] = own[loc_idx[loc_at]]
    ep_first_km[loc_ep] = km[loc_idx[loc_at]]

    # time to permanency: a stay that ends from a trial home visit counts at most
    # trial_home_visit_days of it (CFSR)
    ep_perm_exit = ep_end.copy()
    last_at = np.r_[first_at[1:] - 1, p_ep.size - 1] if first_at.size else first_at
    thv = setting[last_at] == PLACEMENT_SETTINGS.index("trial_home_visit")
    eps = first_ep[thv]
    capped = np.minimum(ep_end[eps], p_start[last_at][thv] + settings.trial_home_visit_days)
    ep_perm_exit[eps] = np.where(ep_end[eps] < OPEN, capped, OPEN)

    population = {
        "overall": np.array(
            [np.nansum(community_pop) if np.isfinite(community_pop).any() else np.nan]
        ),
        "community": community_pop,
        "race": np.full(len(RACE_CATEGORIES), np.nan),
        "sex": np.full(len(SEXES), np.nan),
        "age": np.full(len(AGE_BANDS), np.nan),
    }
    labels = {
        "overall": ("all",),
        "race": RACE_CATEGORIES,
        "sex": SEXES,
        "age": AGE_BANDS,
        "community": community_labels,
    }
    if tables.population is not None:
        frame = tables.population
        for by in ("race", "sex", "age"):
            rows = frame[frame["by"] == by]
            at = pd.Index(labels[by]).get_indexer(rows["group"].astype(object))
            if (at < 0).any():
                bad = rows["group"].iloc[int(np.flatnonzero(at < 0)[0])]
                raise ValueError(
                    f"population: group {bad!r} is not a {by} group; "
                    f"expected one of {', '.join(labels[by])}"
                )
            population[by][at] = pd.to_numeric(rows["child_population"]).to_numpy(np.float64)

    return Prepared(
        as_of=as_of_day,
        labels=labels,
        names={**labels, "community": community_names},
        population=population,
        ep_child=ep_child,
        ep_start=ep_start,
        ep_end=ep_end,
        ep_reason=ep_reason,
        ep_adult=ep_adult,
        ep_age=ep_age,
        ep_groups={
            "overall": np.zeros(n_ep, dtype=np.int64),
            "race": race[ep_child],
            "sex": sex[ep_child],
            # entries at 18+ are excluded from every measure; their band does not matter
            "age": np.minimum(ep_band, len(AGE_BANDS) - 1),
            "community": ep_comm,
        },
        ep_short=ep_short,
        ep_adult_entry=ep_adult_entry,
        ep_perm_exit=ep_perm_exit,
        ep_next_start=ep_next_start,
        ep_first_setting=ep_first_setting,
        ep_first_located=ep_first_located,
        ep_first_own=ep_first_own,
        ep_first_km=ep_first_km,
        ep_sibling_group=sibling_group[ep_child],
        pl_ep=p_ep,
        pl_start=p_start,
        pl_end=p_end,
        pl_setting=setting,
        pl_home=home,
        pl_located=located,
        pl_own=own,
        pl_km=km,
        pl_move=pl_move,
        unlinked_placements=unlinked,
    )
