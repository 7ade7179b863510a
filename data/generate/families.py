"""Families, their children and their episodes in care, drawn before the simulation runs.

Removals of sibling groups arrive as a Poisson process over the burn-in plus the window
before ``as_of``, at a rate per community proportional to child population x removal
propensity. Each episode's course is drawn by :mod:`data.generate.episodes`; later-born
siblings enter after the others, and families come back after reunification. Families
are then thinned at random so that the census on ``as_of`` meets the target of the scale,
and who they are (race and ethnicity, languages, faith, ICWA, needs) is drawn for those kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from data.generate.codes import (
    L_EN,
    LANGS,
    RACE_CATEGORIES,
)
from data.generate.draws import YEAR, BoolArray, FloatArray, IntArray, uniform_days, weighted_choice
from data.generate.episodes import (
    EpisodeTable,
    StayTable,
    age_band,
    birthdays,
    draw_family_timeline,
    draw_stays,
    draw_youngest_age_days,
)
from data.generate.geography import Geography, random_points
from data.generate.targets import (
    CHILD_RELIGION_RECORDED,
    DEAF_SHARE,
    EMANCIPATION_AGE,
    FAMILY_SIZE_WEIGHTS,
    ICWA_RACE_FLAGS,
    ICWA_SHARE,
    KIN_AT_ENTRY_SHARE,
    LANGUAGES_OF_CATEGORY,
    LATER_SIBLING_DELAY_DAYS,
    LATER_SIBLING_SHARE,
    MALE_SHARE,
    NEED_RATES,
    RACE_FLAGS,
    RACE_REMOVAL_WEIGHT,
    REENTRY_LATER,
    REENTRY_WITHIN_YEAR,
    RELIGION_BY_LANGUAGE,
    SEPARATION_SHARE,
    SEX_UNKNOWN_SHARE,
    SIBLING_GAP_YEARS,
)


@dataclass
class People:
    """Families, children and episodes, as parallel numpy arrays (drawn before simulating).

    An *episode* is one removal of (some of) a family's children; a *stay* is one child's
    part of an episode, with the child's own start and discharge.
    """

    # families
    fam_comm: IntArray
    fam_category: IntArray  # RACE_CATEGORIES
    fam_lang: IntArray  # primary language of the family (LANGS)
    fam_second_en: BoolArray  # a non-English family whose children also speak English
    fam_religion: IntArray  # RELIGIONS or -1
    fam_icwa: IntArray  # 0 no, 1 yes, 2 reason to know
    fam_tribe: IntArray  # TRIBES or -1
    fam_race: list[str]
    fam_hispanic: list[str]
    # children
    child_family: IntArray
    birth: IntArray  # day of birth (simulation days)
    sex: IntArray  # SEX_NAMES
    needs: IntArray  # bit mask of NEED_*
    deaf: BoolArray
    lgbtq: BoolArray
    separate_from: IntArray  # another child of the family, or -1
    # episodes
    ep_family: IntArray
    ep_start: IntArray
    ep_discharge: IntArray  # the family's discharge day (may be after as_of)
    ep_reason: IntArray
    ep_kin: BoolArray  # a relative takes the children at removal
    ep_exit: IntArray  # X_* exit phase of the family
    ep_exit_day: IntArray
    ep_lat: FloatArray
    ep_lon: FloatArray
    ep_comm: IntArray
    ep_kin_comm: IntArray
    ep_kin_lat: FloatArray
    ep_kin_lon: FloatArray
    # stays
    st_child: IntArray
    st_episode: IntArray
    st_start: IntArray
    st_discharge: IntArray
    st_reason: IntArray
    st_exit: IntArray  # X_SIL / X_RUN or X_NONE
    st_exit_day: IntArray


def _draw_categories(geo: Geography, comm: IntArray, rng: np.random.Generator) -> IntArray:
    weights = geo.mix[comm] * RACE_REMOVAL_WEIGHT
    cdf = np.cumsum(weights, axis=1)
    u = rng.random(len(comm)) * cdf[:, -1]
    category: IntArray = (cdf < u[:, None]).sum(axis=1).astype(np.int64)
    return category


def _draw_family_languages(
    geo: Geography, comm: IntArray, category: IntArray, rng: np.random.Generator
) -> IntArray:
    """Primary language: the category's languages at the community's shares, else English."""
    n = len(comm)
    lang = np.full(n, L_EN, dtype=np.int64)
    u = rng.random(n)
    for k, name in enumerate(RACE_CATEGORIES):
        options = [LANGS.index(code) for code in LANGUAGES_OF_CATEGORY[name]]
        rows = np.flatnonzero(category == k)
        if not options or not len(rows):
            continue
        # the share of the community's families speaking each option, among this category
        share = geo.language_share[comm[rows]][:, options] / np.maximum(
            geo.mix[comm[rows], k][:, None], 1e-9
        )
        share = np.minimum(share, 0.9)
        total = share.sum(axis=1)
        share *= np.where(total > 0.9, 0.9 / np.maximum(total, 1e-9), 1.0)[:, None]
        cdf = np.cumsum(share, axis=1)
        pick = (cdf < u[rows][:, None]).sum(axis=1)
        speaks = pick < len(options)
        lang[rows[speaks]] = np.array(options)[pick[speaks]]
    return lang


def _draw_flags(
    rng: np.random.Generator, table: tuple[tuple[str, float], ...], n: int
) -> list[str]:
    """``n`` race-flag lists drawn from a table of (flags, weight)."""
    picks = weighted_choice(rng, [w for _, w in table], n)
    return [table[i][0] for i in picks.tolist()]


def draw_religion(rng: np.random.Generator, lang: IntArray, recorded: float) -> IntArray:
    out = np.full(len(lang), -1, dtype=np.int64)
    has = rng.random(len(lang)) < recorded
    u = rng.random(len(lang))
    for i, code in enumerate(LANGS):
        rows = np.flatnonzero(has & (lang == i))
        cdf = np.cumsum(RELIGION_BY_LANGUAGE[code])
        out[rows] = np.minimum(np.searchsorted(cdf / cdf[-1], u[rows], side="right"), 6)
    return out


class PeopleBuilder:
    """Draws families and their episodes; re-entries are drawn generation by generation."""

    def __init__(
        self, geo: Geography, rng: np.random.Generator, start: date, last_day: int
    ) -> None:
        self.geo = geo
        self.rng = rng
        self.start = start  # the date of simulation day 0
        self.last_day = last_day  # as_of, in simulation days
        self.adult = np.zeros(0, dtype=np.int64)  # each child's 18th birthday

    def build(self, family_rate_per_day: float, target_in_care: int) -> People:
        """Removals over the whole simulation, thinned to the target census on as_of."""
        rng = self.rng
        episodes = EpisodeTable()
        stays = StayTable()
        fam_comm, child_family, birth = self._first_removals(family_rate_per_day, episodes, stays)
        first_new = 0
        while True:  # re-entries, generation by generation, until none starts by as_of
            new_from = len(episodes)
            self._reentries(episodes, stays, birth, first_new)
            if len(episodes) == new_from:
                break
            first_new = new_from
        # keep each family at random so that the children in care on as_of meet the target
        in_care = (stays.start <= self.last_day) & (stays.discharge > self.last_day)
        keep_p = min(1.0, target_in_care / max(1, int(in_care.sum())))
        keep_family = rng.random(len(fam_comm)) < keep_p
        return self._assemble(fam_comm, keep_family, child_family, birth, episodes, stays)

    def _first_removals(
        self, family_rate_per_day: float, episodes: EpisodeTable, stays: StayTable
    ) -> tuple[IntArray, IntArray, IntArray]:
        rng, geo = self.rng, self.geo
        n_fam = int(rng.poisson(family_rate_per_day * (self.last_day + 1)))
        start = np.sort(rng.integers(0, self.last_day + 1, n_fam)).astype(np.int64)
        comm = weighted_choice(rng, geo.removal_weight, n_fam)
        # the youngest child, and older siblings spaced by birth intervals
        size = weighted_choice(rng, FAMILY_SIZE_WEIGHTS, n_fam) + 1
        youngest = draw_youngest_age_days(rng, n_fam)
        low, shape, scale = SIBLING_GAP_YEARS
        gaps = (low + rng.gamma(shape, scale, (n_fam, 5))) * YEAR
        offsets = np.concatenate([np.zeros((n_fam, 1)), np.cumsum(gaps, axis=1)], axis=1)
        ages = youngest[:, None] + offsets.astype(np.int64)
        member = (np.arange(6)[None, :] < size[:, None]) & (ages < 18 * YEAR - 20)
        main_family = np.repeat(np.arange(n_fam), member.sum(axis=1))
        main_age = ages[member]

        reason, discharge, exit_kind, exit_day = draw_family_timeline(rng, start, youngest)
        episodes.add(
            family=np.arange(n_fam),
            start=start,
            discharge=discharge,
            reason=reason,
            exit_kind=exit_kind,
            exit_day=exit_day,
        )
        # a later sibling (usually a newborn) enters while the others are still in care
        delay = uniform_days(rng, LATER_SIBLING_DELAY_DAYS, n_fam)
        later = np.flatnonzero(
            (rng.random(n_fam) < LATER_SIBLING_SHARE)
            & (member.sum(axis=1) < 6)
            & (delay < exit_day - start - 30)
        )
        late_start = start[later] + delay[later]
        late_age = np.where(
            rng.random(len(later)) < 0.7,
            rng.integers(0, 4, len(later)),
            rng.integers(4, 300, len(later)),
        )
        family = np.concatenate([main_family, later])
        child_start = np.concatenate([start[main_family], late_start])
        birth = child_start - np.concatenate([main_age, late_age])
        order = np.argsort(family, kind="stable")  # children grouped by family
        family, child_start, birth = family[order], child_start[order], birth[order]
        self._add_stays(stays, np.arange(len(family)), family, child_start, birth, episodes, 0)
        return comm, family, birth

    def _add_stays(
        self,
        stays: StayTable,
        children: IntArray,
        families: IntArray,
        start: IntArray,
        birth: IntArray,
        episodes: EpisodeTable,
        first: int,
    ) -> None:
        """Stays of ``children`` in their family's episode among those from ``first`` on.

        A family has at most one episode per generation, so the family names it.
        """
        new = np.arange(first, len(episodes))
        episode_of_family = np.full(int(episodes.family.max()) + 1, -1, np.int64)
        episode_of_family[episodes.family[new]] = new
        episode = episode_of_family[families]
        if len(self.adult) != len(birth):
            self.adult = birthdays(birth, EMANCIPATION_AGE, self.start)
        discharge, reason, exit_kind, exit_day = draw_stays(
            self.rng,
            start,
            birth[children],
            self.adult[children],
            episodes.discharge[episode],
            episodes.reason[episode],
        )
        stays.add(
            child=children,
            episode=episode,
            start=start,
            discharge=discharge,
            reason=reason,
            exit_kind=exit_kind,
            exit_day=exit_day,
        )

    def _reentries(
        self, episodes: EpisodeTable, stays: StayTable, birth: IntArray, first: int
    ) -> None:
        """Episodes of the families who come back after the episodes from ``first`` on."""
        rng = self.rng
        ep = np.arange(first, len(episodes))
        p_year = np.zeros(len(ep))
        for r, p in REENTRY_WITHIN_YEAR.items():
            p_year[episodes.reason[ep] == r] = p
        u = rng.random(len(ep))
        soon = u < p_year
        later = (u >= p_year) & (u < p_year + REENTRY_LATER) & (p_year > 0)
        gap = np.where(soon, rng.integers(14, 366, len(ep)), rng.integers(366, 1096, len(ep)))
        again = ep[soon | later]
        again_start = (episodes.discharge[ep] + gap)[soon | later]
        in_time = again_start <= self.last_day
        again, again_start = again[in_time], again_start[in_time]
        # who comes back: the children who left with the family and are not yet 17 1/2
        st = np.flatnonzero(np.isin(stays.episode, again))
        position = np.searchsorted(again, stays.episode[st])
        back = (stays.reason[st] == episodes.reason[stays.episode[st]]) & (
            again_start[position] - birth[stays.child[st]] < 17.5 * YEAR
        )
        st, position = st[back], position[back]
        if not len(st):
            return
        with_children = np.unique(position)
        again, again_start = again[with_children], again_start[with_children]
        position = np.searchsorted(with_children, position)
        age = again_start[position] - birth[stays.child[st]]
        youngest = np.full(len(again), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(youngest, position, age)
        reason, discharge, exit_kind, exit_day = draw_family_timeline(rng, again_start, youngest)
        first_new = len(episodes)
        episodes.add(
            family=episodes.family[again],
            start=again_start,
            discharge=discharge,
            reason=reason,
            exit_kind=exit_kind,
            exit_day=exit_day,
        )
        children = stays.child[st]
        self._add_stays(
            stays,
            children,
            episodes.family[stays.episode[st]],
            again_start[position],
            birth,
            episodes,
            first_new,
        )

    def _assemble(
        self,
        fam_comm: IntArray,
        keep_family: BoolArray,
        child_family: IntArray,
        birth: IntArray,
        episodes: EpisodeTable,
        stays: StayTable,
    ) -> People:
        """Renumber what is kept densely (order unchanged) and draw who the families are."""
        rng, geo = self.rng, self.geo
        fam_new = np.cumsum(keep_family) - 1
        keep_child = keep_family[child_family]
        child_new = np.cumsum(keep_child) - 1
        keep_ep = keep_family[episodes.family]
        ep_new = np.cumsum(keep_ep) - 1
        keep_st = keep_ep[stays.episode]

        fam_comm = fam_comm[keep_family]
        n_fam = len(fam_comm)
        category = _draw_categories(geo, fam_comm, rng)
        lang = _draw_family_languages(geo, fam_comm, category, rng)
        u = rng.random(n_fam)
        icwa = np.where(u < ICWA_SHARE * 0.55, 1, np.where(u < ICWA_SHARE, 2, 0)).astype(np.int64)
        tribe = np.where(
            (icwa == 1) | ((icwa == 2) & (rng.random(n_fam) < 0.6)),
            weighted_choice(rng, [4, 3, 2, 2, 1, 1, 1], n_fam),
            -1,
        ).astype(np.int64)
        race = ["" for _ in range(n_fam)]
        for k, name in enumerate(RACE_CATEGORIES):
            rows = np.flatnonzero(category == k).tolist()
            drawn = _draw_flags(rng, RACE_FLAGS[name], len(rows))
            for row, flags in zip(rows, drawn, strict=True):
                race[row] = flags
        icwa_rows = np.flatnonzero(icwa > 0).tolist()
        icwa_flags = _draw_flags(rng, ICWA_RACE_FLAGS, len(icwa_rows))
        for row, flags in zip(icwa_rows, icwa_flags, strict=True):
            if "aian" not in race[row]:  # an ICWA family is (or may be) American Indian
                race[row] = flags
        unknown = rng.random(n_fam) < 0.02
        hispanic = [
            "yes" if RACE_CATEGORIES[k] == "hispanic" else ("unknown" if u else "no")
            for k, u in zip(category.tolist(), unknown.tolist(), strict=True)
        ]

        family = fam_new[child_family[keep_child]]
        birth = birth[keep_child]
        n_child = len(birth)
        u = rng.random(n_child)
        sex = np.where(u < SEX_UNKNOWN_SHARE, 0, np.where(rng.random(n_child) < MALE_SHARE, 2, 1))
        st_child = child_new[stays.child[keep_st]]
        st_start = stays.start[keep_st]
        first_start = np.full(n_child, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_start, st_child, st_start)
        band = age_band(first_start - birth)  # needs as assessed at the first entry
        needs = np.zeros(n_child, dtype=np.int64)
        for bit, rates in NEED_RATES.items():
            needs |= np.where(rng.random(n_child) < np.array(rates)[band], bit, 0)
        separate = np.full(n_child, -1, dtype=np.int64)
        heads = np.flatnonzero(np.r_[True, family[1:] != family[:-1]])
        sizes = np.diff(np.r_[heads, n_child])
        separated = (sizes >= 2) & (rng.random(len(heads)) < SEPARATION_SHARE)
        for head, size in zip(heads[separated].tolist(), sizes[separated].tolist(), strict=True):
            a, b = head + size - 1, head + size - 2  # the two eldest
            separate[a], separate[b] = b, a

        ep_family = fam_new[episodes.family[keep_ep]]
        ep_start = episodes.start[keep_ep]
        ep_comm = fam_comm[ep_family]
        ep_lat, ep_lon = random_points(geo, ep_comm, rng)
        # a family that comes back was mostly removed from the same address again
        same_address = rng.random(len(ep_family)) < 0.7
        previous: dict[int, int] = {}
        for e in np.lexsort((ep_start, ep_family)).tolist():
            f = int(ep_family[e])
            if f in previous and same_address[e]:
                ep_lat[e], ep_lon[e] = ep_lat[previous[f]], ep_lon[previous[f]]
            previous[f] = e
        kin_comm = self._kin_communities(ep_comm)
        kin_lat, kin_lon = random_points(geo, kin_comm, rng)

        return People(
            fam_comm=fam_comm,
            fam_category=category,
            fam_lang=lang,
            fam_second_en=rng.random(n_fam) < 0.75,
            fam_religion=draw_religion(rng, lang, CHILD_RELIGION_RECORDED),
            fam_icwa=icwa,
            fam_tribe=tribe,
            fam_race=race,
            fam_hispanic=hispanic,
            child_family=family,
            birth=birth,
            sex=sex.astype(np.int64),
            needs=needs,
            deaf=rng.random(n_child) < DEAF_SHARE,
            lgbtq=(band == 2) & (rng.random(n_child) < 0.06),
            separate_from=separate,
            ep_family=ep_family,
            ep_start=ep_start,
            ep_discharge=episodes.discharge[keep_ep],
            ep_reason=episodes.reason[keep_ep],
            ep_kin=rng.random(len(ep_family)) < KIN_AT_ENTRY_SHARE,
            ep_exit=episodes.exit_kind[keep_ep],
            ep_exit_day=episodes.exit_day[keep_ep],
            ep_lat=ep_lat,
            ep_lon=ep_lon,
            ep_comm=ep_comm,
            ep_kin_comm=kin_comm,
            ep_kin_lat=kin_lat,
            ep_kin_lon=kin_lon,
            st_child=st_child,
            st_episode=ep_new[stays.episode[keep_st]],
            st_start=st_start,
            st_discharge=stays.discharge[keep_st],
            st_reason=stays.reason[keep_st],
            st_exit=stays.exit_kind[keep_st],
            st_exit_day=stays.exit_day[keep_st],
        )

    def _kin_communities(self, ep_comm: IntArray) -> IntArray:
        """Where a relative lives: the same community, a neighbouring one, or anywhere."""
        rng, geo = self.rng, self.geo
        kin = ep_comm.copy()
        u = rng.random(len(kin))
        for e in np.flatnonzero((u >= 0.45) & (u < 0.70)).tolist():
            options = geo.neighbours[ep_comm[e]]
            if len(options):
                kin[e] = options[rng.integers(len(options))]
        elsewhere = np.flatnonzero(u >= 0.70)
        kin[elsewhere] = weighted_choice(rng, geo.child_population, len(elsewhere))
        return kin
