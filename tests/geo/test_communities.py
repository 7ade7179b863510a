"""Communities: reading GeoJSON, point location, holes, repairs, adjacency, round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geo import Community, CommunityIndex, GeoJSONError, GeoProblem

CHICAGO = (
    Path(__file__).resolve().parents[2] / "data" / "sample" / "chicago_community_areas.geojson"
)
LOOP, NEAR_NORTH_SIDE, NEAR_WEST_SIDE, NEAR_SOUTH_SIDE = "32", "8", "28", "33"
NORWOOD_PARK, OHARE = "10", "76"


@pytest.fixture(scope="module")
def chicago() -> CommunityIndex:
    """The 77 community areas of the shipped sample geography, raw property names."""
    return CommunityIndex.from_geojson(CHICAGO, id_property="area_numbe", name_property="community")


# -- helpers: small hand-made geographies ---------------------------------------------------
# Coordinates are (lon, lat) as in GeoJSON, a few hundredths of a degree around Chicago.

X0, Y0 = -87.70, 41.80


def ring(*corners: tuple[float, float]) -> list[list[float]]:
    """A closed GeoJSON ring through ``corners`` given as offsets (dlon, dlat) from X0, Y0."""
    points = [[X0 + dx, Y0 + dy] for dx, dy in corners]
    return [*points, points[0]]


def square(dx: float, dy: float, size: float) -> list[list[float]]:
    """A square ring with its lower-left corner at offset (dx, dy)."""
    return ring((dx, dy), (dx + size, dy), (dx + size, dy + size), (dx, dy + size))


def feature(
    community_id: Any, geometry: dict[str, Any] | None, **properties: Any
) -> dict[str, Any]:
    """A GeoJSON feature with an id, a name derived from it, and extra properties."""
    props: dict[str, Any] = {"id": community_id, "name": f"Area {community_id}"}
    props.update(properties)
    return {"type": "Feature", "properties": props, "geometry": geometry}


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    """A GeoJSON Polygon from a shell and optional holes."""
    return {"type": "Polygon", "coordinates": list(rings)}


def collection_text(*features: dict[str, Any]) -> str:
    """A FeatureCollection with one feature per line: feature ``n`` starts on line ``n + 4``."""
    body = ",\n".join("    " + json.dumps(f) for f in features)
    return '{\n  "type": "FeatureCollection",\n  "features": [\n' + body + "\n  ]\n}\n"


def at(dx: float, dy: float) -> tuple[float, float]:
    """(lat, lon) of the point at offset (dlon, dlat): the axis order ``locate`` takes."""
    return Y0 + dy, X0 + dx


def locate_offsets(index: CommunityIndex, *offsets: tuple[float, float]) -> list[str | None]:
    """Locate points given as (dlon, dlat) offsets, in one vectorised call."""
    lats, lons = zip(*(at(dx, dy) for dx, dy in offsets), strict=True)
    located: list[str | None] = index.locate(list(lats), list(lons)).tolist()
    return located


def problems_of(source: Any) -> list[tuple[int | None, str]]:
    """The (line, JSON path) of every problem ``from_geojson`` reports for ``source``."""
    with pytest.raises(GeoJSONError) as caught:
        CommunityIndex.from_geojson(source)
    return [(p.line, p.where) for p in caught.value.problems]


# -- the shipped geography ------------------------------------------------------------------


def test_chicago_has_77_communities(chicago: CommunityIndex) -> None:
    """The sample file holds the 77 community areas, numbered 1-77, none needing repair."""
    assert len(chicago) == 77
    assert sorted(chicago.ids, key=int) == [str(n) for n in range(1, 78)]
    assert chicago.get(LOOP).name == "LOOP"
    assert chicago.repairs == ()


def test_representative_points_locate_to_their_own_community(chicago: CommunityIndex) -> None:
    """Each community's representative point locates to that community (one vectorised call)."""
    points = [c.representative_point for c in chicago]
    found = chicago.locate([p.lat for p in points], [p.lon for p in points])
    assert found.tolist() == list(chicago.ids)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        pytest.param(0.0, 0.0, id="null-island"),
        pytest.param(43.0389, -87.9065, id="milwaukee"),
        pytest.param(41.88, -87.55, id="lake-michigan-east-of-the-loop"),
        pytest.param(41.90, -88.30, id="aurora-west-of-the-city"),
    ],
)
def test_points_outside_the_city_locate_to_none(
    chicago: CommunityIndex, lat: float, lon: float
) -> None:
    """A point outside every community locates to None."""
    assert chicago.locate([lat], [lon]).tolist() == [None]


def test_nan_locates_to_none(chicago: CommunityIndex) -> None:
    """NaN in either coordinate gives None without disturbing the other points."""
    loop = chicago.get(LOOP).representative_point
    found = chicago.locate([np.nan, loop.lat, loop.lat], [loop.lon, np.nan, loop.lon])
    assert found.tolist() == [None, None, LOOP]


def test_point_in_the_hole_of_norwood_park_is_in_no_community(chicago: CommunityIndex) -> None:
    """The hole in Norwood Park is filled by no community area, so a point there is None."""
    shell = chicago.get(NORWOOD_PARK).geometry
    assert isinstance(shell, MultiPolygon)
    (part,) = shell.geoms
    (interior,) = part.interiors
    hole = Polygon(interior)
    inside_hole = hole.representative_point()
    # The hole is land outside the City of Chicago (an enclave, not another community
    # area): no community's polygon covers the point or overlaps the hole at all.
    assert not any(c.geometry.covers(inside_hole) for c in chicago)
    assert all(c.geometry.intersection(hole).area == 0.0 for c in chicago)
    assert chicago.locate([inside_hole.y], [inside_hole.x]).tolist() == [None]
    assert chicago.locate_one(chicago.get(NORWOOD_PARK).representative_point) == NORWOOD_PARK


def test_every_part_of_ohare_locates_to_ohare(chicago: CommunityIndex) -> None:
    """O'Hare is a MultiPolygon of 3 parts and a point in any of them is O'Hare."""
    geometry = chicago.get(OHARE).geometry
    assert isinstance(geometry, MultiPolygon)
    assert len(geometry.geoms) == 3
    points = [part.representative_point() for part in geometry.geoms]
    found = chicago.locate([p.y for p in points], [p.x for p in points])
    assert found.tolist() == [OHARE] * 3


def test_loop_neighbours_are_the_near_sides(chicago: CommunityIndex) -> None:
    """The Loop touches the Near North, Near West and Near South Sides."""
    neighbours = chicago.neighbours(LOOP)
    assert {NEAR_NORTH_SIDE, NEAR_WEST_SIDE, NEAR_SOUTH_SIDE} <= neighbours
    assert {chicago.get(i).name for i in neighbours} >= {
        "NEAR NORTH SIDE",
        "NEAR WEST SIDE",
        "NEAR SOUTH SIDE",
    }


def test_adjacency_is_symmetric_and_irreflexive(chicago: CommunityIndex) -> None:
    """If A neighbours B then B neighbours A; no community neighbours itself; none is alone."""
    for community_id in chicago.ids:
        neighbours = chicago.neighbours(community_id)
        assert community_id not in neighbours
        assert neighbours, community_id
        for other in neighbours:
            assert community_id in chicago.neighbours(other)


def test_unknown_community_is_a_key_error_naming_it(chicago: CommunityIndex) -> None:
    """Asking for an unknown id raises KeyError with the id in the message."""
    with pytest.raises(KeyError, match="'999'"):
        chicago.neighbours("999")


def test_locate_rejects_arrays_of_different_shapes(chicago: CommunityIndex) -> None:
    """Latitudes and longitudes must pair up one to one."""
    with pytest.raises(ValueError, match="differ in shape"):
        chicago.locate([41.88, 41.89], [-87.63])


def test_locate_of_no_points_is_empty(chicago: CommunityIndex) -> None:
    """Zero points give an empty result, not an error."""
    assert chicago.locate([], []).tolist() == []


def test_locate_keeps_the_shape_of_its_input(chicago: CommunityIndex) -> None:
    """A 2-D grid of points gives a 2-D grid of ids, each as if located alone."""
    loop = chicago.get(LOOP).representative_point
    lats = np.array([[loop.lat, 0.0], [np.nan, loop.lat]])
    lons = np.array([[loop.lon, 0.0], [loop.lon, loop.lon]])
    found = chicago.locate(lats, lons)
    assert found.shape == (2, 2)
    assert found.tolist() == [[LOOP, None], [None, LOOP]]


def test_sample_points_fall_inside_and_repeat_with_the_seed(chicago: CommunityIndex) -> None:
    """Sampled points lie in their community and the same seed draws the same points."""
    lats, lons = chicago.sample_points(OHARE, 200, np.random.default_rng(0))
    again = chicago.sample_points(OHARE, 200, np.random.default_rng(0))
    assert lats.shape == lons.shape == (200,)
    assert set(chicago.locate(lats, lons).tolist()) == {OHARE}
    np.testing.assert_array_equal(lats, again[0])
    np.testing.assert_array_equal(lons, again[1])


# -- hand-made geographies ------------------------------------------------------------------


def test_polygon_with_a_hole() -> None:
    """A point in the hole is outside the community; a point in the ring is inside."""
    index = CommunityIndex.from_geojson(
        {
            "type": "FeatureCollection",
            "features": [feature("ring", polygon(square(0, 0, 0.03), square(0.01, 0.01, 0.01)))],
        }
    )
    assert locate_offsets(index, (0.005, 0.005), (0.015, 0.015), (0.05, 0.05)) == [
        "ring",
        None,
        None,
    ]


def test_community_inside_a_hole_of_another() -> None:
    """A community filling another's hole gets the points in the hole."""
    index = CommunityIndex.from_geojson(
        collection_text(
            feature("outer", polygon(square(0, 0, 0.03), square(0.01, 0.01, 0.01))),
            feature("inner", polygon(square(0.01, 0.01, 0.01))),
        )
    )
    assert locate_offsets(index, (0.005, 0.005), (0.015, 0.015)) == ["outer", "inner"]
    assert index.neighbours("outer") == {"inner"}


def test_bow_tie_is_repaired_and_reported() -> None:
    """A self-intersecting ring is repaired with make_valid, reported, and both lobes locate."""
    bow_tie = ring((0, 0), (0.02, 0.02), (0.02, 0), (0, 0.02))
    text = collection_text(
        feature("ok", polygon(square(0.1, 0.1, 0.01))), feature("bow", polygon(bow_tie))
    )
    index = CommunityIndex.from_geojson(text)
    (repair,) = index.repairs
    assert repair.community_id == "bow"
    assert repair.line == 5
    assert "Self-intersection" in repair.reason
    repaired = index.get("bow").geometry
    assert repaired.is_valid
    assert repaired.area == pytest.approx(2 * 0.5 * 0.02 * 0.01)
    # the lobes meet only at the crossing point (0.01, 0.01); one point in each lobe
    assert locate_offsets(index, (0.003, 0.01), (0.017, 0.01), (0.01, 0.003)) == [
        "bow",
        "bow",
        None,
    ]


def test_multipolygon_locates_in_every_part() -> None:
    """Both parts of a MultiPolygon belong to it; the gap between them does not."""
    parts = {"type": "MultiPolygon", "coordinates": [[square(0, 0, 0.01)], [square(0.02, 0, 0.01)]]}
    index = CommunityIndex.from_geojson(collection_text(feature("two", parts)))
    assert isinstance(index.get("two").geometry, MultiPolygon)
    assert locate_offsets(index, (0.005, 0.005), (0.025, 0.005), (0.015, 0.005)) == [
        "two",
        "two",
        None,
    ]


def test_point_on_a_shared_boundary_goes_to_the_first_community() -> None:
    """Two squares share an edge; a point on it goes to the one listed first."""
    text = collection_text(
        feature("west", polygon(square(0, 0, 0.01))),
        feature("east", polygon(square(0.01, 0, 0.01))),
    )
    index = CommunityIndex.from_geojson(text)
    assert locate_offsets(index, (0.01, 0.005)) == ["west"]
    assert index.neighbours("west") == {"east"}


def test_sources_path_string_text_and_mapping_agree(tmp_path: Path) -> None:
    """A Path, a path string, the JSON text and the parsed dict give the same communities."""
    document = {"type": "FeatureCollection", "features": [feature(7, polygon(square(0, 0, 0.01)))]}
    path = tmp_path / "communities.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    for source in (path, str(path), json.dumps(document), document):
        index = CommunityIndex.from_geojson(source)
        assert index.ids == ("7",)
        assert index.get("7").name == "Area 7"


def test_utf8_file_with_byte_order_mark_is_read(tmp_path: Path) -> None:
    """A file saved by a tool that writes a UTF-8 BOM still loads."""
    path = tmp_path / "communities.geojson"
    path.write_text(
        collection_text(feature("a", polygon(square(0, 0, 0.01)))), encoding="utf-8-sig"
    )
    assert CommunityIndex.from_geojson(path).ids == ("a",)
    assert CommunityIndex.from_geojson(path.read_text(encoding="utf-8")).ids == ("a",)


def test_to_geojson_round_trips(chicago: CommunityIndex) -> None:
    """Writing and reading back keeps ids, names, child populations and geometries."""
    communities = [
        Community(c.id, c.name.title(), c.geometry, child_population=100 * n)
        for n, c in enumerate(chicago)
    ]
    hand_made = CommunityIndex.from_geojson(
        collection_text(
            feature("holed", polygon(square(0, 0, 0.03), square(0.01, 0.01, 0.01))),
            feature("bow", polygon(ring((0, 0), (0.02, 0.02), (0.02, 0), (0, 0.02)))),
        )
    )
    original = CommunityIndex([*communities, *hand_made.communities])
    again = CommunityIndex.from_geojson(json.dumps(original.to_geojson()))
    assert again.ids == original.ids
    assert again.repairs == ()  # the repaired geometry was written out valid
    for before, after in zip(original, again, strict=True):
        assert after.name == before.name
        assert after.child_population == before.child_population
        assert after.geometry.geom_type == before.geometry.geom_type
        assert shapely.equals_exact(after.geometry, before.geometry, tolerance=0.0)


# -- GeoJSON errors -------------------------------------------------------------------------


def test_broken_json_reports_line_and_column() -> None:
    """Text that is not JSON is reported at the line and column where parsing stopped."""
    text = '{\n  "type": "FeatureCollection"\n  "features": []\n}\n'
    with pytest.raises(GeoJSONError) as caught:
        CommunityIndex.from_geojson(text)
    (problem,) = caught.value.problems
    assert (problem.line, problem.where) == (3, "column 3")
    assert "not valid JSON" in problem.message
    assert str(caught.value).startswith("line 3: column 3:")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param(
            '{"type": "Feature", "properties": {}, "geometry": null}', "type", id="feature"
        ),
        pytest.param("[]", "type", id="array"),
        pytest.param('{"type": "FeatureCollection"}', "features", id="no-features"),
        pytest.param('{"type": "FeatureCollection", "features": {}}', "features", id="not-array"),
        pytest.param('{"type": "FeatureCollection", "features": []}', "features", id="empty"),
    ],
)
def test_not_a_feature_collection(text: str, where: str) -> None:
    """Anything but a non-empty FeatureCollection is one problem on line 1 naming the key."""
    assert problems_of(text) == [(1, where)]


GOOD = polygon(square(0, 0, 0.01))


@pytest.mark.parametrize(
    ("bad", "where", "message"),
    [
        pytest.param(feature(None, GOOD), "properties.id", "missing id", id="no-id"),
        pytest.param(feature(" ", GOOD), "properties.id", "missing id", id="blank-id"),
        pytest.param(feature(True, GOOD), "properties.id", "string or integer", id="bool-id"),
        pytest.param(feature("x", GOOD, name=""), "properties.name", "missing name", id="no-name"),
        pytest.param(
            feature("x", {"type": "Point", "coordinates": [X0, Y0]}),
            "geometry.type",
            "got 'Point'",
            id="point",
        ),
        pytest.param(feature("x", None), "geometry", "missing geometry", id="no-geometry"),
        pytest.param(
            feature("x", polygon(ring((0, 0), (-100, 0), (0, 1)))),  # lon -187.7
            "geometry.coordinates",
            "out of range",
            id="lon-out-of-range",
        ),
        pytest.param(
            feature("x", {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}),
            "geometry.coordinates",
            "malformed",
            id="too-few-points",
        ),
        pytest.param(
            feature("x", GOOD, child_population=-3),
            "properties.child_population",
            "whole number >= 0",
            id="negative-population",
        ),
        pytest.param(
            feature("x", GOOD, child_population=2.5),
            "properties.child_population",
            "whole number >= 0",
            id="fractional-population",
        ),
        pytest.param({"type": "Feature"}, "properties", "expected an object", id="no-properties"),
        pytest.param(["not", "a", "feature"], "", "Feature", id="not-an-object"),
    ],
)
def test_bad_feature_names_its_line_and_path(bad: Any, where: str, message: str) -> None:
    """One bad feature after a good one is reported on its own line with its JSON path."""
    with pytest.raises(GeoJSONError) as caught:
        CommunityIndex.from_geojson(collection_text(feature("ok", GOOD), bad))
    (problem,) = caught.value.problems
    assert problem.line == 5
    assert problem.where == ("features[1]." + where).rstrip(".")
    assert message in problem.message


def test_every_problem_is_reported_at_once() -> None:
    """A file with many bad features lists all of them, each with its line and path."""
    text = collection_text(
        feature("1", GOOD),  # line 4
        feature(None, GOOD),  # line 5: no id
        feature("1", GOOD),  # line 6: duplicate of line 4
        feature("p", {"type": "Point", "coordinates": [X0, Y0]}),  # line 7
        feature("far", polygon(ring((0, 0), (0, 100), (1, 0)))),  # line 8: lat 141.8
        feature("neg", GOOD, child_population=-1),  # line 9
        feature(None, GOOD, name=None),  # line 10: two problems in one feature
    )
    with pytest.raises(GeoJSONError) as caught:
        CommunityIndex.from_geojson(text)
    problems = caught.value.problems
    assert [(p.line, p.where) for p in problems] == [
        (5, "features[1].properties.id"),
        (6, "features[2].properties.id"),
        (7, "features[3].geometry.type"),
        (8, "features[4].geometry.coordinates"),
        (9, "features[5].properties.child_population"),
        (10, "features[6].properties.id"),
        (10, "features[6].properties.name"),
    ]
    assert "duplicate id '1' (first on line 4)" in problems[1].message
    assert all(isinstance(p, GeoProblem) for p in problems)
    assert str(problems[0]) == "line 5: features[1].properties.id: missing id"


def test_lines_are_found_in_hand_formatted_files() -> None:
    """Feature lines are right when features span several lines and other keys come first."""
    text = (
        "{\n"
        '  "name": "test", "crs": {"type": "name"},\n'
        '  "type": "FeatureCollection",\n'
        '  "features": [\n'
        "    {\n"
        '      "type": "Feature",\n'
        f'      "properties": {json.dumps({"id": "a", "name": "A"})},\n'
        f'      "geometry": {json.dumps(GOOD)}\n'
        "    },\n"
        "\n"
        f"    {json.dumps(feature(None, GOOD))}\n"
        "  ]\n"
        "}\n"
    )
    assert problems_of(text) == [(11, "features[1].properties.id")]
