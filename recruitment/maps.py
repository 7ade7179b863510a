"""Maps of the gaps: an SVG choropleth and GeoJSON for GIS tools.

The SVG is written by hand from the shapely polygons (no plotting library): one ``<path>``
per community with a ``<title>`` tooltip of its figures, the community names, a legend, and
suppressed communities greyed and hatched with a note. Every word and number of it comes from
a :class:`MapText` (English by default), so a page can show the map in its own language; with
``link`` each community is a link a keyboard reaches. Coordinates are projected
equirectangularly around the area's mean latitude (longitude scaled by its cosine), which is
true enough at the size of a county or a state.

The classes are fixed (:data:`GAP_CLASSES`): the same whatever the segment, the horizon or the
area, so a colour always means the same number of homes short. The palette is ColorBrewer's
PuOr (purple = more homes than needed, orange = a shortfall), which stays distinguishable with
the common colour-vision deficiencies.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon, mapping

from geo import CommunityIndex
from recruitment.gaps import COLUMNS, GapResult, binding_rule, json_value

__all__ = [
    "GAP_CLASSES",
    "PALETTE",
    "SUPPRESSED_COLOUR",
    "ClassBreaks",
    "MapText",
    "community_figures",
    "gap_classes",
    "gap_geojson",
    "svg_map",
]

# ColorBrewer PuOr (colour-blind safe), one colour per class of GAP_CLASSES: spare homes
# (purples), about even, a shortfall (oranges, darker the larger)
PALETTE = (
    "#8073ac", "#b2abd2", "#f7f7f7", "#fee0b6", "#fdb863", "#e08214", "#b35806", "#7f3b08",
)  # fmt: skip
SUPPRESSED_COLOUR = "#9e9e9e"
NO_DATA_COLOUR = "#ffffff"
_WIDTH = 820.0
_LEGEND = 280.0


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
    # the classes of GAP_CLASSES, most spare homes first; {low} and {high} are whole homes
    class_spare_many: str = "{low} or more homes to spare"
    class_spare: str = "{low} to {high} homes to spare"
    class_even: str = "about even (0 homes short)"
    class_short: str = "{low} to {high} homes short"
    class_short_many: str = "{low} or more homes short"
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


@dataclass(frozen=True)
class ClassBreaks:
    """Fixed classes of one measure of the map, in whole units, the same for every segment.

    A value is rounded to the nearest whole unit (halves up) and falls in the first class
    whose inclusive upper bound it does not exceed; the last class has no upper bound.

    Attributes
    ----------
    measure
        The column of the gap table the classes are for.
    upper
        The inclusive upper bound of each class but the last, increasing.
    """

    measure: str
    upper: tuple[int, ...]

    def __post_init__(self) -> None:
        if list(self.upper) != sorted(set(self.upper)):
            raise ValueError(f"class bounds of {self.measure} must increase: {self.upper}")

    def classify(self, values: Any) -> NDArray[np.int64]:
        """The class (0 = the lowest) of each value; NaN is not allowed."""
        whole = np.floor(np.asarray(values, dtype=np.float64) + 0.5)
        found: NDArray[np.int64] = np.searchsorted(np.array(self.upper), whole, side="left")
        return found.astype(np.int64)

    def ranges(self) -> list[tuple[int | None, int | None]]:
        """Each class's lowest and highest whole value (None: open-ended)."""
        lows: list[int | None] = [None, *(u + 1 for u in self.upper)]
        highs: list[int | None] = [*self.upper, None]
        return list(zip(lows, highs, strict=True))


# the gap in homes (need minus supply): 3 or more spare, 1-2 spare, even, then homes short
# 1-2, 3-5, 6-10, 11-20 and 21 or more; one colour of PALETTE per class
GAP_CLASSES = ClassBreaks("gap", (-3, -1, 0, 2, 5, 10, 20))


def gap_classes(text: MapText = MapText()) -> list[str]:
    """The legend's label of each class of :data:`GAP_CLASSES`, most spare homes first,
    written with ``text`` (English by default)."""
    h = text.edge
    labels = []
    for low, high in GAP_CLASSES.ranges():
        if low is None:
            assert high is not None
            labels.append(text.class_spare_many.format(low=h(-high), high=""))
        elif high is None:
            labels.append(text.class_short_many.format(low=h(low), high=""))
        elif high < 0:
            labels.append(text.class_spare.format(low=h(-high), high=h(-low)))
        elif low == high == 0:
            labels.append(text.class_even.format(low=h(0), high=h(0)))
        else:
            labels.append(text.class_short.format(low=h(low), high=h(high)))
    return labels


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


def community_figures(
    result: GapResult, index: CommunityIndex, segment: str = "all", text: MapText = MapText()
) -> list[dict[str, Any]]:
    """What the map says of each community of ``index``, in its order.

    Each item has ``id``, ``name``, ``class`` (the :data:`GAP_CLASSES` class of its gap;
    None when suppressed or without figures), ``fill`` (its colour, the hatch pattern
    ``url(#suppressed)`` or white) and ``lines`` (its figures, written with ``text``; the
    first line names the community).
    """
    rows = {r["community"]: r for r in result.rows(segment).to_dict("records")}
    threshold = result.policy.suppression_threshold
    out = []
    for community in index:
        row = rows.get(community.id)
        gap_class: int | None = None
        if row is None:
            fill = NO_DATA_COLOUR
            tip = text.no_figures.format(
                community=text.community.format(name=community.name, id=community.id)
            )
        elif row["suppressed"]:
            fill, tip = "url(#suppressed)", _tooltip(row, result.horizon_months, threshold, text)
        else:
            gap_class = int(GAP_CLASSES.classify([float(row["gap"])])[0])
            fill = PALETTE[gap_class]
            tip = _tooltip(row, result.horizon_months, threshold, text)
        out.append(
            {
                "id": community.id,
                "name": community.name,
                "class": gap_class,
                "fill": fill,
                "lines": tip.split("\n"),
            }
        )
    return out


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
    labels = gap_classes(text)
    projection = _Projection(index)
    width = _WIDTH + _LEGEND
    height = max(projection.height, 380.0)  # the legend's height
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
    for community, figures in zip(index, community_figures(result, index, key, text), strict=True):
        fill, tip = figures["fill"], "\n".join(figures["lines"])
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
        '<g id="labels" font-size="12" fill="#1a1a1a" stroke="#ffffff" stroke-width="2" '
        'paint-order="stroke" pointer-events="none">'
    )
    out.extend(labels_svg)
    out.append("</g>")
    lx = _WIDTH + 10.0
    legend = [
        f'<g id="legend" font-size="12" transform="translate({lx:.0f},20)">',
        f'<text x="0" y="0" font-weight="bold">'
        f"{escape(text.legend_title.format(segment=text.segment(key)))}</text>",
        f'<text x="0" y="16" font-size="11">{escape(text.legend_subtitle)}</text>',
    ]
    y = 30.0
    for colour, label in zip(reversed(PALETTE), reversed(labels), strict=True):
        legend.append(
            f'<rect x="0" y="{y:.0f}" width="16" height="12" fill="{colour}" stroke="#4d4d4d" '
            f'stroke-width="0.5"/><text x="22" y="{y + 11:.0f}">{escape(label)}</text>'
        )
        y += 20.0
    legend.append(
        f'<rect x="0" y="{y:.0f}" width="16" height="12" fill="url(#suppressed)" '
        f'stroke="#4d4d4d" stroke-width="0.5"/>'
        f'<text x="22" y="{y + 11:.0f}">{escape(text.suppressed)}</text>'
    )
    y += 32.0
    notes = text.notes.format(
        threshold=n(threshold, 0),
        service_level=n(100.0 * result.policy.service_level, 0),
        interval=n(100.0 * result.policy.interval, 0),
    )
    for note in notes.split("\n"):
        legend.append(f'<text x="0" y="{y:.0f}" font-size="11">{escape(note)}</text>')
        y += 14.0
    legend.append("</g>")
    out.extend(legend)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def gap_geojson(result: GapResult, index: CommunityIndex, segment: str = "all") -> dict[str, Any]:
    """A FeatureCollection: each community's polygon with its (suppressed) gap figures.

    Properties: every column of the gap table (``None`` where suppressed or unknown),
    ``partners`` (names of the outreach partners), ``gap_class`` (the community's class of
    :data:`GAP_CLASSES`, 0 = most spare homes; ``None`` when suppressed or without figures)
    and ``label_at`` (``[longitude, latitude]`` of a point inside the community for its name).
    """
    rows = {r["community"]: r for r in result.rows(segment).to_dict("records")}
    features = []
    for community in index:
        row = rows.get(community.id)
        inside = community.geometry.representative_point()
        properties: dict[str, Any] = {
            "community": community.id,
            "name": community.name,
            "gap_class": None,
            "label_at": [round(inside.x, 6), round(inside.y, 6)],
        }
        if row is not None:
            properties.update({c: json_value(row[c]) for c in COLUMNS})
            properties["partners"] = [p["name"] for p in row["partners"]]
            if not row["suppressed"]:
                properties["gap_class"] = int(GAP_CLASSES.classify([float(row["gap"])])[0])
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
