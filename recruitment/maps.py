"""Maps of the gaps: an SVG choropleth and GeoJSON for GIS tools.

The SVG is written by hand from the shapely polygons (no plotting library): one ``<path>``
per community with a ``<title>`` tooltip of its figures, the community names, a legend, and
suppressed communities greyed and hatched with a note. Every word and number of it comes from
a :class:`MapText` (English by default), so a page can show the map in its own language; with
``link`` each community is a link a keyboard reaches. Coordinates are projected
equirectangularly around the area's mean latitude (longitude scaled by its cosine), which is
true enough at the size of a county or a state.

The palette is ColorBrewer's PuOr (purple = more homes than needed, orange = a shortfall),
which stays distinguishable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
from shapely.geometry import MultiPolygon, Polygon, mapping

from geo import CommunityIndex
from recruitment.gaps import COLUMNS, GapResult, binding_rule, json_value

__all__ = ["PALETTE", "SUPPRESSED_COLOUR", "MapText", "gap_classes", "gap_geojson", "svg_map"]

# ColorBrewer PuOr (colour-blind safe): surplus (purples), about even, shortfall (oranges)
PALETTE = ("#542788", "#998ec3", "#f7f7f7", "#fee0b6", "#f1a340", "#b35806")
SUPPRESSED_COLOUR = "#9e9e9e"
NO_DATA_COLOUR = "#ffffff"
_WIDTH = 820.0
_LEGEND = 260.0


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value):.{digits}f}"


@dataclass(frozen=True)
class MapText:
    """Every word and number format of the gap map; the defaults are English.

    Each text is a ``str.format`` string whose fields are named in it; numbers reach the
    fields already written by ``number`` (a value and its digits after the point; ``None``
    or NaN for no value), the day by ``day``, segment keys by ``segment`` and the names of
    matching rules by ``rule``. Lines of ``notes`` are separated by ``\\n`` (the legend is
    narrow). A page passes the same texts in its own language.
    """

    heading: str = (
        "Recruitment gap, {segment}: homes needed minus homes expected "
        "({horizon} months from {as_of})"
    )
    community: str = "{name} ({id})"
    no_figures: str = "{community}: no figures"
    tip_suppressed: str = "segment {segment}: figures suppressed (1 to {threshold} children)"
    tip_homes: str = "homes now {homes}"
    tip_segment: str = "segment {segment}, {horizon} months ahead"
    tip_gap: str = "gap {gap} homes (interval {low} to {high})"
    tip_need: str = "need {need} homes for {children} children expected in non-kin family care"
    tip_supply: str = "homes now {homes}, expected closures {closures}, pipeline {pipeline}"
    tip_recruit: str = "recruit {target} homes ({inquiries} inquiries)"
    tip_unmet: str = "waiting now with no qualifying home: {unmet} (most often: {rule})"
    legend_title: str = "Gap, {segment}"
    legend_subtitle: str = "homes needed minus homes expected"
    # the six classes, most spare homes first; {low} and {high} are numbers of homes
    class_spare_many: str = "{low} or more homes to spare"
    class_spare: str = "{low} to {high} homes to spare"
    class_even: str = "about even (within {high})"
    class_short: str = "{low} to {high} homes short"
    class_short_many: str = "more than {low} homes short"
    suppressed: str = "suppressed"
    notes: str = (
        "Grey, hatched: figures from 1 to {threshold}\n"
        "children are not published.\n"
        "Hover a community for its figures.\n"
        "Service level {service_level}%; interval {interval}%."
    )
    number: Callable[[Any, int], str] = _fmt
    day: Callable[[Any], str] = str
    segment: Callable[[str], str] = str
    rule: Callable[[str], str] = str

    def signed(self, value: float, digits: int = 1) -> str:
        """``value`` with its sign, as ``+1.5`` (``-`` and NaN as ``number`` writes them)."""
        plus = not math.isnan(value) and math.copysign(1.0, value) > 0
        return ("+" if plus else "") + self.number(value, digits)

    def edge(self, value: float) -> str:
        """A class edge in homes, without its sign: ``2``, ``0.5``."""
        value = abs(value)
        return self.number(value, 0 if float(value).is_integer() else 1)


def gap_classes(gaps: pd.Series, text: MapText = MapText()) -> tuple[list[float], list[str]]:
    """Class edges and labels for the gap (homes): two surplus classes, even, three shortfall.

    The shortfall edges are round numbers near the median and the 90th percentile of the
    positive gaps, so the classes spread the communities that need homes. The labels are
    written with ``text`` (English by default), most spare homes first.
    """
    positive = gaps[gaps > 0.5].dropna()
    a = max(1.0, float(np.ceil(positive.median()))) if len(positive) else 1.0
    b = max(a + 1.0, float(np.ceil(positive.quantile(0.9)))) if len(positive) else a + 1.0
    edges = [-2.0, -0.5, 0.5, a, b]
    h = text.edge
    labels = [
        text.class_spare_many.format(low=h(edges[0]), high=""),
        text.class_spare.format(low=h(edges[1]), high=h(edges[0])),
        text.class_even.format(low=h(edges[1]), high=h(edges[2])),
        text.class_short.format(low=h(edges[2]), high=h(a)),
        text.class_short.format(low=h(a), high=h(b)),
        text.class_short_many.format(low=h(b), high=""),
    ]
    return edges, labels


def _colour(gap: float, edges: list[float]) -> str:
    return PALETTE[int(np.searchsorted(edges, gap, side="right"))]


def _tooltip(row: dict[str, Any], horizon: int, threshold: int, text: MapText) -> str:
    n = text.number
    name = text.community.format(name=row["name"], id=row["community"])
    segment = text.segment(row["segment"])
    if row["suppressed"]:
        return "\n".join(
            [
                name,
                text.tip_suppressed.format(segment=segment, threshold=n(threshold, 0)),
                text.tip_homes.format(homes=n(row["homes"], 0)),
            ]
        )
    lines = [
        name,
        text.tip_segment.format(segment=segment, horizon=n(horizon, 0)),
        text.tip_gap.format(
            gap=text.signed(float(row["gap"])), low=n(row["gap_low"], 1), high=n(row["gap_high"], 1)
        ),
        text.tip_need.format(need=n(row["need_homes"], 1), children=n(row["census"], 1)),
        text.tip_supply.format(
            homes=n(row["homes"], 0), closures=n(row["closures"], 1), pipeline=n(row["pipeline"], 1)
        ),
        text.tip_recruit.format(target=n(row["target_homes"], 0), inquiries=n(row["inquiries"], 0)),
    ]
    rule = binding_rule(row)
    if rule:
        lines.append(text.tip_unmet.format(unmet=n(row["unmet_children"], 0), rule=text.rule(rule)))
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
    result: GapResult,
    index: CommunityIndex,
    segment: str = "all",
    *,
    title: str | None = None,
    text: MapText = MapText(),
    link: Callable[[str], str] | None = None,
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
    title
        The heading, instead of the one written from ``text``.
    text
        The words and number formats (default: English).
    link
        The URL of a community's page from its id. When given, each community is an SVG 2
        ``<a href>`` carrying the tooltip as its ``<title>``: Tab moves through the
        communities, a screen reader reads their figures, Enter opens the page. Without it
        the map has no links (a file to download).
    """
    n = text.number
    rows = {r["community"]: r for r in result.rows(segment).to_dict("records")}
    key = next(iter(rows.values()))["segment"] if rows else segment
    shown = pd.Series([r["gap"] for r in rows.values() if not r["suppressed"]], dtype="float64")
    edges, labels = gap_classes(shown, text)
    projection = _Projection(index)
    width = _WIDTH + _LEGEND
    height = max(projection.height, 330.0)
    threshold = result.policy.suppression_threshold
    heading = title or text.heading.format(
        segment=text.segment(key), horizon=n(result.horizon_months, 0), as_of=text.day(result.as_of)
    )
    # an image's children are hidden from assistive technology: with links, a group
    role = "img" if link is None else "group"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" role="{role}">',
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
            fill = NO_DATA_COLOUR
            tip = text.no_figures.format(
                community=text.community.format(name=community.name, id=community.id)
            )
        elif row["suppressed"]:
            fill, tip = "url(#suppressed)", _tooltip(row, result.horizon_months, threshold, text)
        else:
            fill = _colour(float(row["gap"]), edges)
            tip = _tooltip(row, result.horizon_months, threshold, text)
        shape = (
            f'<path class="community" data-id={quoteattr(community.id)} '
            f'd="{projection.path(community.geometry)}" fill="{fill}">'
        )
        if link is None:
            out.append(f"{shape}<title>{escape(tip)}</title></path>")
        else:
            out.append(
                f"<a href={quoteattr(link(community.id))}><title>{escape(tip)}</title>"
                f"{shape}</path></a>"
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
        f'<text x="0" y="0" font-weight="bold">'
        f"{escape(text.legend_title.format(segment=text.segment(key)))}</text>",
        f'<text x="0" y="14" font-size="9">{escape(text.legend_subtitle)}</text>',
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
        f'stroke="#4d4d4d" stroke-width="0.5"/>'
        f'<text x="22" y="{y + 10:.0f}">{escape(text.suppressed)}</text>'
    )
    y += 30.0
    notes = text.notes.format(
        threshold=n(threshold, 0),
        service_level=n(100.0 * result.policy.service_level, 0),
        interval=n(100.0 * result.policy.interval, 0),
    )
    for note in notes.split("\n"):
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
            properties.update({c: json_value(row[c]) for c in COLUMNS})
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
