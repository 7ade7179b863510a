"""Writing the folder: the column order of each file, CSV and GeoJSON, and dates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from core.csv_cells import CsvWriter
from data.generate.geography import Geography

HOMES_COLUMNS = (
    "id", "kind", "status", "latitude", "longitude", "capacity", "age_min", "age_max",
    "accepts_sex", "max_siblings", "capabilities", "languages", "religion", "cultural_offers",
    "tribe", "tribe_licensed", "kin_of", "kin_relationship", "licensed_on", "closed_on",
    "closed_reason",
)  # fmt: skip
CHILDREN_COLUMNS = (
    "id", "birth_date", "sex", "race", "hispanic", "languages", "religion", "cultural_needs",
    "tribe", "icwa", "needs", "sibling_group", "separate_from", "excluded_homes",
    "school_latitude", "school_longitude",
)  # fmt: skip
EPISODES_COLUMNS = (
    "child_id", "removed_on", "removal_latitude", "removal_longitude", "discharged_on",
    "discharge_reason",
)  # fmt: skip
PLACEMENTS_COLUMNS = ("child_id", "setting", "home_id", "started_on", "ended_on", "end_reason")
APPLICANTS_COLUMNS = ("id", "stage", "stage_on", "latitude", "longitude", "interests", "languages")
PARTNERS_COLUMNS = ("id", "name", "kind", "latitude", "longitude", "languages", "contact")


def coord(value: float) -> str:
    """A latitude or longitude as written: 6 decimals (about 10 cm)."""
    return f"{value:.6f}"


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Rows of text and whole numbers (coordinates already formatted), ``\\n`` line ends."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = CsvWriter(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_communities(path: Path, geo: Geography) -> None:
    """The communities with their invented child population, one feature per line."""
    features = [
        {
            "type": "Feature",
            "properties": {"id": cid, "name": name, "child_population": int(population)},
            "geometry": geometry,
        }
        for cid, name, population, geometry in zip(
            geo.ids, geo.names, geo.child_population.tolist(), geo.geometries, strict=True
        )
    ]
    body = ",\n".join(json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in features)
    text = '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"
    path.write_text(text, encoding="utf-8", newline="\n")


class Calendar:
    """Simulation days (0 = the start of the burn-in) as ISO dates, cached."""

    def __init__(self, start: date) -> None:
        self.ordinal = start.toordinal()
        self._cache: dict[int, str] = {}

    def iso(self, day: int) -> str:
        text = self._cache.get(day)
        if text is None:
            text = self._cache[day] = date.fromordinal(self.ordinal + day).isoformat()
        return text
