"""Geocoding: from a place name or an address to a :class:`~geo.coords.LatLon`.

Two implementations share the :class:`Geocoder` interface:

- :class:`GazetteerGeocoder`, the **offline default**: exact (but forgiving) lookup of named
  places (communities, partner organisations, ZIP centroids) in memory. It never touches the
  network and always gives the same answer for the same gazetteer.
- :class:`GeopyGeocoder`, **opt-in**: any geopy geocoder (for example Nominatim on the
  agency's own server), rate-limited with geopy's ``RateLimiter`` and cached in memory.

Privacy rule (docs/operating.md): no child address is sent to an outside service unless an
operator turns it on. Callers geocoding an address taken from a person's record pass
``personal=True``; :class:`GeopyGeocoder` refuses such a query with
:class:`PersonalAddressError` unless it was built with ``allow_personal_addresses=True``.
The gazetteer accepts ``personal=True`` freely, since nothing leaves the process.
:func:`geocoder_from_settings` returns the gazetteer unless the operator explicitly asks
for a network geocoder.

Exceptions::

    GeocodingError          the geocoding service failed or answered something unusable
    └── PersonalAddressError  a personal address was refused before anything was sent
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable
from urllib.parse import urlsplit

import shapely
from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim

from geo.coords import LatLon

if TYPE_CHECKING:
    from geo.communities import CommunityIndex

__all__ = [
    "GazetteerGeocoder",
    "Geocoder",
    "GeocodingError",
    "GeopyGeocoder",
    "PersonalAddressError",
    "geocoder_from_settings",
    "normalise_place_name",
]

GEOCODER_KINDS: Final = ("offline", "nominatim")

# Apostrophes are dropped without a space so that "O'Hare" and "OHARE" meet; every other
# punctuation mark separates words ("Belmont-Cragin" = "Belmont Cragin").
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘ʼ`´"))
_NOT_WORD = re.compile(r"[\W_]+")
_SUFFIX = ("community", "area")


class GeocodingError(Exception):
    """A geocoding service failed (network, quota, refusal) or answered something unusable.

    The geopy exception that caused it, if any, is the ``__cause__``.
    """


class PersonalAddressError(GeocodingError):
    """A query marked ``personal=True`` was refused before anything was sent.

    Addresses from people's records (children, families) stay inside the agency unless the
    operator built the geocoder with ``allow_personal_addresses=True``.
    """


@runtime_checkable
class Geocoder(Protocol):
    """Anything that turns a place name or address into a point.

    ``personal`` says the query comes from a person's record (a child's or a family's
    address). It is part of the interface so that code holding any ``Geocoder`` can say so;
    an implementation that sends queries out of the process must refuse personal queries
    unless an operator allowed them.
    """

    def geocode(self, query: str, *, personal: bool = False) -> LatLon | None:
        """The point for ``query``, or None when the place is not known."""
        ...


def normalise_place_name(name: str) -> str:
    """The lookup key of a place name: what two spellings of one place have in common.

    Accents and case are dropped, apostrophes removed, other punctuation and runs of white
    space become one space, and a trailing "community area" is cut off, so that
    ``"O'Hare Community Area"``, ``"OHARE"`` and ``" ohare "`` give the same key.

    Examples
    --------
    >>> normalise_place_name("  Lake   View, community area")
    'lake view'
    >>> normalise_place_name("Pilsén-East")
    'pilsen east'
    """
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NOT_WORD.sub(" ", bare.casefold().translate(_APOSTROPHES)).split()
    if len(words) > len(_SUFFIX) and tuple(words[-len(_SUFFIX) :]) == _SUFFIX:
        words = words[: -len(_SUFFIX)]
    return " ".join(words)


class GazetteerGeocoder:
    """Offline geocoder: a table of named places, looked up by normalised name.

    Lookup is exact after :func:`normalise_place_name` (case, accents, punctuation, extra
    spaces and a "community area" suffix do not matter); there is no fuzzy matching, so an
    answer is either the place that was named or None. Never touches the network.

    Parameters
    ----------
    places
        Place name -> point. Two names that normalise to the same key must name the same
        point (``ValueError`` otherwise).
    """

    def __init__(self, places: Mapping[str, LatLon] | None = None) -> None:
        # normalised key -> (name as first given, point); insertion order is kept, so
        # ``places`` lists entries in the order they were added
        self._entries: dict[str, tuple[str, LatLon]] = {}
        if places:
            self.add_all(places)

    @classmethod
    def from_communities(
        cls, index: CommunityIndex, places: Mapping[str, LatLon] | None = None
    ) -> GazetteerGeocoder:
        """A gazetteer of every community's name -> its representative point, plus ``places``.

        The representative point is guaranteed to lie inside the community (a centroid may
        not), so geocoding a community's name and locating the point gives that community back.
        """
        gazetteer = cls({c.name: c.representative_point for c in index})
        if places:
            gazetteer.add_all(places)
        return gazetteer

    def add(self, name: str, point: LatLon, *, replace: bool = False) -> None:
        """Add one place, e.g. a partner organisation at the coordinates in its record.

        Raises
        ------
        ValueError
            The name is blank, or it normalises to a place already known at another point
            and ``replace`` is False.
        TypeError
            ``point`` is not a :class:`LatLon` (a bare tuple would hide its axis order).
        """
        self.add_all([(name, point)], replace=replace)

    def add_all(
        self,
        places: Mapping[str, LatLon] | Iterable[tuple[str, LatLon]],
        *,
        replace: bool = False,
    ) -> None:
        """Add several places at once: all of them, or (on any error) none of them.

        Takes a mapping ``name -> LatLon`` or ``(name, LatLon)`` pairs; errors as :meth:`add`.
        """
        pairs = list(places.items()) if isinstance(places, Mapping) else list(places)
        staged: dict[str, tuple[str, LatLon]] = {}
        for name, point in pairs:
            if not isinstance(point, LatLon):
                raise TypeError(f"place {name!r}: expected a LatLon, got {type(point).__name__}")
            key = normalise_place_name(name)
            if not key:
                raise ValueError(f"place name {name!r} has no letters or digits")
            known = staged.get(key) or (None if replace else self._entries.get(key))
            if known is not None and known[1] != point:
                raise ValueError(
                    f"place {name!r} at {point} conflicts with {known[0]!r} at {known[1]}: "
                    "both are looked up as the same name (pass replace=True to overwrite)"
                )
            if key not in staged:
                staged[key] = known if known is not None else (name, point)
        self._entries.update(staged)

    @property
    def places(self) -> Mapping[str, LatLon]:
        """A read-only view: place name (as first given) -> point."""
        return MappingProxyType(dict(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalise_place_name(name) in self._entries

    def geocode(self, query: str, *, personal: bool = False) -> LatLon | None:
        """The point of the place named ``query``, or None when no place has that name.

        ``personal`` is accepted for the :class:`Geocoder` interface and has no effect:
        the lookup never leaves the process.
        """
        entry = self._entries.get(normalise_place_name(query))
        return None if entry is None else entry[1]


class _RedactedQuery:
    """A query string that does not show itself in logs.

    geopy's ``RateLimiter`` logs the arguments of a call it retries; wrapping the query
    keeps an address out of the log files.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return "<query withheld>"


class GeopyGeocoder:
    """A geopy geocoder behind the :class:`Geocoder` interface: rate-limited and cached.

    Opt-in only: it sends queries over the network to whatever service the wrapped geopy
    object talks to. Queries marked ``personal=True`` are refused unless
    ``allow_personal_addresses`` is True.

    Parameters
    ----------
    geocoder
        A geopy geocoder object, e.g. ``geopy.geocoders.Nominatim(domain=...,
        user_agent=...)``; anything with a ``geocode(query, **options)`` method returning
        a ``geopy.location.Location`` (``latitude``, ``longitude``) or None.
    min_delay_seconds
        Least time between two requests, in seconds (geopy's ``RateLimiter``).
    max_retries
        Retries of a request that failed with ``geopy.exc.GeocoderServiceError``.
    error_wait_seconds
        Wait before a retry, in seconds; default ``max(5, min_delay_seconds)``.
    cache_size
        Answers kept in memory (least recently used dropped first); 0 turns caching off.
        Answers "not found" are cached too; failures are not.
    allow_personal_addresses
        Let queries marked ``personal=True`` through. Off by default: turning it on is the
        operator's decision.
    query_options
        Keyword arguments passed to every ``geocode`` call of the wrapped geocoder (for
        Nominatim e.g. ``viewbox``, ``country_codes``).
    """

    def __init__(
        self,
        geocoder: Any,
        *,
        min_delay_seconds: float = 1.0,
        max_retries: int = 2,
        error_wait_seconds: float | None = None,
        cache_size: int = 10_000,
        allow_personal_addresses: bool = False,
        query_options: Mapping[str, Any] | None = None,
    ) -> None:
        if not callable(getattr(geocoder, "geocode", None)):
            raise TypeError(
                f"expected a geopy geocoder (with a geocode method), got {type(geocoder).__name__}"
            )
        if min_delay_seconds < 0:
            raise ValueError(f"min_delay_seconds must be >= 0, got {min_delay_seconds}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        if error_wait_seconds is None:
            error_wait_seconds = max(5.0, min_delay_seconds)
        if error_wait_seconds < min_delay_seconds:
            raise ValueError(
                f"error_wait_seconds ({error_wait_seconds}) must be >= "
                f"min_delay_seconds ({min_delay_seconds})"
            )
        if cache_size < 0:
            raise ValueError(f"cache_size must be >= 0, got {cache_size}")
        self.geocoder = geocoder
        self.allow_personal_addresses = allow_personal_addresses
        self.cache_size = cache_size
        self._options = dict(query_options or {})
        # the service decides, not us, when to give up: exceptions must reach geocode()
        # so that they become GeocodingError instead of a silent None
        self.rate_limiter = RateLimiter(
            self._request,
            min_delay_seconds=min_delay_seconds,
            max_retries=max_retries,
            error_wait_seconds=error_wait_seconds,
            swallow_exceptions=False,
        )
        self._cache: OrderedDict[str, LatLon | None] = OrderedDict()
        self._cache_lock = threading.Lock()

    def geocode(self, query: str, *, personal: bool = False) -> LatLon | None:
        """The point the service gives for ``query``, or None when it finds nothing.

        Parameters
        ----------
        query
            A place name or an address. A blank query gives None without a request.
        personal
            True when the query comes from a person's record (e.g. a child's address).

        Raises
        ------
        PersonalAddressError
            ``personal`` is True and this geocoder does not allow personal addresses;
            nothing was sent.
        GeocodingError
            The service failed after the retries, or answered with unusable coordinates.
        """
        if personal and not self.allow_personal_addresses:
            raise PersonalAddressError(
                "refusing to send a personal address to an outside geocoding service; "
                "an operator can allow it with allow_personal_addresses=True"
            )
        text = " ".join(query.split())
        if not text:
            return None
        # the service ignores case and spacing, so the cache may too
        key = text.casefold()
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        point = self._ask(text, personal=personal)
        if self.cache_size:
            with self._cache_lock:
                self._cache[key] = point
                self._cache.move_to_end(key)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return point

    def clear_cache(self) -> None:
        """Forget every cached answer."""
        with self._cache_lock:
            self._cache.clear()

    def _request(self, query: _RedactedQuery) -> Any:
        return self.geocoder.geocode(query.text, **self._options)

    def _ask(self, text: str, *, personal: bool) -> LatLon | None:
        service = type(self.geocoder).__name__
        try:
            location = self.rate_limiter(_RedactedQuery(text))
        except GeopyError as exc:
            # geopy's messages can quote the request URL, address included
            detail = type(exc).__name__ if personal else f"{type(exc).__name__}: {exc}"
            raise GeocodingError(f"geocoding service {service} failed: {detail}") from exc
        if isinstance(location, list | tuple):
            location = location[0] if location else None
        if location is None:
            return None
        try:
            return LatLon(lat=float(location.latitude), lon=float(location.longitude))
        except (AttributeError, TypeError, ValueError) as exc:
            raise GeocodingError(
                f"geocoding service {service} answered without usable coordinates: {exc}"
            ) from exc


def geocoder_from_settings(
    kind: str = "offline",
    *,
    index: CommunityIndex,
    domain: str | None = None,
    user_agent: str = "fostermatch",
    min_delay_seconds: float = 1.0,
    allow_personal_addresses: bool = False,
) -> Geocoder:
    """The geocoder an operator's settings ask for: offline unless told otherwise.

    Parameters
    ----------
    kind
        ``"offline"`` (default): a :class:`GazetteerGeocoder` of the communities in
        ``index``. ``"nominatim"``: a :class:`GeopyGeocoder` over a Nominatim server at
        ``domain`` (the agency's own; the public server's usage policy forbids bulk use),
        with results biased towards the area of ``index``.
    index
        The agency's communities.
    domain
        Host (and optional port and path) of the Nominatim server, e.g.
        ``"nominatim.agency.local:8080"``; ``"http://..."`` chooses plain HTTP.
    user_agent
        Sent with every request, as Nominatim's usage policy requires.
    min_delay_seconds
        Least time between two requests, in seconds.
    allow_personal_addresses
        Let addresses from people's records be sent to the server (off by default).

    Raises
    ------
    ValueError
        An unknown ``kind``, a Nominatim without ``domain``, or a blank ``user_agent``.
    """
    chosen = kind.strip().lower()
    if chosen == "offline":
        return GazetteerGeocoder.from_communities(index)
    if chosen != "nominatim":
        raise ValueError(
            f"unknown geocoder kind {kind!r}: expected one of {', '.join(GEOCODER_KINDS)}"
        )
    if not domain or not domain.strip():
        raise ValueError(
            "the nominatim geocoder needs the domain of the agency's own Nominatim server "
            "(e.g. domain='nominatim.agency.local'); use kind='offline' to stay offline"
        )
    if not user_agent.strip():
        raise ValueError("user_agent must not be blank: Nominatim requires one")
    scheme, host = _split_scheme(domain.strip())
    nominatim = Nominatim(domain=host, scheme=scheme, user_agent=user_agent)
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds([c.geometry for c in index])
    return GeopyGeocoder(
        nominatim,
        min_delay_seconds=min_delay_seconds,
        allow_personal_addresses=allow_personal_addresses,
        # a preference, not a limit (bounded=False): an address just outside the county
        # is still found, but "Madison Street" means the local one
        query_options={"viewbox": [(min_lat, min_lon), (max_lat, max_lon)], "bounded": False},
    )


def _split_scheme(domain: str) -> tuple[str | None, str]:
    """``"http://host:8080/nominatim"`` -> ``("http", "host:8080/nominatim")``."""
    if "://" not in domain:
        return None, domain.rstrip("/")
    parts = urlsplit(domain)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"domain {domain!r}: expected host[:port][/path] or an http(s) URL")
    return parts.scheme, (parts.netloc + parts.path).rstrip("/")
