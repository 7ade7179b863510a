"""The folder format (docs/data-format.md): files, columns, codes, and how each
cell is read.

A column knows how to parse a cell (raising :class:`CellError` with a sentence a person can
act on) and how to write a value back, so that import and export share one description and
``export`` then ``import`` round-trips exactly. Import and export live in ``data.importing``
and ``data.exporting``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlmodel import SQLModel

from core.codes import (
    ACCEPTS_SEX,
    APPLICANT_STAGES,
    CAPABILITIES,
    CONGREGATE_SETTINGS,
    DISCHARGE_REASONS,
    FAMILY_SETTINGS,
    HOME_KINDS,
    HOME_STATUSES,
    ICWA,
    NEEDS,
    PARTNER_KINDS,
    PLACEMENT_SETTINGS,
    RACES,
    SEXES,
    YES_NO_UNKNOWN,
)
from data.models import Applicant, Child, Episode, Home, Partner, Placement

__all__ = [
    "APPLICANT_STAGES",
    "COMMUNITIES_FILE",
    "CONGREGATE_SETTINGS",
    "CSV_FILES",
    "DISCHARGE_REASONS",
    "FAMILY_SETTINGS",
    "HOME_KINDS",
    "NEEDS",
    "PLACEMENT_SETTINGS",
    "CellError",
    "CellKind",
    "Column",
    "FileSpec",
    "format_cell",
    "kind_of",
]

MAX_ID_LENGTH = 64

# Dates: a record states what happened, or what is planned in the coming weeks (a licence
# from next month, a placement's planned end). A date more than a year ahead is a typing
# mistake (2062 for 2026), and far years break date arithmetic downstream (pandas ends in
# 2262). A birth or a removal has happened: never after today.
EARLIEST_DAY = date(1900, 1, 1)
DAYS_AHEAD = 366


class CellError(ValueError):
    """A cell that cannot be read; the message says what was expected."""


@dataclass(frozen=True, slots=True)
class CellKind:
    """What a reader accepts, in words (docs/data-format.md is generated from these).

    ``codes`` is the code list of a code column; ``listed`` is true for a ``;`` list.
    """

    text: str
    codes: tuple[str, ...] = ()
    listed: bool = False


_Reader = TypeVar("_Reader", bound=Callable[[str], Any])

# reader -> what it accepts: one description per reader, beside the reader itself
_KINDS: dict[Callable[[str], Any], CellKind] = {}


def _described(read: _Reader, kind: CellKind) -> _Reader:
    _KINDS[read] = kind
    return read


def kind_of(read: Callable[[str], Any]) -> CellKind:
    """What the cell reader ``read`` accepts (every reader of the format is described)."""
    return _KINDS[read]


# -- cell readers -------------------------------------------------------------------------


def _identifier(raw: str) -> str:
    if len(raw) > MAX_ID_LENGTH:
        raise CellError(f"an id is at most {MAX_ID_LENGTH} characters, got {len(raw)}")
    if ";" in raw or raw != raw.strip():
        raise CellError(f"an id has no ';' and no surrounding spaces, got {raw!r}")
    return raw


def _text(max_length: int) -> Callable[[str], str]:
    def read(raw: str) -> str:
        if len(raw) > max_length:
            raise CellError(f"at most {max_length} characters, got {len(raw)}")
        return raw.strip()

    return _described(read, CellKind(f"text, at most {max_length} characters"))


def _whole(minimum: int = 0, maximum: int | None = None) -> Callable[[str], int]:
    def read(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise CellError(f"expected a whole number, got {raw!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and <= {maximum}" if maximum is not None else ""
            raise CellError(f"expected a whole number >= {minimum}{upper}, got {value}")
        return value

    upto = f" to {maximum}" if maximum is not None else " or more"
    return _described(read, CellKind(f"whole number, {minimum}{upto}"))


def _degrees(limit: float, what: str) -> Callable[[str], float]:
    def read(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise CellError(f"expected a {what} in decimal degrees, got {raw!r}") from None
        if not math.isfinite(value) or not -limit <= value <= limit:
            raise CellError(f"{what} out of range: {raw.strip()} is not in [-{limit:g}, {limit:g}]")
        return value

    return _described(read, CellKind(f"{what}, decimal degrees from -{limit:g} to {limit:g}"))


def _iso_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise CellError(f"expected a date as YYYY-MM-DD, got {raw!r}") from None


def _day(days_ahead: int) -> Callable[[str], date]:
    """A date from :data:`EARLIEST_DAY` to ``days_ahead`` days after today (0: not after today)."""

    def read(raw: str) -> date:
        value = _iso_date(raw)
        if value < EARLIEST_DAY:
            raise CellError(f"{value} is before {EARLIEST_DAY}: a typing mistake?")
        latest = date.today() + timedelta(days=days_ahead)
        if value > latest:
            if not days_ahead:
                raise CellError(f"{value} is in the future")
            raise CellError(
                f"{value} is more than {days_ahead} days ahead: the latest date accepted "
                f"today is {latest}"
            )
        return value

    latest = f"{days_ahead} days after today" if days_ahead else "today"
    return _described(read, CellKind(f"date YYYY-MM-DD, from {EARLIEST_DAY} to {latest}"))


# Codes, tags and languages repeat on every row: a cell's value is the one shared string of
# its code (or an interned string) rather than a copy per row, which keeps a large import's
# rows in memory about a third smaller.


def _code(choices: Sequence[str]) -> Callable[[str], str]:
    canonical = {c: c for c in choices}

    def read(raw: str) -> str:
        value = raw.strip()
        if value not in canonical:
            raise CellError(f"unknown code {value!r}; expected one of {', '.join(choices)}")
        return canonical[value]

    return _described(read, CellKind("code", tuple(choices)))


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(";") if part.strip()]


def _codes(choices: Sequence[str]) -> Callable[[str], list[str]]:
    canonical = {c: c for c in choices}

    def read(raw: str) -> list[str]:
        values = _split(raw)
        unknown = [v for v in values if v not in canonical]
        if unknown:
            raise CellError(
                f"unknown code {unknown[0]!r}; expected a ';' list of {', '.join(choices)}"
            )
        return [canonical[v] for v in values]

    return _described(read, CellKind("codes", tuple(choices), listed=True))


def _tags(raw: str) -> list[str]:
    return [sys.intern(tag) for tag in _split(raw)]


def _language_codes(raw: str) -> list[str]:
    values = [sys.intern(code) for code in _split(raw)]
    for value in values:
        if not (2 <= len(value) <= 3 and value.isascii() and value.isalpha() and value.islower()):
            raise CellError(
                f"{value!r} is not an ISO 639 language code (2 or 3 lower-case letters, e.g. es)"
            )
    return values


def _ids(raw: str) -> list[str]:
    return [_identifier(v) for v in _split(raw)]


def _yes_no(raw: str) -> bool:
    value = raw.strip()
    if value not in ("yes", "no"):
        raise CellError(f"expected yes or no, got {value!r}")
    return value == "yes"


_described(_identifier, CellKind(f"id: at most {MAX_ID_LENGTH} characters, no ';'"))
_described(_tags, CellKind("free tags", listed=True))
_described(
    _language_codes, CellKind("ISO 639 language codes (2 or 3 lower-case letters)", listed=True)
)
_described(_ids, CellKind("ids", listed=True))
_described(_yes_no, CellKind("yes or no"))


# -- cell writers -------------------------------------------------------------------------


def format_cell(value: Any) -> str:
    """The text of a value in a CSV cell; ``repr`` for floats so they read back exactly."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


# -- file descriptions --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a file: its name, how to read a cell, whether it must be filled."""

    name: str
    read: Callable[[str], Any]
    required: bool = False
    attribute: str = ""  # the model attribute, when it differs from the column name
    is_list: bool = False

    @property
    def target(self) -> str:
        return self.attribute or self.name

    @property
    def empty(self) -> Any:
        return [] if self.is_list else None


def _list(name: str, read: Callable[[str], list[str]], **kwargs: Any) -> Column:
    return Column(name, read, is_list=True, **kwargs)


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A CSV file of the folder format: its columns and the key that import upserts by."""

    name: str
    model: type[SQLModel]
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # pairs of coordinate columns whose community is derived: (lat, lon, derived attribute)
    points: tuple[tuple[str, str, str], ...] = field(default=())

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


LATITUDE = _degrees(90.0, "latitude")
DAY = _day(DAYS_AHEAD)  # may be planned: licences, closures, placements, discharges, stages
PAST_DAY = _day(0)  # has happened: births, removals
LONGITUDE = _degrees(180.0, "longitude")

HOMES = FileSpec(
    "homes.csv",
    Home,
    (
        Column("id", _identifier, required=True),
        Column("kind", _code(HOME_KINDS), required=True),
        Column("status", _code(HOME_STATUSES), required=True),
        Column("latitude", LATITUDE, required=True),
        Column("longitude", LONGITUDE, required=True),
        Column("capacity", _whole(0, 50), required=True),
        Column("age_min", _whole(0, 21)),
        Column("age_max", _whole(0, 21)),
        Column("accepts_sex", _code(ACCEPTS_SEX)),
        Column("max_siblings", _whole(1, 50)),
        _list("capabilities", _codes(CAPABILITIES)),
        _list("languages", _language_codes),
        Column("religion", _text(100)),
        _list("cultural_offers", _tags),
        Column("tribe", _text(200)),
        Column("tribe_licensed", _yes_no),
        _list("kin_of", _ids),
        Column("kin_relationship", _text(100)),
        Column("licensed_on", DAY),
        Column("closed_on", DAY),
        Column("closed_reason", _text(100)),
    ),
    key=("id",),
    points=(("latitude", "longitude", "community_id"),),
)

CHILDREN = FileSpec(
    "children.csv",
    Child,
    (
        Column("id", _identifier, required=True),
        Column("birth_date", PAST_DAY, required=True),
        Column("sex", _code(SEXES), required=True),
        _list("race", _codes(RACES)),
        Column("hispanic", _code(YES_NO_UNKNOWN)),
        _list("languages", _language_codes),
        Column("religion", _text(100)),
        _list("cultural_needs", _tags),
        Column("tribe", _text(200)),
        Column("icwa", _code(ICWA)),
        _list("needs", _codes(NEEDS)),
        Column("sibling_group", _identifier, attribute="sibling_group_id"),
        _list("separate_from", _ids),
        _list("excluded_homes", _ids),
        Column("school_latitude", LATITUDE),
        Column("school_longitude", LONGITUDE),
    ),
    key=("id",),
    points=(("school_latitude", "school_longitude", "school_community_id"),),
)

EPISODES = FileSpec(
    "episodes.csv",
    Episode,
    (
        Column("child_id", _identifier, required=True),
        Column("removed_on", PAST_DAY, required=True),
        Column("removal_latitude", LATITUDE, required=True),
        Column("removal_longitude", LONGITUDE, required=True),
        Column("discharged_on", DAY),
        Column("discharge_reason", _code(DISCHARGE_REASONS)),
    ),
    key=("child_id", "removed_on"),
    points=(("removal_latitude", "removal_longitude", "removal_community_id"),),
)

PLACEMENTS = FileSpec(
    "placements.csv",
    Placement,
    (
        Column("child_id", _identifier, required=True),
        Column("setting", _code(PLACEMENT_SETTINGS), required=True),
        Column("home_id", _identifier),
        Column("started_on", DAY, required=True),
        Column("ended_on", DAY),
        Column("end_reason", _text(100)),
        Column("capacity_waiver", _text(500)),
    ),
    key=("child_id", "started_on", "setting", "home_id"),
)

APPLICANTS = FileSpec(
    "applicants.csv",
    Applicant,
    (
        Column("id", _identifier, required=True),
        Column("stage", _code(APPLICANT_STAGES), required=True),
        Column("stage_on", DAY, required=True),
        Column("latitude", LATITUDE),
        Column("longitude", LONGITUDE),
        _list("interests", _tags),
        _list("languages", _language_codes),
    ),
    key=("id",),
    points=(("latitude", "longitude", "community_id"),),
)

PARTNERS = FileSpec(
    "partners.csv",
    Partner,
    (
        Column("id", _identifier, required=True),
        Column("name", _text(200), required=True),
        Column("kind", _code(PARTNER_KINDS), required=True),
        Column("latitude", LATITUDE, required=True),
        Column("longitude", LONGITUDE, required=True),
        _list("languages", _language_codes),
        Column("contact", _text(200)),
    ),
    key=("id",),
    points=(("latitude", "longitude", "community_id"),),
)

COMMUNITIES_FILE = "communities.geojson"
# in the order they are written: every file's references point to files before it
CSV_FILES: tuple[FileSpec, ...] = (HOMES, CHILDREN, EPISODES, PLACEMENTS, APPLICANTS, PARTNERS)
