"""Geometry and places: communities, point location, neighbours, distances, geocoding."""

from geo.communities import (
    Community,
    CommunityIndex,
    GeoJSONError,
    GeometryRepair,
    GeoProblem,
    read_features,
)
from geo.coords import LatLon, in_range
from geo.distance import geodesic_km, haversine_km
from geo.geocode import (
    GazetteerGeocoder,
    Geocoder,
    GeocodingError,
    GeopyGeocoder,
    PersonalAddressError,
    geocoder_from_settings,
    normalise_place_name,
)

__all__ = [
    "Community",
    "CommunityIndex",
    "GazetteerGeocoder",
    "GeoJSONError",
    "GeoProblem",
    "Geocoder",
    "GeocodingError",
    "GeometryRepair",
    "GeopyGeocoder",
    "LatLon",
    "PersonalAddressError",
    "geocoder_from_settings",
    "geodesic_km",
    "haversine_km",
    "in_range",
    "normalise_place_name",
    "read_features",
]
