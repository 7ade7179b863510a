"""The records to write, collected from the simulation: one row per home, child, episode
and placement, in a stable order with the ids of the import format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.codes import ACCEPTS_SEX, CAPABILITIES, HOME_KINDS
from data.generate.codes import (
    CULTURAL_TAGS,
    H_CLOSED,
    H_DRAINING,
    K_KIN,
    L_EN,
    LANGS,
    REASONS,
    RELIGIONS,
    S_GROUP,
    S_INSTITUTION,
    S_NONE,
    S_SHELTER,
    SETTINGS,
    SEX_NAMES,
    TRIBES,
)
from data.generate.draws import YEAR, IntArray
from data.generate.geography import Geography, random_points
from data.generate.simulation import Simulation
from data.generate.targets import ON_HOLD_SHARE
from data.generate.writers import Calendar, coord

# How a kin family is related to the children: grandparents are the largest group of kinship
# caregivers (about half), then aunts and uncles, then adult siblings, cousins and fictive
# kin (family friends, godparents). Illustrative shares, not a calibration target.
KIN_RELATIONSHIPS = (
    ("maternal grandmother", 0.22), ("maternal grandparents", 0.10),
    ("paternal grandmother", 0.10), ("paternal grandparents", 0.05),
    ("maternal aunt", 0.15), ("paternal aunt", 0.08), ("maternal uncle", 0.05),
    ("paternal uncle", 0.03), ("adult sibling", 0.05), ("cousin", 0.05),
    ("family friend", 0.12),
)  # fmt: skip


def _bits(mask: int, names: Sequence[str]) -> str:
    """The names of the bits set in ``mask``, ``;``-separated."""
    return ";".join(name for i, name in enumerate(names) if mask >> i & 1)


@dataclass
class Records:
    """The rows of each file, and the counts the summary reports."""

    homes: list[list[object]]
    children: list[list[object]]
    episodes: list[list[object]]
    placements: list[list[object]]
    homes_open: int
    in_care: int
    waiting: int


def collect(
    sim: Simulation,
    geo: Geography,
    rng: np.random.Generator,
    calendar: Calendar,
    window_day: int,
    kin_rng: np.random.Generator,
) -> Records:
    """The records to write: every child whose care touches the window, with their history.

    Homes: every home open at some time in the window, and every home a kept placement used.
    """
    p, h, last = sim.p, sim.h, sim.last_day
    iso = calendar.iso
    n_child = len(p.birth)

    # children: kept when a stay ends on or after the window start (or is still open)
    entered = p.st_start <= last
    touches = entered & (p.st_discharge >= window_day)
    kept = np.zeros(n_child, dtype=bool)
    kept[p.st_child[touches]] = True
    stays = np.flatnonzero(entered & kept[p.st_child])
    first_start = np.full(n_child, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_start, p.st_child[stays], p.st_start[stays])
    kept_children = np.flatnonzero(kept)
    order = kept_children[np.lexsort((kept_children, first_start[kept_children]))]
    width = max(6, len(str(len(order))))
    child_id = {int(c): f"C{i + 1:0{width}d}" for i, c in enumerate(order.tolist())}

    # placements of kept children, per child in time order (creation order breaks ties, so
    # that a placement that ended the day it started comes before its successor)
    records = [r for r, c in enumerate(sim.pl_child) if c in child_id]
    records.sort(key=lambda r: (child_id[sim.pl_child[r]], sim.pl_start[r], r))
    used_homes = {sim.pl_home[r] for r in records if sim.pl_home[r] >= 0}

    # homes
    candidates = []
    for home in range(sim.n_homes):
        if int(h.licensed[home]) > last:
            continue
        open_in_window = sim.closed_day[home] < 0 or sim.closed_day[home] >= window_day
        if home in used_homes or (sim.kind[home] != K_KIN and open_in_window):
            candidates.append(home)
    candidates.sort(key=lambda x: (int(h.licensed[x]), x))
    width = max(6, len(str(len(candidates))))
    home_id = {home: f"H{i + 1:0{width}d}" for i, home in enumerate(candidates)}

    # placements rows
    placement_rows: list[list[object]] = []
    current: dict[int, int] = {}  # child -> its open placement's setting
    for r in records:
        child, home, end = sim.pl_child[r], sim.pl_home[r], sim.pl_end[r]
        if end < 0:
            current[child] = sim.pl_setting[r]
        placement_rows.append(
            [
                child_id[child],
                SETTINGS[sim.pl_setting[r]],
                home_id[home] if home >= 0 else "",
                iso(sim.pl_start[r]),
                iso(end) if end >= 0 else "",
                sim.pl_reason[r] if end >= 0 else "",
            ]
        )

    # episodes rows
    episode_rows: list[list[object]] = []
    for st in sorted(
        stays.tolist(), key=lambda s: (child_id[int(p.st_child[s])], int(p.st_start[s]))
    ):
        ep = int(p.st_episode[st])
        discharged = int(p.st_discharge[st]) <= last
        episode_rows.append(
            [
                child_id[int(p.st_child[st])],
                iso(int(p.st_start[st])),
                coord(p.ep_lat[ep]),
                coord(p.ep_lon[ep]),
                iso(int(p.st_discharge[st])) if discharged else "",
                REASONS[int(p.st_reason[st])] if discharged else "",
            ]
        )
    in_care_children = [c for c in order.tolist() if sim.stay[c] >= 0]
    waiting = sum(
        1
        for c in in_care_children
        if current.get(c, S_NONE) in (S_NONE, S_SHELTER, S_GROUP, S_INSTITUTION)
    )

    children_rows = _children_rows(
        sim, geo, rng, calendar, order, child_id, home_id, stays, records
    )

    # homes rows
    home_rows: list[list[object]] = []
    names, shares = zip(*KIN_RELATIONSHIPS, strict=True)
    relationships = [names[i] for i in kin_rng.choice(len(names), size=len(sim.kind), p=shares)]
    homes_open = 0
    for home in candidates:
        status = "active"
        if sim.status[home] == H_CLOSED:
            status = "closed"
        elif sim.status[home] == H_DRAINING or (
            sim.kind[home] != K_KIN and not sim.occupants[home] and rng.random() < ON_HOLD_SHARE
        ):
            status = "on_hold"
        homes_open += status != "closed"
        kin_of = relationship = ""
        if sim.kind[home] == K_KIN:
            family = sim.kin_family[home]
            kin_of = ";".join(
                sorted(child_id[c] for c in sim.family_children[family] if c in child_id)
            )
            relationship = relationships[home] if kin_of else ""
        tribe = int(h.tribe[home])
        home_rows.append(
            [
                home_id[home],
                HOME_KINDS[sim.kind[home]],
                status,
                coord(h.lat[home]),
                coord(h.lon[home]),
                int(h.capacity[home]),
                int(h.age_min[home]),
                int(h.age_max[home]),
                ACCEPTS_SEX[int(h.accepts[home])],
                int(h.max_siblings[home]),
                _bits(int(h.caps[home]), CAPABILITIES),
                _languages(int(h.primary[home]), int(h.langs[home])),
                RELIGIONS[int(h.religion[home])] if h.religion[home] >= 0 else "",
                _bits(int(h.offers[home]), CULTURAL_TAGS),
                TRIBES[tribe] if tribe >= 0 else "",
                ("yes" if h.tribe_licensed[home] else "no") if tribe >= 0 else "",
                kin_of,
                relationship,
                iso(int(h.licensed[home])),
                iso(sim.closed_day[home]) if status == "closed" else "",
                sim.closed_reason[home] if status == "closed" else "",
            ]
        )
    return Records(
        homes=home_rows,
        children=children_rows,
        episodes=episode_rows,
        placements=placement_rows,
        homes_open=homes_open,
        in_care=len(in_care_children),
        waiting=waiting,
    )


def _languages(primary: int, mask: int) -> str:
    """Language codes, the primary first, the others in LANGS order."""
    others = [LANGS[i] for i in range(len(LANGS)) if mask >> i & 1 and i != primary]
    return ";".join([LANGS[primary], *others] if mask >> primary & 1 else others)


def _same_group(group_of: dict[int, str], a: int, b: int) -> bool:
    return a in group_of and group_of[a] == group_of.get(b)


def _children_rows(
    sim: Simulation,
    geo: Geography,
    rng: np.random.Generator,
    calendar: Calendar,
    order: IntArray,
    child_id: dict[int, str],
    home_id: dict[int, str],
    stays: IntArray,
    records: list[int],
) -> list[list[object]]:
    p, last = sim.p, sim.last_day
    n_fam = len(p.fam_comm)
    # cultural needs shared by the family (faith practice, a tribe), drawn per family
    halal = (p.fam_religion == RELIGIONS.index("muslim")) & (rng.random(n_fam) < 0.7)
    kosher = (p.fam_religion == RELIGIONS.index("jewish")) & (rng.random(n_fam) < 0.4)
    tribal = (p.fam_icwa > 0) & (rng.random(n_fam) < 0.8)
    vegetarian = rng.random(n_fam) < 0.01

    # each child's kept stays in time order: the last removal sets the school's place
    child_stays: dict[int, list[int]] = {}
    for st in stays[np.argsort(p.st_start[stays], kind="stable")].tolist():
        child_stays.setdefault(int(p.st_child[st]), []).append(st)
    last_stay = np.array([child_stays[c][-1] for c in order.tolist()], dtype=np.int64)
    last_episode = p.st_episode[last_stay]
    age_then = (p.st_start[last_stay] - p.birth[order]) / YEAR
    school = (age_then >= 5) & (age_then < 18)
    school_lat, school_lon = random_points(geo, p.ep_comm[last_episode], rng)

    # siblings in care together: children of a family whose stays overlap a sibling's
    group_of: dict[int, str] = {}
    families: dict[int, list[int]] = {}
    for c in order.tolist():
        families.setdefault(int(p.child_family[c]), []).append(c)
    spans = {
        c: [(int(p.st_start[s]), int(min(p.st_discharge[s], last + 1))) for s in child_stays[c]]
        for c in order.tolist()
    }
    groups = []
    for members in families.values():
        together = [
            a
            for a in members
            if any(
                s0 < e1 and s1 < e0
                for b in members
                if b != a
                for s0, e0 in spans[a]
                for s1, e1 in spans[b]
            )
        ]
        if len(together) >= 2:
            groups.append(sorted(together, key=lambda c: child_id[c]))
    groups.sort(key=lambda g: child_id[g[0]])
    for i, members in enumerate(groups):
        for c in members:
            group_of[c] = f"G{i + 1:05d}"

    # a few children must not go back to a home where a placement broke down
    excluded: dict[int, str] = {}
    by_child: dict[int, list[int]] = {}
    for r in records:
        by_child.setdefault(sim.pl_child[r], []).append(r)
    for c in order.tolist():
        mine = by_child.get(c, [])
        broke = [
            i
            for i, r in enumerate(mine)
            if sim.pl_reason[r] == "disruption"
            and sim.pl_home[r] >= 0
            and sim.kind[sim.pl_home[r]] != K_KIN
        ]
        if broke and rng.random() < 0.05:
            i = broke[-1]
            home = sim.pl_home[mine[i]]
            if all(sim.pl_home[r] != home for r in mine[i + 1 :]):
                excluded[c] = home_id[home]

    rows: list[list[object]] = []
    for j, c in enumerate(order.tolist()):
        fam = int(p.child_family[c])
        primary = int(p.fam_lang[fam])
        languages = [LANGS[primary]]
        if primary != L_EN and p.fam_second_en[fam]:
            languages.append("en")
        if primary == L_EN and p.fam_category[fam] == 1 and rng.random() < 0.4:
            languages.append("es")
        needs_tags = []
        if p.deaf[c]:
            languages.insert(0, "ase")
            needs_tags.append("Deaf/ASL")
        if halal[fam]:
            needs_tags.append("halal diet")
        if kosher[fam]:
            needs_tags.append("kosher diet")
        if tribal[fam]:
            needs_tags.append("tribal connection")
        if p.lgbtq[c]:
            needs_tags.append("LGBTQ+ affirming")
        if vegetarian[fam]:
            needs_tags.append("vegetarian diet")
        partner = int(p.separate_from[c])
        tribe = int(p.fam_tribe[fam])
        religion = int(p.fam_religion[fam])
        rows.append(
            [
                child_id[c],
                calendar.iso(int(p.birth[c])),
                SEX_NAMES[int(p.sex[c])],
                p.fam_race[fam],
                p.fam_hispanic[fam],
                ";".join(languages),
                RELIGIONS[religion] if religion >= 0 else "",
                ";".join(needs_tags),
                TRIBES[tribe] if tribe >= 0 else "",
                ("no", "yes", "reason_to_know")[int(p.fam_icwa[fam])],
                _bits(int(p.needs[c]), CAPABILITIES),
                group_of.get(c, ""),
                # a safety separation matters between siblings in care together
                child_id[partner] if partner >= 0 and _same_group(group_of, c, partner) else "",
                excluded.get(c, ""),
                coord(school_lat[j]) if school[j] else "",
                coord(school_lon[j]) if school[j] else "",
            ]
        )
    return rows
