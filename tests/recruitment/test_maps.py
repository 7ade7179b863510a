"""Maps: the SVG parses with one shape per community and a legend; the GeoJSON is valid."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from shapely.geometry import Polygon, box, shape

from geo import Community, CommunityIndex
from recruitment import RecruitmentPolicy, compute_gaps, gap_geojson, svg_map
from recruitment.maps import PALETTE
from tests.recruitment.conftest import build, communities, home, steady_entries

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def index() -> CommunityIndex:
    """Three squares in a row; the middle one has a hole (a park), the last is named with &."""
    holed = Polygon(
        [(-87.65, 41.8), (-87.6, 41.8), (-87.6, 41.85), (-87.65, 41.85)],
        [[(-87.64, 41.81), (-87.63, 41.81), (-87.63, 41.82)]],
    )
    return CommunityIndex(
        [
            Community("A", "Area A", box(-87.7, 41.8, -87.65, 41.85), 1000),
            Community("B", "Area B", holed, 1000),
            Community("C", "Smith & Jones <Park>", box(-87.6, 41.8, -87.55, 41.85), 1000),
        ]
    )


@pytest.fixture
def result(index: CommunityIndex, plain_policy: RecruitmentPolicy):  # type: ignore[no-untyped-def]
    episodes = steady_entries("A", 30) + steady_entries("B", 2) + steady_entries("C", 12)
    inputs = build(
        episodes,
        communities(("A", 1000), ("B", 1000), ("C", 1000)),
        [home("C") for _ in range(30)],
        neighbours={c.id: index.neighbours(c.id) for c in index},
    )
    return compute_gaps(inputs, replace(plain_policy, suppression_threshold=10))


def test_svg_parses_with_one_shape_per_community(result, index: CommunityIndex) -> None:  # type: ignore[no-untyped-def]
    """The SVG is XML with one titled path per community, names, and a legend."""
    root = ET.fromstring(svg_map(result, index, "all"))
    paths = root.findall(f".//{SVG}g[@id='communities']/{SVG}path")
    assert len(paths) == len(index)
    assert all(p.find(f"{SVG}title") is not None for p in paths)
    labels = [t.text for t in root.findall(f".//{SVG}g[@id='labels']/{SVG}text")]
    assert labels == ["Area A", "Area B", "Smith & Jones <Park>"]
    legend = root.find(f".//{SVG}g[@id='legend']")
    assert legend is not None
    assert len(legend.findall(f"{SVG}rect")) == len(PALETTE) + 1
    assert "suppressed" in "".join(legend.itertext())


def test_svg_colours_and_greys(result, index: CommunityIndex) -> None:  # type: ignore[no-untyped-def]
    """A shortfall is orange, spare homes purple, a suppressed community hatched grey."""
    root = ET.fromstring(svg_map(result, index, "all"))
    fills = {p.get("data-id"): p.get("fill") for p in root.iter(f"{SVG}path")}
    assert fills["A"] in PALETTE[3:]
    assert fills["B"] == "url(#suppressed)"
    assert fills["C"] in PALETTE[:2]
    tips = {p.get("data-id"): p.find(f"{SVG}title").text for p in root.iter(f"{SVG}path")}  # type: ignore[union-attr]
    assert "figures suppressed" in tips["B"] and "gap" not in tips["B"]
    assert "gap +" in tips["A"] and "recruit" in tips["A"]


def test_svg_for_another_segment(result, index: CommunityIndex) -> None:  # type: ignore[no-untyped-def]
    """Any computed segment can be mapped; its key is in the title."""
    text = svg_map(result, index, "age:6-12")
    assert "age:6-12" in ET.fromstring(text).find(f"{SVG}title").text  # type: ignore[union-attr, operator]


def test_geojson_is_valid_with_the_figures(result, index: CommunityIndex) -> None:  # type: ignore[no-untyped-def]
    """A FeatureCollection of polygons, plain JSON, with gap figures and suppression as properties."""
    document = json.loads(json.dumps(gap_geojson(result, index, "all"), allow_nan=False))
    assert document["type"] == "FeatureCollection"
    assert len(document["features"]) == len(index)
    for feature in document["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert shape(feature["geometry"]).is_valid
    props = {f["properties"]["community"]: f["properties"] for f in document["features"]}
    assert props["A"]["gap"] > 0 and props["A"]["segment"] == "all"
    assert props["B"]["suppressed"] is True and props["B"]["gap"] is None
    assert props["B"]["homes"] == 0
    assert len(document["features"][1]["geometry"]["coordinates"]) == 2  # the hole is kept
