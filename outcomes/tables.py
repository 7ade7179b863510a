"""The input contract of the outcomes engine: four pandas frames (and one optional).

The engine never reads the database: the service layer (``api/services/outcomes.py``) builds
these frames, and a notebook or a test may build them by hand. :func:`validate_tables` checks
them once and names the first missing or bad column.

Frames and columns (dates are ``datetime64`` or ``datetime.date``; a missing value is NA):

``children``
    ``child_id`` (str, unique), ``birth_date`` (date), ``sex`` (female, male, unknown),
    ``hispanic`` (yes, no, unknown, or NA), the race flags ``race_aian``, ``race_asian``,
    ``race_black``, ``race_nhpi``, ``race_white``, ``race_unknown`` (bool),
    ``sibling_group_id`` (str or NA).
``episodes``
    ``child_id``, ``removed_on`` (date), ``discharged_on`` (date, NA while open),
    ``discharge_reason`` (a DISCHARGE_REASONS code, NA while open), ``removal_community_id``
    (str or NA), ``removal_latitude``, ``removal_longitude`` (degrees, NaN when unknown).
``placements``
    ``child_id``, ``setting`` (a PLACEMENT_SETTINGS code), ``started_on`` (date),
    ``ended_on`` (date, NA while open), ``home_id`` (str or NA), ``end_reason`` (str or NA),
    ``latitude``, ``longitude`` (degrees of the home; NaN when the setting has no address),
    ``community_id`` (the home's community, or NA).
``communities``
    ``community_id`` (str, unique), ``name`` (str), ``child_population`` (children 0-17, NA
    when unknown).
``population`` (optional)
    ``by`` (race, sex or age), ``group`` (a label of that breakdown), ``child_population``:
    the child population 0-17 per group, when the agency has one (e.g. from the census).
    Without it, entry rates exist only overall and by community.

Race and Hispanic origin are read here, and only here, for disparity monitoring.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from core.codes import DISCHARGE_REASONS, PLACEMENT_SETTINGS, SEXES

__all__ = [
    "AGE_BANDS",
    "CHILD_COLUMNS",
    "COMMUNITY_COLUMNS",
    "EPISODE_COLUMNS",
    "PLACEMENT_COLUMNS",
    "POPULATION_COLUMNS",
    "RACE_CATEGORIES",
    "RACE_FLAGS",
    "OutcomeInputError",
    "OutcomeTables",
    "age_band",
    "race_ethnicity",
    "validate_tables",
]

RACE_FLAGS = ("race_aian", "race_asian", "race_black", "race_nhpi", "race_white")
RACE_CATEGORIES = (
    "hispanic",
    "two_or_more",
    "aian",
    "asian",
    "black",
    "nhpi",
    "white",
    "unknown",
)
AGE_BANDS = ("under_1", "1-5", "6-12", "13-17")
_AGE_BAND_STARTS = np.array([1, 6, 13, 18])  # the first age of each band after under_1, and 18

CHILD_COLUMNS = (
    "child_id",
    "birth_date",
    "sex",
    "hispanic",
    *RACE_FLAGS,
    "race_unknown",
    "sibling_group_id",
)
EPISODE_COLUMNS = (
    "child_id",
    "removed_on",
    "discharged_on",
    "discharge_reason",
    "removal_community_id",
    "removal_latitude",
    "removal_longitude",
)
PLACEMENT_COLUMNS = (
    "child_id",
    "setting",
    "started_on",
    "ended_on",
    "home_id",
    "end_reason",
    "latitude",
    "longitude",
    "community_id",
)
COMMUNITY_COLUMNS = ("community_id", "name", "child_population")
POPULATION_COLUMNS = ("by", "group", "child_population")


class OutcomeInputError(ValueError):
    """An input frame breaks the column contract; the message names the frame and column."""


@dataclass(frozen=True)
class OutcomeTables:
    """The records the outcome measures are computed from (see the module docstring)."""

    children: pd.DataFrame
    episodes: pd.DataFrame
    placements: pd.DataFrame
    communities: pd.DataFrame
    population: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        validate_tables(self)


def _require(frame: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise OutcomeInputError(f"{name}: expected a pandas DataFrame, got {type(frame).__name__}")
    for column in columns:
        if column not in frame.columns:
            raise OutcomeInputError(f"{name}: missing column {column!r}")


def _first_bad(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_codes(
    frame: pd.DataFrame, name: str, column: str, allowed: Iterable[str], *, nullable: bool
) -> None:
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any() and not nullable:
        raise OutcomeInputError(
            f"{name}: column {column!r} is empty at row {_first_bad(missing)}; a value is required"
        )
    allowed = tuple(allowed)
    bad = ~values.isin(allowed).to_numpy() & ~missing
    if bad.any():
        row = _first_bad(bad)
        raise OutcomeInputError(
            f"{name}: column {column!r}: unknown value {values.iloc[row]!r} at row {row}; "
            f"expected one of {', '.join(allowed)}"
        )


def _check_dates(frame: pd.DataFrame, name: str, column: str, *, nullable: bool) -> None:
    try:
        parsed = pd.to_datetime(frame[column], errors="raise")
    except (ValueError, TypeError) as error:
        raise OutcomeInputError(
            f"{name}: column {column!r} holds a value that is not a date"
        ) from (error)
    missing = parsed.isna().to_numpy()
    if missing.any() and not nullable:
        raise OutcomeInputError(
            f"{name}: column {column!r} is empty at row {_first_bad(missing)}; a date is required"
        )


def _check_ids(frame: pd.DataFrame, name: str, column: str) -> None:
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any():
        raise OutcomeInputError(
            f"{name}: column {column!r} is empty at row {_first_bad(missing)}; an id is required"
        )


def _check_numbers(frame: pd.DataFrame, name: str, column: str) -> None:
    try:
        pd.to_numeric(frame[column], errors="raise")
    except (ValueError, TypeError) as error:
        raise OutcomeInputError(
            f"{name}: column {column!r} holds a value that is not a number"
        ) from (error)


def _check_unique(frame: pd.DataFrame, name: str, column: str) -> None:
    duplicated = frame[column].duplicated().to_numpy()
    if duplicated.any():
        row = _first_bad(duplicated)
        raise OutcomeInputError(
            f"{name}: column {column!r}: {frame[column].iloc[row]!r} appears twice (row {row})"
        )


def _check_order(frame: pd.DataFrame, name: str, first: str, then: str) -> None:
    start = pd.to_datetime(frame[first]).to_numpy()
    end = pd.to_datetime(frame[then]).to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~np.isnat(end) & (end < start)
    if bad.any():
        raise OutcomeInputError(
            f"{name}: column {then!r} is before {first!r} at row {_first_bad(bad)}"
        )


def _check_known_children(frame: pd.DataFrame, name: str, known: pd.Series) -> None:
    unknown = ~frame["child_id"].isin(known).to_numpy()
    if unknown.any():
        row = _first_bad(unknown)
        raise OutcomeInputError(
            f"{name}: column 'child_id': {frame['child_id'].iloc[row]!r} at row {row} "
            "is not in children"
        )


def validate_tables(tables: OutcomeTables) -> None:
    """Check every frame against the column contract; raise :class:`OutcomeInputError`.

    The checks are vectorised (one pass per column), so they cost little next to the
    measures even at a million placements.
    """
    children, episodes, placements = tables.children, tables.episodes, tables.placements
    _require(children, "children", CHILD_COLUMNS)
    _require(episodes, "episodes", EPISODE_COLUMNS)
    _require(placements, "placements", PLACEMENT_COLUMNS)
    _require(tables.communities, "communities", COMMUNITY_COLUMNS)

    _check_ids(children, "children", "child_id")
    _check_unique(children, "children", "child_id")
    _check_dates(children, "children", "birth_date", nullable=False)
    _check_codes(children, "children", "sex", SEXES, nullable=False)
    _check_codes(children, "children", "hispanic", ("yes", "no", "unknown"), nullable=True)
    for flag in (*RACE_FLAGS, "race_unknown"):
        if not (
            pd.api.types.is_bool_dtype(children[flag]) or children[flag].isin((True, False)).all()
        ):
            raise OutcomeInputError(f"children: column {flag!r} must hold true/false")

    _check_ids(episodes, "episodes", "child_id")
    _check_known_children(episodes, "episodes", children["child_id"])
    _check_dates(episodes, "episodes", "removed_on", nullable=False)
    _check_dates(episodes, "episodes", "discharged_on", nullable=True)
    _check_order(episodes, "episodes", "removed_on", "discharged_on")
    _check_codes(episodes, "episodes", "discharge_reason", DISCHARGE_REASONS, nullable=True)
    discharged = episodes["discharged_on"].notna().to_numpy()
    no_reason = discharged & episodes["discharge_reason"].isna().to_numpy()
    if no_reason.any():
        raise OutcomeInputError(
            f"episodes: column 'discharge_reason' is empty at row {_first_bad(no_reason)} "
            "although the episode is discharged"
        )
    for column in ("removal_latitude", "removal_longitude"):
        _check_numbers(episodes, "episodes", column)

    _check_ids(placements, "placements", "child_id")
    _check_known_children(placements, "placements", children["child_id"])
    _check_codes(placements, "placements", "setting", PLACEMENT_SETTINGS, nullable=False)
    _check_dates(placements, "placements", "started_on", nullable=False)
    _check_dates(placements, "placements", "ended_on", nullable=True)
    _check_order(placements, "placements", "started_on", "ended_on")
    for column in ("latitude", "longitude"):
        _check_numbers(placements, "placements", column)

    communities = tables.communities
    _check_ids(communities, "communities", "community_id")
    _check_unique(communities, "communities", "community_id")
    _check_numbers(communities, "communities", "child_population")

    if tables.population is not None:
        population = tables.population
        _require(population, "population", POPULATION_COLUMNS)
        _check_codes(population, "population", "by", ("race", "sex", "age"), nullable=False)
        _check_numbers(population, "population", "child_population")


def race_ethnicity(children: pd.DataFrame) -> NDArray[np.int8]:
    """The derived race/ethnicity category of each child, as codes into RACE_CATEGORIES.

    AFCARS order (the federal reporting standard): Hispanic (any race) first, then two or
    more races, then the single race; no known race flag (only "unable to determine", or
    none) is unknown.
    """
    flags = np.column_stack(
        [children[f].fillna(False).to_numpy(dtype=bool) for f in RACE_FLAGS]
    ).reshape(len(children), len(RACE_FLAGS))
    count = flags.sum(axis=1)
    # single race: the first (only) set flag; offset 2 skips hispanic and two_or_more
    single = np.argmax(flags, axis=1) + 2
    codes = np.where(count == 0, RACE_CATEGORIES.index("unknown"), single)
    codes = np.where(count >= 2, RACE_CATEGORIES.index("two_or_more"), codes)
    hispanic = (children["hispanic"].fillna("") == "yes").to_numpy(dtype=bool)
    codes = np.where(hispanic, RACE_CATEGORIES.index("hispanic"), codes)
    return codes.astype(np.int8)


def age_band(ages: ArrayLike) -> NDArray[np.int64]:
    """The band of each age (whole years), as codes into AGE_BANDS.

    An age of 18 or more has code ``len(AGE_BANDS)``: no child band holds it, and each caller
    says what it does with young adults (the outcome measures exclude their entries).
    """
    return np.searchsorted(_AGE_BAND_STARTS, np.asarray(ages), side="right").astype(np.int64)
