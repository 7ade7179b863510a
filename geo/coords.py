"""The one coordinate type of the project, with named adapters for shapely and geopy.

Coordinates are WGS84 decimal degrees. Shapely works in (x, y) = (lon, lat); geopy in
(lat, lon). Code outside ``geo`` never builds those tuples by hand: it calls the adapters.
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Point

__all__ = ["LatLon", "in_range"]


def in_range(lat: float, lon: float) -> bool:
    """True when ``lat`` is in [-90, 90] and ``lon`` in [-180, 180] (and both are finite)."""
    return -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


@dataclass(frozen=True, slots=True)
class LatLon:
    """A point on the Earth: latitude and longitude in decimal degrees (WGS84)."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not in_range(self.lat, self.lon):
            raise ValueError(
                f"coordinates out of range: latitude {self.lat} must be in [-90, 90], "
                f"longitude {self.lon} in [-180, 180]"
            )

    def as_shapely(self) -> Point:
        """The point for shapely: x = longitude, y = latitude."""
        return Point(self.lon, self.lat)

    def as_geopy(self) -> tuple[float, float]:
        """The point for geopy: (latitude, longitude)."""
        return (self.lat, self.lon)

    @classmethod
    def from_shapely(cls, point: Point) -> LatLon:
        """Read a shapely point (x = longitude, y = latitude)."""
        return cls(lat=float(point.y), lon=float(point.x))
