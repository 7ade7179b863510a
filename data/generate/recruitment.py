"""The recruitment funnel of the last two years, and community partner organisations.

Applicants move from inquiry to licence (or withdraw) at the shares of the targets; partner
organisations (faith groups, schools, community centres, clinics, cultural associations)
are invented, a few per community, with the languages the community speaks.
"""

from __future__ import annotations

import math
import re

import numpy as np

from data.generate.codes import L_EN, LANGS
from data.generate.draws import YEAR, uniform_days, weighted_choice
from data.generate.geography import Geography, random_points
from data.generate.homes import mean_tenure_days
from data.generate.targets import (
    APPLICANT_STEPS,
    APPLICANT_WITHDRAW_DAYS,
    APPLICANT_YEARS,
    ScaleTargets,
)
from data.generate.writers import coord


def _slug(text: str) -> str:
    """A name as a web address part ("St. Hedwig Parish" -> "st-hedwig-parish")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


APPLICANT_INTERESTS = {  # invented shares of applicants naming each interest
    "infants": 0.30,
    "young_children": 0.35,
    "school_age": 0.25,
    "teens": 0.10,
    "siblings": 0.22,
    "medical": 0.07,
    "behavioral": 0.06,
    "developmental": 0.06,
    "adoption": 0.20,
}
PARTNER_NAMES = {  # invented; "{c}" is the community's name
    "faith": (
        "{c} Community Church",
        "{c} Baptist Fellowship",
        "Holy Family Parish of {c}",
        "New Hope Church {c}",
        "{c} United Methodist Church",
    ),
    "school": (
        "{c} Elementary Parent Council",
        "{c} High School Family Center",
        "{c} Early Learning Network",
    ),
    "community_centre": (
        "{c} Neighborhood House",
        "{c} Family Resource Center",
        "{c} Youth and Family Center",
    ),
    "health": (
        "{c} Family Health Clinic",
        "{c} Community Health Partners",
        "{c} Pediatric Associates",
    ),
    "other": (
        "{c} Foster Parent Circle",
        "{c} Mutual Aid Network",
        "{c} Youth Sports League",
    ),
}
FAITH_BY_LANGUAGE = {
    "es": "Iglesia Nueva Esperanza {c}",
    "ar": "{c} Islamic Center",
    "ur": "{c} Masjid and Community Center",
    "so": "{c} Somali Masjid",
    "ko": "{c} Korean Presbyterian Church",
    "pl": "St. Hedwig Parish of {c}",
}
CULTURAL_ASSOCIATION = {
    "es": "Casa Cultural {c}",
    "pl": "{c} Polish Heritage Society",
    "zh": "{c} Chinese Mutual Aid Association",
    "ar": "{c} Arab American Family Services",
    "ur": "{c} South Asian Family Network",
    "vi": "{c} Vietnamese Community Association",
    "ko": "{c} Korean American Community Center",
    "tl": "{c} Filipino American Association",
    "so": "{c} Somali Community Council",
    "fr": "{c} West African Families Association",
    "ru": "{c} Russian-speaking Families Club",
}
PARTNER_KIND_WEIGHTS = {
    "faith": 0.30,
    "school": 0.20,
    "community_centre": 0.20,
    "health": 0.12,
    "other": 0.08,
}
PARTNER_LANGUAGE_SHARE = 0.04  # a partner serves a language spoken by this share or more


def _community_languages(geo: Geography, comm: int) -> list[str]:
    """The languages other than English a community's partners serve, most spoken first."""
    shares = geo.language_share[comm]
    order = sorted(range(1, len(LANGS)), key=lambda i: (-shares[i], i))
    return [LANGS[i] for i in order if shares[i] >= PARTNER_LANGUAGE_SHARE]


def draw_applicants(
    geo: Geography, rng: np.random.Generator, targets: ScaleTargets, last_day: int
) -> list[list[str | int]]:
    """The recruitment funnel of the last two years: each applicant's stage on as_of."""
    target_open = targets.open_homes - targets.in_care / targets.children_per_open_kin_home
    licences_per_day = target_open / mean_tenure_days()
    conversion = math.prod(share for _, share, _ in APPLICANT_STEPS)
    days = int(APPLICANT_YEARS * YEAR)
    n = int(rng.poisson(licences_per_day / conversion * days))
    inquiry = np.sort(rng.integers(last_day - days + 1, last_day + 1, n))
    stage = np.zeros(n, dtype=np.int64)  # index into ("inquiry", *steps)
    stage_on = inquiry.copy()
    active = np.ones(n, dtype=bool)
    withdrawn = np.zeros(n, dtype=bool)
    for step, (_, share, delay) in enumerate(APPLICANT_STEPS, start=1):
        reach = stage_on + uniform_days(rng, delay, n)
        goes_on = rng.random(n) < share
        quits = stage_on + uniform_days(rng, APPLICANT_WITHDRAW_DAYS, n)
        advance = active & goes_on & (reach <= last_day)
        drop = active & ~goes_on & (quits <= last_day)
        stage[advance], stage_on[advance] = step, reach[advance]
        withdrawn[drop], stage_on[drop] = True, quits[drop]
        active &= advance
    comm = weighted_choice(rng, geo.home_weight + 0.3 * geo.child_population, n)
    lat, lon = random_points(geo, comm, rng)
    no_address = (stage == 0) & ~withdrawn & (rng.random(n) < 0.08)
    names = ("inquiry", *(name for name, _, _ in APPLICANT_STEPS))
    tags = list(APPLICANT_INTERESTS)
    interested = rng.random((n, len(tags))) < np.array(list(APPLICANT_INTERESTS.values()))
    speaks = rng.random((n, len(LANGS))) < geo.language_share[comm] * 0.6
    speaks[:, L_EN] = True
    rows: list[list[str | int]] = []
    for i in range(n):
        interests = [tags[k] for k in np.flatnonzero(interested[i]).tolist()]
        rows.append(
            [
                "withdrawn" if withdrawn[i] else names[stage[i]],
                int(stage_on[i]),
                "" if no_address[i] else coord(lat[i]),
                "" if no_address[i] else coord(lon[i]),
                ";".join(interests or ["young_children"]),
                ";".join(LANGS[k] for k in np.flatnonzero(speaks[i]).tolist()),
            ]
        )
    return rows


def draw_partners(geo: Geography, rng: np.random.Generator) -> list[list[str]]:
    """A few partner organisations per community, with invented names and contacts."""
    rows: list[list[str]] = []
    kinds = list(PARTNER_KIND_WEIGHTS)
    for comm in range(geo.n):
        name = geo.names[comm]
        languages = _community_languages(geo, comm)
        options: list[tuple[str, str, list[str]]] = []
        for kind in kinds:
            for template in PARTNER_NAMES[kind]:
                options.append((kind, template, ["en"]))
        for code in languages:
            if code in FAITH_BY_LANGUAGE:
                options.append(("faith", FAITH_BY_LANGUAGE[code], ["en", code]))
            if code in CULTURAL_ASSOCIATION:
                options.append(("cultural_association", CULTURAL_ASSOCIATION[code], [code, "en"]))
        weights = np.array(
            [
                PARTNER_KIND_WEIGHTS.get(kind, 0.5) / (1 if lang == ["en"] else 0.25)
                for kind, _, lang in options
            ]
        )
        count = min(len(options), 2 + int(rng.poisson(1.5)))
        picks = rng.choice(len(options), size=count, replace=False, p=weights / weights.sum())
        lat, lon = random_points(geo, np.full(count, comm, dtype=np.int64), rng)
        for j, pick in enumerate(sorted(picks.tolist())):
            kind, template, own = options[pick]
            # a general organisation serves the community's main languages too
            served = own if own != ["en"] else ["en", *languages[:2]]
            title = template.format(c=name)
            rows.append(
                [title, kind, coord(lat[j]), coord(lon[j]), ";".join(served),
                 f"info@{_slug(title)}.example.org"]
            )  # fmt: skip
    return rows
