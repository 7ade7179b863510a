"""Maps of the gaps: an SVG choropleth and GeoJSON for GIS tools.

The SVG is written by hand from the shapely polygons (no plotting library): one ``<path>``
per community with a ``<title>`` tooltip of its figures, the community names, a legend, and
suppressed communities greyed and hatched with a note. Coordinates are projected
equirectangularly around the area's mean latitude (longitude scaled by its cosine), which is
true enough at the size of a county or a state.

The palette is ColorBrewer's PuOr (purple = more homes than needed, orange = a shortfall),
which stays distinguishable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
from shapely.geometry import MultiPolygon, Polygon, mapping

from geo import CommunityIndex
from recruitment.gaps import COLUMNS, GapResult, _clean

__all__ = ["PALETTE", "SUPPRESSED_COLOUR", "gap_classes", "gap_geojson", "svg_map"]

# ColorBrewer PuOr (colour-blind safe): surplus (purples), about even, shortfall (oranges)
PALETTE = ("#542788", "#998ec3", "#f7f7f7", "#fee0b6", "#f1a340", "#b35806")
SUPPRESSED_COLOUR = "#9e9e9e"
NO_DATA_COLOUR = "#ffffff"
_WIDTH = 820.0
_LEGEND = 260.0


def gap_classes(gaps: pd.Series) -> tuple[list[float], list[str]]:
    """Class edges and labels for the gap (homes): two surplus classes, even, three shortfall.

    The shortfall edges are round numbers near the median and the 90th percentile of the
    positive gaps, so the classes spread the communities that need homes.
    """
    positive = gaps[gaps > 0.5].dropna()
    a = max(1.0, float(np.ceil(positive.median()))) if len(positive) else 1.0
    b = max(a + 1.0, float(np.ceil(positive.quantile(0.9)))) if len(positive) else a + 1.0
    edges = [-2.0, -0.5, 0.5, a, b]
    labels = [
        "2 or more homes to spare",
        "0.5 to 2 homes to spare",
        "about even (within 0.5)",
        f"0.5 to {a:g} homes short",
        f"{a:g} to {b:g} homes short",
        f"more than {b:g} homes short",
    ]
    return edges, labels


def _colour(gap: float, edges: list[float]) -> str:
    return PALETTE[int(np.searchsorted(edges, gap, side="right"))]


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value):.{digits}f}"


def _tooltip(row: dict[str, Any], horizon: int, threshold: int) -> str:
    name = f"{row['name']} ({row['community']})"
    if row["suppressed"]:
        return (
            f"{name}\nsegment {row['segment']}: figures suppressed (1 to {threshold} children)"
            f"\nhomes now {_fmt(row['homes'], 0)}"
        )
    lines = [
        name,
        f"segment {row['segment']}, {horizon} months ahead",
        f"gap {float(row['gap']):+.1f} homes (interval {_fmt(row['gap_low'])} to "
        f"{_fmt(row['gap_high'])})",
        f"need {_fmt(row['need_homes'])} homes for {_fmt(row['census'])} children expected "
        "in non-kin family care",
        f"homes now {_fmt(row['homes'], 0)}, expected closures {_fmt(row['closures'])}, "
        f"pipeline {_fmt(row['pipeline'])}",
        f"recruit {_fmt(row['target_homes'], 0)} homes ({_fmt(row['inquiries'], 0)} inquiries)",
    ]
    if row["binding_rule"]:
        lines.append(
            f"waiting now with no qualifying home: {_fmt(row['unmet_children'], 0)} "
            f"(most often: {row['binding_rule']})"
        )
    return "\n".join(lines)


class _Projection:
    def __init__(self, index: CommunityIndex) -> None:
        bounds = np.array([c.geometry.bounds for c in index])
        self.minx, self.miny = bounds[:, 0].min(), bounds[:, 1].min()
        maxx, self.maxy = bounds[:, 2].max(), bounds[:, 3].max()
        self.kx = math.cos(math.radians((self.miny + self.maxy) / 2.0))
        span_x = max((maxx - self.minx) * self.kx, 1e-9)
        span_y = max(self.maxy - self.miny, 1e-9)
        self.scale = (_WIDTH - 20.0) / span_x
        self.height = span_y * self.scale + 20.0
        if self.height > 1200.0:  # tall areas: fit the height instead
            self.scale = 1180.0 / span_y
            self.height = 1200.0

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            10.0 + (lon - self.minx) * self.kx * self.scale,
            10.0 + (self.maxy - lat) * self.scale,
        )

    def path(self, geometry: Polygon | MultiPolygon) -> str:
        # detail finer than a third of a pixel cannot be seen: drop it to keep the file small
        geometry = geometry.simplify(0.3 / self.scale, preserve_topology=True)
        polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
        parts: list[str] = []
        for polygon in polygons:
            for ring in [polygon.exterior, *polygon.interiors]:
                points = [self.xy(x, y) for x, y in ring.coords]
                parts.append("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points) + " Z")
        return " ".join(parts)


def svg_map(
    result: GapResult, index: CommunityIndex, segment: str = "all", *, title: str | None = None
) -> str:
    """An SVG choropleth of the gap per community for one segment.

    Parameters
    ----------
    result
        The gaps (already suppressed).
    index
        The communities' polygons (``geo``); communities without a row are drawn white.
    segment
        Any computed segment (``result.segments``).
    """
    rows = {r["community"]: r for r in result.rows(segment).to_dict("records")}
    key = next(iter(rows.values()))["segment"] if rows else segment
    shown = pd.Series([r["gap"] for r in rows.values() if not r["suppressed"]], dtype="float64")
    edges, labels = gap_classes(shown)
    projection = _Projection(index)
    width = _WIDTH + _LEGEND
    height = max(projection.height, 330.0)
    threshold = result.policy.suppression_threshold
    heading = title or (
        f"Recruitment gap, {key}: homes needed minus homes expected "
        f"({result.horizon_months} months from {result.as_of})"
    )
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" role="img">',
        f"<title>{escape(heading)}</title>",
        '<defs><pattern id="suppressed" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{SUPPRESSED_COLOUR}"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>',
        '<g id="communities" stroke="#4d4d4d" stroke-width="0.5" fill-rule="evenodd">',
    ]
    labels_svg: list[str] = []
    for community in index:
        row = rows.get(community.id)
        if row is None:
            fill, tip = NO_DATA_COLOUR, f"{community.name} ({community.id}): no figures"
        elif row["suppressed"]:
            fill, tip = "url(#suppressed)", _tooltip(row, result.horizon_months, threshold)
        else:
            fill = _colour(float(row["gap"]), edges)
            tip = _tooltip(row, result.horizon_months, threshold)
        out.append(
            f'<path class="community" data-id={quoteattr(community.id)} '
            f'd="{projection.path(community.geometry)}" fill="{fill}">'
            f"<title>{escape(tip)}</title></path>"
        )
        point = community.geometry.representative_point()
        x, y = projection.xy(point.x, point.y)
        labels_svg.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle">{escape(community.name)}</text>'
        )
    out.append("</g>")
    out.append(
        '<g id="labels" font-size="7" fill="#1a1a1a" stroke="#ffffff" stroke-width="2" '
        'paint-order="stroke" pointer-events="none">'
    )
    out.extend(labels_svg)
    out.append("</g>")
    lx = _WIDTH + 10.0
    legend = [
        f'<g id="legend" font-size="11" transform="translate({lx:.0f},20)">',
        f'<text x="0" y="0" font-weight="bold">Gap, {escape(key)}</text>',
        '<text x="0" y="14" font-size="9">homes needed minus homes expected</text>',
    ]
    y = 28.0
    for colour, label in zip(reversed(PALETTE), reversed(labels), strict=True):
        legend.append(
            f'<rect x="0" y="{y:.0f}" width="16" height="12" fill="{colour}" stroke="#4d4d4d" '
            f'stroke-width="0.5"/><text x="22" y="{y + 10:.0f}">{escape(label)}</text>'
        )
        y += 18.0
    legend.append(
        f'<rect x="0" y="{y:.0f}" width="16" height="12" fill="url(#suppressed)" '
        f'stroke="#4d4d4d" stroke-width="0.5"/><text x="22" y="{y + 10:.0f}">suppressed</text>'
    )
    y += 30.0
    notes = [
        f"Grey, hatched: figures from 1 to {threshold}",
        "children are not published.",
        "Hover a community for its figures.",
        f"Service level {result.policy.service_level:.0%}; interval {result.policy.interval:.0%}.",
    ]
    for note in notes:
        legend.append(f'<text x="0" y="{y:.0f}" font-size="9">{escape(note)}</text>')
        y += 12.0
    legend.append("</g>")
    out.extend(legend)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def gap_geojson(result: GapResult, index: CommunityIndex, segment: str = "all") -> dict[str, Any]:
    """A FeatureCollection: each community's polygon with its (suppressed) gap figures.

    Properties: every column of the gap table (``None`` where suppressed or unknown) and
    ``partners`` (names of the outreach partners).
    """
    rows = {r["community"]: r for r in result.rows(segment).to_dict("records")}
    features = []
    for community in index:
        row = rows.get(community.id)
        properties: dict[str, Any] = {"community": community.id, "name": community.name}
        if row is not None:
            properties.update({c: _clean(row[c]) for c in COLUMNS})
            properties["partners"] = [p["name"] for p in row["partners"]]
        features.append(
            {
                "type": "Feature",
                "id": community.id,
                "properties": properties,
                "geometry": _plain(mapping(community.geometry)),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _plain(value: Any) -> Any:
    """Tuples (as shapely gives them) as lists, so the GeoJSON is plain JSON values."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
