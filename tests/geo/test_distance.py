"""Distances: vectorised haversine against geopy's geodesic, broadcasting, metric properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from geo import LatLon, geodesic_km, haversine_km
from geo.distance import EARTH_RADIUS_KM

LOOP = LatLon(41.8781, -87.6298)
OHARE = LatLon(41.9742, -87.9073)
# the textbook haversine example: Nashville International (BNA) to Los Angeles (LAX)
BNA = LatLon(36.12, -86.67)
LAX = LatLon(33.94, -118.40)

latitudes = st.floats(min_value=-90.0, max_value=90.0, allow_nan=False)
longitudes = st.floats(min_value=-180.0, max_value=180.0, allow_nan=False)
points = st.builds(LatLon, lat=latitudes, lon=longitudes)
chicago_points = st.builds(
    LatLon,
    lat=st.floats(min_value=41.64, max_value=42.03),
    lon=st.floats(min_value=-87.94, max_value=-87.52),
)

# rounding near antipodal points costs up to ~0.2 m (arcsin is steep near 1); 1 m is ample
TOLERANCE_KM = 1e-3


def hav(a: LatLon, b: LatLon) -> float:
    """Haversine distance between two points, in km, as a float."""
    return float(haversine_km(a.lat, a.lon, b.lat, b.lon))


@pytest.mark.parametrize(
    ("a", "b", "expected_km"),
    [
        pytest.param(LOOP, OHARE, 25.3, id="loop-to-ohare"),
        pytest.param(BNA, LAX, 2886.4, id="bna-to-lax"),
    ],
)
def test_haversine_of_known_pairs_matches_geodesic(
    a: LatLon, b: LatLon, expected_km: float
) -> None:
    """Haversine gives the known distance and agrees with geopy's geodesic within 0.5%."""
    assert hav(a, b) == pytest.approx(expected_km, abs=0.1)
    assert hav(a, b) == pytest.approx(geodesic_km(a, b), rel=0.005)


def test_geodesic_is_symmetric_and_in_km() -> None:
    """geodesic_km returns a float in km, the same both ways."""
    distance = geodesic_km(LOOP, OHARE)
    assert isinstance(distance, float)
    assert distance == pytest.approx(25.37, abs=0.01)
    assert geodesic_km(OHARE, LOOP) == pytest.approx(distance)


def test_scalars_give_a_zero_dimensional_array() -> None:
    """Scalar inputs give a 0-d array of float64."""
    distance = haversine_km(LOOP.lat, LOOP.lon, OHARE.lat, OHARE.lon)
    assert distance.shape == ()
    assert distance.dtype == np.float64


def test_one_point_against_an_array_broadcasts() -> None:
    """One child against many homes: one distance per home, each as computed alone."""
    homes = [OHARE, BNA, LAX, LOOP]
    lats = np.array([h.lat for h in homes])
    lons = np.array([h.lon for h in homes])
    distances = haversine_km(LOOP.lat, LOOP.lon, lats, lons)
    assert distances.shape == (4,)
    np.testing.assert_allclose(distances, [hav(LOOP, h) for h in homes])
    assert distances[-1] == 0.0


def test_column_against_row_gives_a_distance_matrix() -> None:
    """Arrays of shape (n, 1) and (m,) broadcast to an (n, m) matrix of distances."""
    origins = [LOOP, BNA, LAX]
    targets = [OHARE, LAX]
    matrix = haversine_km(
        np.array([[p.lat] for p in origins]),
        np.array([[p.lon] for p in origins]),
        np.array([p.lat for p in targets]),
        np.array([p.lon for p in targets]),
    )
    assert matrix.shape == (3, 2)
    expected = [[hav(a, b) for b in targets] for a in origins]
    np.testing.assert_allclose(matrix, expected)


def test_longitude_wraps_across_the_antimeridian() -> None:
    """Points either side of 180 degrees are close, not half the world apart."""
    assert hav(LatLon(0.0, 179.5), LatLon(0.0, -179.5)) == pytest.approx(111.2, abs=0.1)


@given(points, points)
def test_haversine_is_symmetric(a: LatLon, b: LatLon) -> None:
    """d(a, b) = d(b, a)."""
    assert hav(a, b) == pytest.approx(hav(b, a), abs=TOLERANCE_KM)


@given(points)
def test_distance_to_itself_is_zero(a: LatLon) -> None:
    """d(a, a) = 0 exactly."""
    assert hav(a, a) == 0.0


@given(points, points)
def test_haversine_is_non_negative_and_at_most_half_the_circumference(a: LatLon, b: LatLon) -> None:
    """0 <= d(a, b) <= pi * R."""
    assert 0.0 <= hav(a, b) <= np.pi * EARTH_RADIUS_KM + TOLERANCE_KM


@given(points, points, points)
def test_triangle_inequality(a: LatLon, b: LatLon, c: LatLon) -> None:
    """d(a, c) <= d(a, b) + d(b, c), up to rounding."""
    assert hav(a, c) <= hav(a, b) + hav(b, c) + TOLERANCE_KM


@given(chicago_points, chicago_points)
def test_haversine_within_half_a_percent_of_geodesic_in_the_city(a: LatLon, b: LatLon) -> None:
    """Across the sample city the sphere is within 0.5% of the WGS84 ellipsoid."""
    reference = geodesic_km(a, b)
    assume(reference > 0.01)
    assert hav(a, b) == pytest.approx(reference, rel=0.005)
