"""The 77 community areas with an invented child population, removal and home-supply pattern.

The raw community areas are read with :class:`geo.CommunityIndex`. Three spatially smooth
random fields give each community a child density, a removal propensity and a foster-home
supply factor; supply is drawn anti-correlated with removals, so that homes are concentrated
away from where children come from (the mismatch that Family to Family's maps of removals
against foster homes are drawn to reveal).
"""

from __future__ import annotations

import importlib.resources
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from data.generate.codes import L_EN, L_ES, LANGS
from data.generate.draws import FloatArray, IntArray
from data.generate.targets import (
    ENTRIES_PER_CHILD_IN_CARE,
    ENTRY_RATE_PER_1000,
    SPANISH_SHARE_OF_HISPANIC,
    ScaleTargets,
)
from geo import CommunityIndex

# Invented race/ethnicity mix per community: % black, hispanic, white, asian (the rest:
# two or more races, American Indian, Pacific Islander, unknown). Rough shapes, not census.
_NEIGHBOURHOOD_MIX: dict[int, tuple[int, int, int, int]] = {
    1: (25, 20, 40, 7), 2: (10, 18, 42, 26), 3: (18, 13, 52, 13), 4: (5, 18, 62, 12),
    5: (4, 12, 76, 6), 6: (4, 8, 78, 8), 7: (5, 7, 78, 8), 8: (10, 7, 66, 15),
    9: (1, 10, 86, 2), 10: (1, 12, 82, 4), 11: (1, 25, 65, 8), 12: (1, 12, 75, 10),
    13: (5, 18, 40, 35), 14: (5, 42, 30, 20), 15: (1, 30, 62, 5), 16: (3, 40, 46, 9),
    17: (1, 28, 66, 4), 18: (3, 58, 36, 2), 19: (6, 78, 14, 1), 20: (3, 86, 9, 1),
    21: (3, 50, 42, 4), 22: (4, 40, 50, 4), 23: (38, 52, 8, 1), 24: (8, 24, 60, 6),
    25: (80, 13, 5, 1), 26: (92, 3, 3, 1), 27: (88, 5, 5, 1), 28: (25, 10, 46, 17),
    29: (86, 10, 2, 1), 30: (10, 85, 4, 0), 31: (3, 73, 20, 3), 32: (10, 8, 60, 20),
    33: (20, 6, 50, 22), 34: (15, 4, 16, 64), 35: (60, 4, 16, 18), 36: (92, 2, 3, 2),
    37: (90, 5, 3, 1), 38: (86, 3, 7, 2), 39: (66, 4, 20, 8), 40: (95, 2, 1, 1),
    41: (28, 8, 46, 16), 42: (82, 3, 10, 3), 43: (93, 3, 2, 1), 44: (97, 1, 1, 0),
    45: (96, 2, 1, 0), 46: (56, 40, 3, 0), 47: (97, 1, 1, 0), 48: (91, 5, 2, 0),
    49: (96, 2, 1, 0), 50: (80, 14, 4, 0), 51: (56, 40, 3, 0), 52: (3, 80, 16, 0),
    53: (92, 5, 2, 0), 54: (95, 3, 1, 0), 55: (3, 55, 41, 0), 56: (4, 50, 42, 3),
    57: (2, 76, 19, 2), 58: (2, 85, 6, 7), 59: (3, 58, 14, 24), 60: (4, 26, 34, 35),
    61: (32, 58, 7, 2), 62: (3, 80, 15, 1), 63: (8, 90, 1, 0), 64: (2, 50, 46, 1),
    65: (6, 86, 7, 0), 66: (44, 52, 3, 0), 67: (94, 4, 1, 0), 68: (95, 3, 1, 0),
    69: (97, 1, 1, 0), 70: (56, 31, 12, 0), 71: (97, 1, 1, 0), 72: (36, 5, 57, 1),
    73: (96, 2, 1, 0), 74: (2, 9, 87, 1), 75: (66, 3, 29, 1), 76: (3, 20, 66, 10),
    77: (15, 16, 52, 14),
}  # fmt: skip
# Invented shares (%) of families speaking a language other than English or Spanish at home.
_OTHER_LANGUAGES: dict[str, dict[int, float]] = {
    "pl": {10: 9, 11: 11, 12: 4, 15: 9, 17: 11, 18: 5, 21: 4, 56: 7, 57: 10, 64: 7, 76: 6},
    "zh": {34: 48, 60: 24, 59: 14, 33: 10, 35: 6, 3: 3},
    "ar": {66: 6, 65: 4, 63: 3, 14: 4, 2: 4, 70: 3},
    "ur": {2: 13, 1: 3, 13: 3},
    "vi": {3: 7, 77: 4, 14: 2},
    "ko": {13: 9, 14: 5, 12: 3},
    "tl": {14: 5, 13: 5, 16: 3, 4: 3, 15: 2},
    "so": {1: 3, 3: 3, 77: 2},
    "fr": {1: 3, 77: 2, 3: 2, 43: 1},
    "ru": {2: 7, 1: 3, 13: 2},
}
# child density: smooth random field, lower where people live without children (invented)
_DENSITY_ADJUSTMENT = {76: 0.15, 32: 0.35, 8: 0.5, 33: 0.6, 7: 0.7, 6: 0.7, 28: 0.8}
DENSITY_SPREAD = 0.35  # log-sd of the child density factor
REMOVAL_SPREAD = 0.80  # log-sd of the removal propensity: removals concentrate strongly
SUPPLY_SPREAD = 0.60  # log-sd of the foster-home supply factor
SUPPLY_REMOVAL_CORRELATION = -0.55  # homes are recruited away from where removals are

_DISPLAY_NAMES = {"OHARE": "O'Hare", "MCKINLEY PARK": "McKinley Park"}


def _title(raw: str) -> str:
    """Display name of a community ("NEAR WEST SIDE" -> "Near West Side")."""
    return _DISPLAY_NAMES.get(raw.strip().upper(), raw.strip().title())


@dataclass
class Geography:
    """The communities in id order with their invented population and propensities."""

    index: CommunityIndex
    ids: list[str]
    names: list[str]
    geometries: list[Any]  # the raw GeoJSON geometry objects, copied unchanged
    neighbours: list[IntArray]
    rings: list[tuple[list[int], list[int], list[int], list[int]]]  # itself, neighbours, ...
    child_population: IntArray
    removal_weight: FloatArray  # relative removals per community (population x propensity)
    home_weight: FloatArray  # relative recruitment of non-kin homes
    mix: FloatArray  # (n, 5) race/ethnicity category shares of families (RACE_CATEGORIES)
    language_share: FloatArray  # (n, len(LANGS)) share of families speaking each language

    @property
    def n(self) -> int:
        return len(self.ids)


def _raw_communities() -> dict[str, Any]:
    path = importlib.resources.files("data.sample") / "chicago_community_areas.geojson"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _smooth_field(
    neighbours: list[IntArray], rng: np.random.Generator, rounds: int = 3
) -> FloatArray:
    """Standard-normal values per community that resemble their neighbours' values.

    White noise averaged with the neighbours' mean a few times: no matrix factorisation (as
    a Gaussian process would need), whose last bits depend on the BLAS build.
    """
    z = rng.standard_normal(len(neighbours))
    for _ in range(rounds):
        z = np.array(
            [(z[i] + z[nb].mean()) / 2 if len(nb) else z[i] for i, nb in enumerate(neighbours)]
        )
    field: FloatArray = (z - z.mean()) / z.std()
    return field


def build_geography(rng: np.random.Generator, targets: ScaleTargets) -> Geography:
    raw = _raw_communities()
    features = sorted(raw["features"], key=lambda f: int(f["properties"]["area_numbe"]))
    index = CommunityIndex.from_geojson(raw, id_property="area_numbe", name_property="community")
    ids = [str(f["properties"]["area_numbe"]) for f in features]
    position = {c: i for i, c in enumerate(ids)}
    neighbours = [
        np.array(sorted(position[c] for c in index.neighbours(cid)), dtype=np.int64) for cid in ids
    ]
    rings = []
    for i in range(len(ids)):
        first = sorted(neighbours[i].tolist())
        second = sorted({int(j) for k in first for j in neighbours[k]} - {i, *first})
        rest = sorted(set(range(len(ids))) - {i, *first, *second})
        rings.append(([i], first, second, rest))
    # area in km2 from the lon/lat polygon, corrected for the shrinking of longitude degrees
    area_km2 = np.array(
        [
            index.get(c).geometry.area
            * 111.32**2
            * math.cos(math.radians(index.get(c).representative_point.lat))
            for c in ids
        ]
    )
    density = np.exp(DENSITY_SPREAD * _smooth_field(neighbours, rng))
    density *= np.array([_DENSITY_ADJUSTMENT.get(int(c), 1.0) for c in ids])
    removal = np.exp(REMOVAL_SPREAD * _smooth_field(neighbours, rng))
    supply_z = SUPPLY_REMOVAL_CORRELATION * np.log(removal) / REMOVAL_SPREAD + math.sqrt(
        1 - SUPPLY_REMOVAL_CORRELATION**2
    ) * _smooth_field(neighbours, rng)
    supply = np.exp(SUPPLY_SPREAD * supply_z)

    weight = area_km2 * density
    entries_per_year = ENTRIES_PER_CHILD_IN_CARE * targets.in_care
    total_children = entries_per_year / ENTRY_RATE_PER_1000 * 1000
    child_population = np.round(weight / weight.sum() * total_children).astype(np.int64)

    mix = np.array([_NEIGHBOURHOOD_MIX[int(c)] for c in ids], dtype=np.float64) / 100
    mix = np.column_stack([mix, np.clip(1 - mix.sum(axis=1), 0.02, None)])
    mix /= mix.sum(axis=1, keepdims=True)
    language_share = np.zeros((len(ids), len(LANGS)))
    language_share[:, L_ES] = mix[:, 1] * SPANISH_SHARE_OF_HISPANIC
    for lang, table in _OTHER_LANGUAGES.items():
        for number, share in table.items():
            language_share[position[str(number)], LANGS.index(lang)] = share / 100
    language_share[:, L_EN] = 1 - language_share.sum(axis=1)

    return Geography(
        index=index,
        ids=ids,
        names=[_title(f["properties"]["community"]) for f in features],
        geometries=[f["geometry"] for f in features],
        neighbours=neighbours,
        rings=rings,
        child_population=child_population,
        removal_weight=child_population * removal,
        home_weight=child_population * supply,
        mix=mix,
        language_share=language_share,
    )


def random_points(
    geo: Geography, community: IntArray, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """A random point inside each given community, rounded to the 6 decimals written out.

    Rounding moves a point by at most 5 cm; a point that it pushes out of every community
    (on the lake shore or the city edge) is drawn again.
    """
    lat = np.zeros(len(community))
    lon = np.zeros(len(community))
    todo = np.arange(len(community))
    while len(todo):
        for c in np.unique(community[todo]).tolist():
            rows = todo[community[todo] == c]
            la, lo = geo.index.sample_points(geo.ids[c], len(rows), rng)
            lat[rows], lon[rows] = np.round(la, 6), np.round(lo, 6)
        found = geo.index.locate(lat[todo], lon[todo])
        todo = todo[np.array([f is None for f in found], dtype=bool)]
    return lat, lon
