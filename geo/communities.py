"""Communities: polygons read from GeoJSON, a spatial index, point location and adjacency.

A community is a named area (in the sample county, one of Chicago's 77 community areas).
Geometries are shapely Polygons or MultiPolygons in (lon, lat) order, as GeoJSON has them.
Invalid rings are repaired with ``shapely.make_valid`` and every repair is reported in
``CommunityIndex.repairs``; a feature that cannot be used is an error naming its line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.strtree import STRtree
from shapely.validation import explain_validity

from geo.coords import LatLon

__all__ = [
    "Community",
    "CommunityIndex",
    "GeoJSONError",
    "GeoProblem",
    "GeometryRepair",
    "read_features",
]

# Two communities are neighbours when their boundaries come within this many degrees
# (about 10 m): real boundary files have slivers and gaps that a strict "touches" misses.
_NEIGHBOUR_TOLERANCE_DEG = 1e-4


@dataclass(frozen=True, slots=True)
class GeoProblem:
    """One thing wrong in a GeoJSON document: where (line, JSON path) and what."""

    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.where}: {self.message}"


class GeoJSONError(ValueError):
    """A GeoJSON document that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Sequence[GeoProblem]):
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class GeometryRepair:
    """A community whose geometry was invalid and was repaired with ``make_valid``."""

    community_id: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"community {self.community_id} (line {self.line}): repaired: {self.reason}"


@dataclass(frozen=True, slots=True, eq=False)
class Community:
    """A named area with its polygon (lon, lat) and, when known, its child population 0-17."""

    id: str
    name: str
    geometry: Polygon | MultiPolygon
    child_population: int | None = None

    @property
    def representative_point(self) -> LatLon:
        """A point guaranteed to lie inside the community (not always the centroid)."""
        return LatLon.from_shapely(self.geometry.representative_point())

    @property
    def centroid(self) -> LatLon:
        """The centroid of the polygon (may fall outside a concave community)."""
        return LatLon.from_shapely(self.geometry.centroid)


def _looks_like_json(source: str) -> bool:
    """True when a string is GeoJSON text rather than a path.

    Any JSON document (also a broken one, or one that is not an object) starts with ``{`` or
    ``[``, no path normally does; a blank string is taken as text so that it is reported as
    "not valid JSON" rather than as a missing file.
    """
    start = source.lstrip("\ufeff \t\r\n")
    return not start or start[0] in "{["


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def read_features(text: str) -> list[tuple[int, Any]]:
    """Parse a GeoJSON FeatureCollection, returning ``(line, feature)`` for every feature.

    The line is where the feature starts in ``text``, so that errors can name it.

    Raises
    ------
    GeoJSONError
        The text is not JSON (the problem names the line and column), or not a
        FeatureCollection with a ``features`` array.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoJSONError(
            [GeoProblem(exc.lineno, f"column {exc.colno}", f"not valid JSON: {exc.msg}")]
        ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise GeoJSONError([GeoProblem(1, "type", 'expected a GeoJSON "FeatureCollection"')])
    features = document.get("features")
    if not isinstance(features, list):
        raise GeoJSONError([GeoProblem(1, "features", "expected an array of features")])
    return list(zip(_feature_lines(text, len(features)), features, strict=True))


def _feature_lines(text: str, count: int) -> list[int]:
    """Lines where the elements of the top-level ``features`` array start.

    The document is already known to be valid JSON; this walks its top-level object with
    ``raw_decode`` so that each feature's offset is known without a second parser.
    """
    decoder = json.JSONDecoder()
    i = _skip_ws(text, 0) + 1  # past "{"
    while True:
        i = _skip_ws(text, i)
        if text[i] == ",":
            i = _skip_ws(text, i + 1)
        key, i = decoder.raw_decode(text, i)
        i = _skip_ws(text, i) + 1  # past ":"
        i = _skip_ws(text, i)
        if key != "features":
            _, i = decoder.raw_decode(text, i)
            continue
        lines = []
        i += 1  # past "["
        for _ in range(count):
            i = _skip_ws(text, i)
            if text[i] == ",":
                i = _skip_ws(text, i + 1)
            lines.append(_line_of(text, i))
            _, i = decoder.raw_decode(text, i)
        return lines


class CommunityIndex:
    """The communities of an agency with an STRtree over their polygons.

    Build it with :meth:`from_geojson` (or from ``Community`` values). Lookups are by index
    into ``communities``; ``locate`` returns ids.
    """

    def __init__(
        self, communities: Sequence[Community], repairs: Sequence[GeometryRepair] = ()
    ) -> None:
        ids = [c.id for c in communities]
        if len(set(ids)) != len(ids):
            raise ValueError("community ids must be unique")
        self.communities: tuple[Community, ...] = tuple(communities)
        self.repairs: tuple[GeometryRepair, ...] = tuple(repairs)
        self.ids: tuple[str, ...] = tuple(ids)
        self._by_id = {c.id: c for c in self.communities}
        self._ids_array = np.array((*self.ids, None), dtype=object)  # last slot: outside
        self._geometries = [c.geometry for c in self.communities]
        for geometry in self._geometries:
            shapely.prepare(geometry)
        self._tree = STRtree(self._geometries)
        self._neighbours = self._build_adjacency()

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_geojson(
        cls,
        source: str | Path | Mapping[str, Any],
        *,
        id_property: str = "id",
        name_property: str = "name",
        population_property: str = "child_population",
    ) -> CommunityIndex:
        """Read communities from a GeoJSON FeatureCollection.

        ``source`` is a ``Path``, a path string, the JSON text (a string starting with
        ``{`` or ``[``) or the parsed dict. Files are UTF-8, with or without a BOM.

        Every feature needs an id and a name (property names configurable: the raw Chicago
        file uses ``area_numbe`` and ``community``) and a Polygon or MultiPolygon geometry.
        Ids are kept as strings. Invalid geometries are repaired and reported.

        Raises
        ------
        GeoJSONError
            With every problem found (line and JSON path of each).
        """
        if isinstance(source, Mapping):
            text = json.dumps(source)
        elif isinstance(source, Path) or not _looks_like_json(source):
            # utf-8-sig: files saved by spreadsheet and GIS tools on Windows often start
            # with a byte order mark, which json.loads refuses
            text = Path(source).read_text(encoding="utf-8-sig")
        else:
            text = source.removeprefix("\ufeff")
        problems: list[GeoProblem] = []
        communities: list[Community] = []
        repairs: list[GeometryRepair] = []
        seen: dict[str, int] = {}
        for n, (line, feature) in enumerate(read_features(text)):
            where = f"features[{n}]"
            community, feature_problems, repair = _community_from_feature(
                feature, line, where, id_property, name_property, population_property
            )
            problems.extend(feature_problems)
            if community is None:
                continue
            if community.id in seen:
                problems.append(
                    GeoProblem(
                        line,
                        f"{where}.properties.{id_property}",
                        f"duplicate id {community.id!r} (first on line {seen[community.id]})",
                    )
                )
                continue
            seen[community.id] = line
            communities.append(community)
            if repair is not None:
                repairs.append(repair)
        if problems:
            raise GeoJSONError(problems)
        if not communities:
            raise GeoJSONError([GeoProblem(1, "features", "no communities in the collection")])
        return cls(communities, repairs)

    def to_geojson(self) -> dict[str, Any]:
        """The communities as a FeatureCollection with properties id, name, child_population."""
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {
                        "id": c.id,
                        "name": c.name,
                        "child_population": c.child_population,
                    },
                    "geometry": mapping(c.geometry),
                }
                for c in self.communities
            ],
        }

    # -- lookups --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.communities)

    def __iter__(self) -> Iterator[Community]:
        return iter(self.communities)

    def __contains__(self, community_id: object) -> bool:
        return community_id in self._by_id

    def get(self, community_id: str) -> Community:
        """The community with this id (``KeyError`` naming it when unknown)."""
        try:
            return self._by_id[community_id]
        except KeyError:
            raise KeyError(f"unknown community {community_id!r}") from None

    def locate(self, lats: ArrayLike, lons: ArrayLike) -> NDArray[np.object_]:
        """The id of the community containing each point, or None outside every community.

        Parameters
        ----------
        lats, lons
            Latitudes and longitudes in degrees, arrays of the same shape (scalars count as
            one point). NaN gives None.

        Returns
        -------
        numpy.ndarray
            Object array of ids (str) or None, one per point, in the shape of the input
            (at least 1-D). A point on a shared boundary goes to the community listed first.
        """
        lat_in = np.atleast_1d(np.asarray(lats, dtype=np.float64))
        lon_in = np.atleast_1d(np.asarray(lons, dtype=np.float64))
        if lat_in.shape != lon_in.shape:
            raise ValueError(f"lats and lons differ in shape: {lat_in.shape} and {lon_in.shape}")
        # work on flat views: the indices below are positions in the flattened input
        lat, lon = lat_in.ravel(), lon_in.ravel()
        found = np.full(lat.shape, len(self.ids), dtype=np.intp)
        finite = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
        # bounding-box candidates from the tree, then an exact test per community against
        # its prepared polygon; communities are visited in order and a point keeps the
        # first that contains it, so a point on a shared boundary goes to the lowest index
        point_idx, tree_idx = self._tree.query(shapely.points(lon[finite], lat[finite]))
        for k in np.unique(tree_idx):
            candidates = finite[point_idx[tree_idx == k]]
            candidates = candidates[found[candidates] == len(self.ids)]
            hit = shapely.intersects_xy(self._geometries[k], lon[candidates], lat[candidates])
            found[candidates[hit]] = k
        return self._ids_array[found].reshape(lat_in.shape)

    def locate_one(self, point: LatLon) -> str | None:
        """The id of the community containing one point, or None."""
        found: str | None = self.locate([point.lat], [point.lon])[0]
        return found

    def neighbours(self, community_id: str) -> frozenset[str]:
        """Ids of the communities that touch this one (not including itself)."""
        self.get(community_id)
        return self._neighbours[community_id]

    def sample_points(
        self, community_id: str, n: int, rng: np.random.Generator
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``n`` points drawn uniformly inside a community: ``(lats, lons)`` in degrees.

        Rejection sampling over the bounding box, vectorised; deterministic for the same
        ``rng`` state.
        """
        geometry = self.get(community_id).geometry
        minx, miny, maxx, maxy = geometry.bounds
        lats = np.empty(0)
        lons = np.empty(0)
        while len(lats) < n:
            want = max(16, 2 * (n - len(lats)))
            xs = rng.uniform(minx, maxx, want)
            ys = rng.uniform(miny, maxy, want)
            inside = shapely.contains_xy(geometry, xs, ys)
            lons = np.concatenate([lons, xs[inside]])
            lats = np.concatenate([lats, ys[inside]])
        return lats[:n], lons[:n]

    # -- internals ------------------------------------------------------------------------

    def _build_adjacency(self) -> dict[str, frozenset[str]]:
        geometries = [c.geometry for c in self.communities]
        left, right = self._tree.query(
            geometries, predicate="dwithin", distance=_NEIGHBOUR_TOLERANCE_DEG
        )
        neighbours: dict[str, set[str]] = {c.id: set() for c in self.communities}
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i != j:
                neighbours[self.ids[i]].add(self.ids[j])
                neighbours[self.ids[j]].add(self.ids[i])
        return {k: frozenset(v) for k, v in neighbours.items()}


def _community_from_feature(
    feature: Any,
    line: int,
    where: str,
    id_property: str,
    name_property: str,
    population_property: str,
) -> tuple[Community | None, list[GeoProblem], GeometryRepair | None]:
    problems: list[GeoProblem] = []
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [GeoProblem(line, where, 'expected an object with "type": "Feature"')], None
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        return None, [GeoProblem(line, f"{where}.properties", "expected an object")], None

    raw_id = properties.get(id_property)
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        problems.append(GeoProblem(line, f"{where}.properties.{id_property}", "missing id"))
    elif isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        problems.append(
            GeoProblem(line, f"{where}.properties.{id_property}", "id must be a string or integer")
        )
    name = properties.get(name_property)
    if not isinstance(name, str) or not name.strip():
        problems.append(GeoProblem(line, f"{where}.properties.{name_property}", "missing name"))

    population = properties.get(population_property)
    if population is not None and (
        isinstance(population, bool) or not isinstance(population, int) or population < 0
    ):
        problems.append(
            GeoProblem(
                line,
                f"{where}.properties.{population_property}",
                f"expected a whole number >= 0, got {population!r}",
            )
        )

    geometry, geometry_problem = _polygonal(feature.get("geometry"))
    if geometry_problem:
        member, message = geometry_problem
        problems.append(GeoProblem(line, f"{where}.geometry{member}", message))
    if problems or geometry is None:
        return None, problems, None

    community_id = str(raw_id).strip()
    repair = None
    if not geometry.is_valid:
        reason = explain_validity(geometry)
        repaired = _polygonal_part(shapely.make_valid(geometry))
        if repaired is None or repaired.is_empty:
            return (
                None,
                [GeoProblem(line, f"{where}.geometry", f"invalid and not repairable: {reason}")],
                None,
            )
        geometry = repaired
        repair = GeometryRepair(community_id, line, reason)
    assert isinstance(name, str)
    community = Community(
        id=community_id,
        name=name.strip(),
        geometry=geometry,
        child_population=population,
    )
    return community, [], repair


def _polygonal(
    raw: Any,
) -> tuple[Polygon | MultiPolygon | None, tuple[str, str] | None]:
    """The geometry, or the problem as (JSON path below ``geometry``, message)."""
    if not isinstance(raw, dict):
        return None, ("", "missing geometry")
    kind = raw.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        return None, (".type", f"expected a Polygon or MultiPolygon, got {kind!r}")
    try:
        geometry = shape(raw)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        return None, (".coordinates", f"malformed coordinates: {exc}")
    if geometry.is_empty:
        return None, (".coordinates", "empty geometry")
    bad = _out_of_range(geometry)
    if bad:
        return None, (".coordinates", bad)
    return geometry, None


def _out_of_range(geometry: Polygon | MultiPolygon) -> str | None:
    coords = shapely.get_coordinates(geometry)
    if not np.isfinite(coords).all():
        return "coordinates must be finite numbers"
    lon, lat = coords[:, 0], coords[:, 1]
    if (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
        return "coordinates out of range (longitude, latitude) in degrees"
    return None


def _polygonal_part(geometry: Any) -> Polygon | MultiPolygon | None:
    """The polygons in a ``make_valid`` result, which may mix in lines and points."""
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    polygons: list[Polygon] = []
    for part in getattr(geometry, "geoms", []):
        if isinstance(part, Polygon):
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(part.geoms)
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
