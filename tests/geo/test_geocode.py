"""Geocoding: the offline gazetteer, the opt-in geopy wrapper (with a fake, never the network)."""

from __future__ import annotations

import doctest
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from geopy import exc as geopy_exc
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.location import Location

import geo
import geo.geocode
from geo import (
    CommunityIndex,
    GazetteerGeocoder,
    Geocoder,
    GeocodingError,
    GeopyGeocoder,
    LatLon,
    PersonalAddressError,
    geocoder_from_settings,
    normalise_place_name,
)

CHICAGO = (
    Path(__file__).resolve().parents[2] / "data" / "sample" / "chicago_community_areas.geojson"
)
LOOP_POINT = LatLon(41.8781, -87.6298)
CHILD_ADDRESS = "1234 W Example St, Chicago"  # stands for an address from a child's record


@pytest.fixture(scope="module")
def chicago() -> CommunityIndex:
    """The 77 community areas of the shipped sample geography."""
    return CommunityIndex.from_geojson(CHICAGO, id_property="area_numbe", name_property="community")


@pytest.fixture(scope="module")
def gazetteer(chicago: CommunityIndex) -> GazetteerGeocoder:
    """The offline gazetteer of the Chicago community names."""
    return GazetteerGeocoder.from_communities(chicago)


class FakeGeopy:
    """Stands in for a geopy geocoder: answers from a table, records every call, can fail."""

    def __init__(
        self, answers: Mapping[str, Any] | None = None, errors: list[Exception] | None = None
    ) -> None:
        self.answers = dict(answers or {})
        self.errors = list(errors or [])
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.times: list[float] = []

    def geocode(self, query: str, **options: Any) -> Any:
        """Record the call, then raise the next queued error or answer from the table."""
        self.calls.append((query, options))
        self.times.append(time.perf_counter())
        if self.errors:
            raise self.errors.pop(0)
        return self.answers.get(query)


def loop_location() -> Location:
    """A geopy Location for the Loop, as Nominatim would return it."""
    return Location("Loop, Chicago", (LOOP_POINT.lat, LOOP_POINT.lon), {})


def fast(fake: FakeGeopy, **options: Any) -> GeopyGeocoder:
    """A GeopyGeocoder over ``fake`` with no waiting between requests or retries."""
    settings: dict[str, Any] = {"min_delay_seconds": 0.0, "error_wait_seconds": 0.0}
    settings.update(options)
    return GeopyGeocoder(fake, **settings)


# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("LAKE VIEW", "lake view"),
        ("  lake   view ", "lake view"),
        ("Lake View Community Area", "lake view"),
        ("Lake View, community area", "lake view"),
        ("Lakë Viéw", "lake view"),
        ("O'Hare", "ohare"),
        ("O’Hare", "ohare"),
        ("Belmont-Cragin", "belmont cragin"),
        ("Community Area", "community area"),
        ("60601", "60601"),
    ],
)
def test_normalise_place_name(spelling: str, key: str) -> None:
    """Case, accents, apostrophes, punctuation, spacing and the suffix are normalised away."""
    assert normalise_place_name(spelling) == key


def test_module_examples_hold() -> None:
    """The examples in the geocode module's docstrings are right."""
    results = doctest.testmod(geo.geocode)
    assert results.attempted >= 2
    assert results.failed == 0


def test_geocode_names_are_exported_from_geo() -> None:
    """The geocoding surface is part of the public ``geo`` package."""
    for name in geo.geocode.__all__:
        assert name in geo.__all__
        assert getattr(geo, name) is getattr(geo.geocode, name)
    assert geo.__all__ == sorted(geo.__all__)


# -- the offline gazetteer ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "community_id"),
    [
        ("Loop", "32"),
        ("LOOP", "32"),
        ("Loop Community Area", "32"),
        ("lake view", "6"),
        ("Lakë  Viéw", "6"),
        ("O'Hare", "76"),
        ("ohare", "76"),
        ("Near-North Side", "8"),
        ("  Norwood   Park  ", "10"),
    ],
)
def test_gazetteer_finds_communities_by_name(
    chicago: CommunityIndex, gazetteer: GazetteerGeocoder, query: str, community_id: str
) -> None:
    """A community's name in any case, accents or spacing gives a point inside it."""
    point = gazetteer.geocode(query)
    assert point == chicago.get(community_id).representative_point
    assert point is not None
    assert chicago.locate_one(point) == community_id


@pytest.mark.parametrize("query", ["Atlantis", "", "   ", "Lake", "Loop Street", "Chicago"])
def test_gazetteer_returns_none_for_unknown_places(
    gazetteer: GazetteerGeocoder, query: str
) -> None:
    """A name that is not in the gazetteer (exactly, after normalising) gives None."""
    assert gazetteer.geocode(query) is None


def test_gazetteer_is_a_geocoder_and_takes_personal_queries(gazetteer: GazetteerGeocoder) -> None:
    """The gazetteer meets the Geocoder interface; personal queries stay offline and work."""
    assert isinstance(gazetteer, Geocoder)
    assert gazetteer.geocode("Loop", personal=True) == gazetteer.geocode("Loop")
    assert len(gazetteer) == 77
    assert "near west side" in gazetteer
    assert 32 not in gazetteer


def test_gazetteer_learns_places_from_records(chicago: CommunityIndex) -> None:
    """Partner organisations added with their records' coordinates can be looked up."""
    church = LatLon(41.8540, -87.6660)
    gazetteer = GazetteerGeocoder.from_communities(chicago, {"Iglesia San José": church})
    gazetteer.add("Pilsen Community Center", LatLon(41.8570, -87.6590))
    assert gazetteer.geocode("IGLESIA SAN JOSE") == church
    assert gazetteer.geocode("pilsen community center") == LatLon(41.8570, -87.6590)
    assert gazetteer.places["Iglesia San José"] == church
    assert len(gazetteer) == 79


def test_gazetteer_refuses_conflicting_names_all_or_nothing() -> None:
    """Two points for one name is an error, and a batch with a conflict adds nothing."""
    gazetteer = GazetteerGeocoder({"Uptown": LatLon(41.97, -87.65)})
    gazetteer.add("UPTOWN", LatLon(41.97, -87.65))  # same place again: fine
    with pytest.raises(ValueError, match="conflicts with 'Uptown'"):
        gazetteer.add_all({"Hull House": LatLon(41.87, -87.65), "uptown": LatLon(0.0, 0.0)})
    assert "Hull House" not in gazetteer
    assert gazetteer.geocode("uptown") == LatLon(41.97, -87.65)
    gazetteer.add("uptown", LatLon(41.96, -87.66), replace=True)
    assert gazetteer.geocode("Uptown") == LatLon(41.96, -87.66)


def test_gazetteer_rejects_blank_names_and_bare_tuples() -> None:
    """A name without letters, or a point that is not a LatLon, is refused."""
    gazetteer = GazetteerGeocoder()
    with pytest.raises(ValueError, match="no letters or digits"):
        gazetteer.add(" - ", LOOP_POINT)
    with pytest.raises(TypeError, match="expected a LatLon"):
        gazetteer.add("Loop", (41.88, -87.63))  # type: ignore[arg-type]


def test_gazetteer_is_deterministic(chicago: CommunityIndex) -> None:
    """Two gazetteers built from the same communities answer identically."""
    first = GazetteerGeocoder.from_communities(chicago)
    second = GazetteerGeocoder.from_communities(chicago)
    assert dict(first.places) == dict(second.places)


# -- the geopy wrapper, driven by a fake ----------------------------------------------------


def test_geopy_geocoder_returns_latlon_or_none() -> None:
    """A Location becomes a LatLon; no answer becomes None."""
    geocoder = fast(FakeGeopy({"Loop": loop_location()}))
    assert isinstance(geocoder, Geocoder)
    assert geocoder.geocode("Loop") == LOOP_POINT
    assert geocoder.geocode("Nowhere") is None


def test_rate_limiter_is_wired_with_the_configured_delay() -> None:
    """Requests go through geopy's RateLimiter and are spaced by at least the min delay."""
    fake = FakeGeopy({"a": loop_location(), "b": loop_location()})
    geocoder = fast(fake, min_delay_seconds=0.02, error_wait_seconds=0.02)
    assert isinstance(geocoder.rate_limiter, RateLimiter)
    assert geocoder.rate_limiter.min_delay_seconds == 0.02
    geocoder.geocode("a")
    geocoder.geocode("b")
    assert len(fake.calls) == 2
    # a lower bound only: the limiter must have waited, however slow the machine is
    assert fake.times[1] - fake.times[0] >= 0.02 * 0.9


def test_cache_hit_does_not_ask_the_service_again() -> None:
    """The same query (up to case and spacing) is asked once, misses included."""
    fake = FakeGeopy({"Loop": loop_location()})
    geocoder = fast(fake)
    assert geocoder.geocode("Loop") == LOOP_POINT
    assert geocoder.geocode("  loop ") == LOOP_POINT
    assert geocoder.geocode("Nowhere") is None
    assert geocoder.geocode("NOWHERE") is None
    assert [query for query, _ in fake.calls] == ["Loop", "Nowhere"]
    geocoder.clear_cache()
    geocoder.geocode("Loop")
    assert len(fake.calls) == 3


def test_cache_keeps_the_most_recent_answers() -> None:
    """With room for one answer, the older one is asked again; size 0 turns caching off."""
    fake = FakeGeopy()
    one = fast(fake, cache_size=1)
    for query in ("a", "b", "b", "a"):
        one.geocode(query)
    assert [query for query, _ in fake.calls] == ["a", "b", "a"]
    uncached = FakeGeopy()
    none = fast(uncached, cache_size=0)
    none.geocode("a")
    none.geocode("a")
    assert len(uncached.calls) == 2


@pytest.mark.parametrize(
    "error",
    [
        geopy_exc.GeocoderTimedOut("timed out"),
        geopy_exc.GeocoderUnavailable("connection refused"),
        geopy_exc.GeocoderRateLimited("slow down", retry_after=1),
        geopy_exc.GeocoderQuotaExceeded("quota"),
        geopy_exc.GeocoderAuthenticationFailure("bad key"),
        geopy_exc.ConfigurationError("misconfigured"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_geopy_errors_become_geocoding_error(error: Exception) -> None:
    """Every geopy failure becomes a GeocodingError naming it, with the original as cause."""
    fake = FakeGeopy(errors=[error])
    geocoder = fast(fake, max_retries=0)
    with pytest.raises(GeocodingError, match=type(error).__name__) as caught:
        geocoder.geocode("Loop")
    assert caught.value.__cause__ is error
    assert not isinstance(caught.value, PersonalAddressError)


def test_failures_are_retried_and_not_cached() -> None:
    """A service error is retried; a final failure is not remembered as 'not found'."""
    fake = FakeGeopy({"Loop": loop_location()}, errors=[geopy_exc.GeocoderUnavailable("down")])
    assert fast(fake, max_retries=1).geocode("Loop") == LOOP_POINT
    assert len(fake.calls) == 2

    failing = FakeGeopy({"Loop": loop_location()}, errors=[geopy_exc.GeocoderTimedOut("slow")])
    geocoder = fast(failing, max_retries=0)
    with pytest.raises(GeocodingError):
        geocoder.geocode("Loop")
    assert geocoder.geocode("Loop") == LOOP_POINT


def test_retried_queries_are_not_written_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    """geopy logs the arguments of a retried call; the address itself stays out of the log."""
    fake = FakeGeopy(errors=[geopy_exc.GeocoderUnavailable("down")] * 2)
    geocoder = fast(fake, max_retries=1, allow_personal_addresses=True)
    with caplog.at_level(logging.DEBUG), pytest.raises(GeocodingError) as caught:
        geocoder.geocode(CHILD_ADDRESS, personal=True)
    assert caplog.records, "geopy should have logged the retry"
    assert "Example St" not in caplog.text
    assert "Example St" not in str(caught.value)


def test_unusable_answers_become_geocoding_error() -> None:
    """Coordinates out of range, or an answer without coordinates, is a GeocodingError."""
    fake = FakeGeopy(
        {"far": SimpleNamespace(latitude=95.0, longitude=0.0), "odd": SimpleNamespace()}
    )
    geocoder = fast(fake)
    with pytest.raises(GeocodingError, match="usable coordinates"):
        geocoder.geocode("far")
    with pytest.raises(GeocodingError, match="usable coordinates"):
        geocoder.geocode("odd")


def test_a_list_of_answers_gives_the_first() -> None:
    """A geocoder answering with several locations gives the first (none: None)."""
    geocoder = fast(FakeGeopy({"Loop": [loop_location(), None], "none": []}))
    assert geocoder.geocode("Loop") == LOOP_POINT
    assert geocoder.geocode("none") is None


def test_blank_query_sends_nothing() -> None:
    """A blank query is None without a request."""
    fake = FakeGeopy()
    assert fast(fake).geocode("   ") is None
    assert fake.calls == []


def test_query_options_are_passed_to_every_request() -> None:
    """Options such as a viewbox reach the wrapped geocoder's geocode call."""
    fake = FakeGeopy()
    fast(fake, query_options={"country_codes": "us"}).geocode("Loop")
    assert fake.calls == [("Loop", {"country_codes": "us"})]


def test_personal_queries_are_refused_by_default() -> None:
    """An address from a person's record is refused, and nothing reaches the service."""
    fake = FakeGeopy({CHILD_ADDRESS: loop_location()})
    geocoder = fast(fake)
    with pytest.raises(PersonalAddressError, match="allow_personal_addresses") as caught:
        geocoder.geocode(CHILD_ADDRESS, personal=True)
    assert isinstance(caught.value, GeocodingError)
    assert "Example St" not in str(caught.value)
    assert fake.calls == []


def test_personal_queries_pass_when_the_operator_allows_them() -> None:
    """With allow_personal_addresses=True a personal query is geocoded as any other."""
    fake = FakeGeopy({CHILD_ADDRESS: loop_location()})
    geocoder = fast(fake, allow_personal_addresses=True)
    assert geocoder.geocode(CHILD_ADDRESS, personal=True) == LOOP_POINT
    assert len(fake.calls) == 1


@pytest.mark.parametrize(
    ("geocoder", "options", "error", "match"),
    [
        (object(), {}, TypeError, "geocode method"),
        (FakeGeopy(), {"min_delay_seconds": -1.0}, ValueError, "min_delay_seconds"),
        (FakeGeopy(), {"max_retries": -1}, ValueError, "max_retries"),
        (
            FakeGeopy(),
            {"min_delay_seconds": 2.0, "error_wait_seconds": 1.0},
            ValueError,
            "error_wait_seconds",
        ),
        (FakeGeopy(), {"cache_size": -1}, ValueError, "cache_size"),
    ],
)
def test_geopy_geocoder_rejects_bad_settings(
    geocoder: Any, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    """Settings that make no sense are refused when the geocoder is built."""
    with pytest.raises(error, match=match):
        GeopyGeocoder(geocoder, **options)


# -- choosing a geocoder from settings ------------------------------------------------------


def test_settings_default_to_the_offline_gazetteer(chicago: CommunityIndex) -> None:
    """Without settings the geocoder is the offline gazetteer of the communities."""
    for geocoder in (
        geocoder_from_settings(index=chicago),
        geocoder_from_settings(" Offline ", index=chicago, domain="ignored.example"),
    ):
        assert isinstance(geocoder, GazetteerGeocoder)
        assert geocoder.geocode("Loop") == chicago.get("32").representative_point


def test_settings_build_nominatim_on_the_agency_domain(chicago: CommunityIndex) -> None:
    """kind='nominatim' wraps geopy's Nominatim on the given domain (nothing is sent)."""
    geocoder = geocoder_from_settings(
        "nominatim",
        index=chicago,
        domain="http://nominatim.agency.test:8080/",
        user_agent="fostermatch-test",
        min_delay_seconds=0.5,
    )
    assert isinstance(geocoder, GeopyGeocoder)
    assert isinstance(geocoder.geocoder, Nominatim)
    assert geocoder.geocoder.domain == "nominatim.agency.test:8080"
    assert geocoder.geocoder.scheme == "http"
    assert geocoder.geocoder.headers["User-Agent"] == "fostermatch-test"
    assert geocoder.rate_limiter.min_delay_seconds == 0.5
    assert not geocoder.allow_personal_addresses
    # refused before any request is built, so this does not touch the network
    with pytest.raises(PersonalAddressError):
        geocoder.geocode(CHILD_ADDRESS, personal=True)


def test_settings_can_allow_personal_addresses(chicago: CommunityIndex) -> None:
    """The operator's explicit switch reaches the geocoder."""
    geocoder = geocoder_from_settings(
        "nominatim", index=chicago, domain="nominatim.agency.test", allow_personal_addresses=True
    )
    assert isinstance(geocoder, GeopyGeocoder)
    assert geocoder.allow_personal_addresses
    assert geocoder.geocoder.scheme == "https"


@pytest.mark.parametrize(
    ("kind", "domain", "user_agent", "match"),
    [
        ("google", None, "fostermatch", "unknown geocoder kind 'google'"),
        ("", None, "fostermatch", "unknown geocoder kind"),
        ("nominatim", None, "fostermatch", "needs the domain"),
        ("nominatim", "  ", "fostermatch", "needs the domain"),
        ("nominatim", "nominatim.agency.test", " ", "user_agent"),
        ("nominatim", "ftp://nominatim.agency.test", "fostermatch", "http"),
    ],
)
def test_settings_reject_bad_values(
    chicago: CommunityIndex, kind: str, domain: str | None, user_agent: str, match: str
) -> None:
    """An unknown kind, a Nominatim without a domain, or a blank user agent is a ValueError."""
    with pytest.raises(ValueError, match=match):
        geocoder_from_settings(kind, index=chicago, domain=domain, user_agent=user_agent)
