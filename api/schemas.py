"""Request bodies of the API, each with an example (shown in the OpenAPI document).

Record bodies use the column names of the folder format (docs/data-format.md): a case
system that writes ``children.csv`` writes the same names here. The id (or natural key) of a
record is in the path, never in the body. Values are checked here for shape (types, codes,
ranges), then by the importer's own rules (references, timelines, communities) so that a record
sent one at a time passes exactly the checks of a bulk import.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from core.codes import (
    ACCEPTS_SEX,
    APPLICANT_STAGES,
    CAPABILITIES,
    DECLINE_REASONS,
    DISCHARGE_REASONS,
    HOME_KINDS,
    HOME_STATUSES,
    ICWA,
    NEEDS,
    OFFER_OUTCOMES,
    PARTNER_KINDS,
    PLACEMENT_SETTINGS,
    RACES,
    SEXES,
    YES_NO_UNKNOWN,
)

__all__ = [
    "DAY_SCHEMA",
    "FIRST_DAY",
    "LAST_DAY",
    "PARTICIPANT_ROLES",
    "ApplicantIn",
    "ChildIn",
    "CommunityIn",
    "Day",
    "DecisionIn",
    "EpisodeIn",
    "HomeIn",
    "MatchRequest",
    "OfferIn",
    "PartnerIn",
    "PlacementIn",
    "PlanRequest",
    "StrictDay",
    "StrictMoment",
    "WebhookIn",
    "WebhookRotation",
]

# Literal types built from the codes of data.formats, so the two never drift apart
HomeKind = Literal[HOME_KINDS]  # type: ignore[valid-type]
HomeStatus = Literal[HOME_STATUSES]  # type: ignore[valid-type]
Sex = Literal[SEXES]  # type: ignore[valid-type]
AcceptsSex = Literal[ACCEPTS_SEX]  # type: ignore[valid-type]
Need = Literal[NEEDS]  # type: ignore[valid-type]
Capability = Literal[CAPABILITIES]  # type: ignore[valid-type]
Race = Literal[RACES]  # type: ignore[valid-type]
YesNoUnknown = Literal[YES_NO_UNKNOWN]  # type: ignore[valid-type]
Icwa = Literal[ICWA]  # type: ignore[valid-type]
Setting = Literal[PLACEMENT_SETTINGS]  # type: ignore[valid-type]
DischargeReason = Literal[DISCHARGE_REASONS]  # type: ignore[valid-type]
Stage = Literal[APPLICANT_STAGES]  # type: ignore[valid-type]
PartnerKind = Literal[PARTNER_KINDS]  # type: ignore[valid-type]
OfferOutcome = Literal[OFFER_OUTCOMES]  # type: ignore[valid-type]
DeclineReason = Literal[DECLINE_REASONS]  # type: ignore[valid-type]

# a list item is one cell part: ';' separates parts in the folder format
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^;\s][^;]*$")]
Id = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^;\s]([^;]*[^;\s])?$")
]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
Text100 = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]

# dates outside these years are typing mistakes, and break date arithmetic downstream
# (pandas timestamps end in 2262)
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2200, 12, 31)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?"
)


def _iso_day(value: Any) -> Any:
    """Only a ``YYYY-MM-DD`` string is a day: pydantic alone reads ``0`` as 1970-01-01."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise ValueError("should be a date written YYYY-MM-DD (ISO 8601)")
    return value


def _iso_moment(value: Any) -> Any:
    """Only an ISO 8601 date or date-time string is a moment (never a number of seconds)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_MOMENT.fullmatch(value):
        raise ValueError(
            "should be a moment written YYYY-MM-DDTHH:MM:SS with an optional offset (ISO 8601)"
        )
    return value


StrictDay = BeforeValidator(_iso_day)
StrictMoment = BeforeValidator(_iso_moment)
# JSON Schema cannot bound a date: the years 1900-2200 as a pattern, the days as
# formatMinimum/formatMaximum (the vocabulary validators such as ajv read)
DAY_SCHEMA: dict[str, Any] = {
    "pattern": r"^(19\d\d|2[01]\d\d|2200)-\d\d-\d\d$",
    "formatMinimum": FIRST_DAY.isoformat(),
    "formatMaximum": LAST_DAY.isoformat(),
}
Day = Annotated[date, StrictDay, Field(ge=FIRST_DAY, le=LAST_DAY, json_schema_extra=DAY_SCHEMA)]

_STRICT = ConfigDict(extra="forbid")


class HomeIn(BaseModel):
    """A home, as a row of homes.csv without its id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "foster",
                    "status": "active",
                    "latitude": 41.92,
                    "longitude": -87.66,
                    "capacity": 3,
                    "age_min": 0,
                    "age_max": 12,
                    "accepts_sex": "any",
                    "max_siblings": 3,
                    "capabilities": ["medical", "infant"],
                    "languages": ["en", "es"],
                    "cultural_offers": ["halal diet"],
                    "tribe_licensed": False,
                    "kin_of": [],
                    "licensed_on": "2023-01-02",
                }
            ]
        },
    )

    kind: HomeKind
    status: HomeStatus
    latitude: Latitude
    longitude: Longitude
    capacity: Annotated[int, Field(ge=0, le=50)]
    age_min: Annotated[int, Field(ge=0, le=21)] | None = None
    age_max: Annotated[int, Field(ge=0, le=21)] | None = None
    accepts_sex: AcceptsSex | None = None
    max_siblings: Annotated[int, Field(ge=1, le=50)] | None = None
    capabilities: list[Capability] = []
    languages: list[Language] = []
    religion: Text100 | None = None
    cultural_offers: list[Tag] = []
    tribe: Text200 | None = None
    tribe_licensed: bool | None = None
    kin_of: list[Id] = []
    kin_relationship: Text100 | None = None
    licensed_on: Day | None = None
    closed_on: Day | None = None
    closed_reason: Text100 | None = None


class ChildIn(BaseModel):
    """A child, as a row of children.csv without its id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "birth_date": "2015-03-04",
                    "sex": "female",
                    "race": ["black"],
                    "hispanic": "no",
                    "languages": ["en", "es"],
                    "cultural_needs": [],
                    "icwa": "no",
                    "needs": ["medical"],
                    "sibling_group": "G1",
                    "separate_from": [],
                    "excluded_homes": [],
                    "school_latitude": 41.871,
                    "school_longitude": -87.681,
                }
            ]
        },
    )

    birth_date: Day
    sex: Sex
    race: list[Race] = []
    hispanic: YesNoUnknown | None = None
    languages: list[Language] = []
    religion: Text100 | None = None
    cultural_needs: list[Tag] = []
    tribe: Text200 | None = None
    icwa: Icwa | None = None
    needs: list[Need] = []
    sibling_group: Id | None = None
    separate_from: list[Id] = []
    excluded_homes: list[Id] = []
    school_latitude: Latitude | None = None
    school_longitude: Longitude | None = None


class EpisodeIn(BaseModel):
    """A stay in care, as a row of episodes.csv without its key (child, removal date)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "removal_latitude": 41.740474,
                    "removal_longitude": -87.68662,
                    "discharged_on": "2025-01-31",
                    "discharge_reason": "guardianship",
                }
            ]
        },
    )

    removal_latitude: Latitude
    removal_longitude: Longitude
    discharged_on: Day | None = None
    discharge_reason: DischargeReason | None = None


class PlacementIn(BaseModel):
    """A placement, as a row of placements.csv without its key (child, start, setting)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"home_id": "H000178", "ended_on": "2018-02-27", "end_reason": "home_closed"}
            ]
        },
    )

    home_id: Id | None = None
    ended_on: Day | None = None
    end_reason: Text100 | None = None
    capacity_waiver: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = Field(
        default=None,
        description="why the child lives in the home although it had no free bed: without it, "
        "a placement that would put more children in the home than its beds is refused (409)",
    )


class ApplicantIn(BaseModel):
    """A prospective family, as a row of applicants.csv without its id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "stage": "training",
                    "stage_on": "2026-09-01",
                    "latitude": 41.92,
                    "longitude": -87.67,
                    "interests": ["teens", "siblings"],
                    "languages": ["en", "es"],
                }
            ]
        },
    )

    stage: Stage
    stage_on: Day
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    interests: list[Tag] = []
    languages: list[Language] = []


class PartnerIn(BaseModel):
    """A partner organisation, as a row of partners.csv without its id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Southside Family Center",
                    "kind": "community_centre",
                    "latitude": 41.87,
                    "longitude": -87.67,
                    "languages": ["en", "es"],
                    "contact": "info@southside.example.org",
                }
            ]
        },
    )

    name: Text200
    kind: PartnerKind
    latitude: Latitude
    longitude: Longitude
    languages: list[Language] = []
    contact: Text200 | None = None


class CommunityIn(BaseModel):
    """A community area: its name, child population and a GeoJSON (Multi)Polygon."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Northside",
                    "child_population": 5000,
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [-87.7, 41.9],
                                [-87.65, 41.9],
                                [-87.65, 41.95],
                                [-87.7, 41.95],
                                [-87.7, 41.9],
                            ]
                        ],
                    },
                }
            ]
        },
    )

    name: Text200
    child_population: Annotated[int, Field(ge=0)] | None = None
    geometry: dict[str, Any]


class MatchRequest(BaseModel):
    """Rank the homes for a child; their waiting siblings are matched with them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"child_id": "C000631", "limit": 10, "as_of": "2026-10-31"}]
        },
    )

    child_id: Id
    limit: Annotated[int, Field(ge=0, le=200)] = 10
    as_of: Day | None = Field(
        default=None, description="the matching date (ages, free beds); default today"
    )


class PlanRequest(BaseModel):
    """Plan placements for every waiting child at once, in the background."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"time_limit_s": 10, "seed": 0, "as_of": "2026-10-31"}]},
    )

    time_limit_s: Annotated[float, Field(gt=0, le=600, allow_inf_nan=False)] = 10.0
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    as_of: Day | None = None
    baseline: Literal["greedy"] | None = Field(
        default=None, description="'greedy': today's practice, nearest eligible home"
    )


PARTICIPANT_ROLES = (
    "caseworker",
    "birth_parent",
    "youth",
    "caregiver",
    "community_member",
    "tribe_representative",
)
ParticipantRole = Literal[PARTICIPANT_ROLES]  # type: ignore[valid-type]


class DecidedPlacement(BaseModel):
    """One child and the home the team chose."""

    model_config = _STRICT

    child_id: Id
    home_id: Id
    moves_from: Id | None = Field(
        default=None,
        description="the family home the child lives in now, when the decision moves them "
        "out of it (without it, a child in a family home is not moved: 409)",
    )


class Participant(BaseModel):
    """Someone who took part in the decision, by role (a name is optional)."""

    model_config = _STRICT

    role: ParticipantRole
    name: Text200 | None = None


class DecisionIn(BaseModel):
    """A team decision: the homes chosen, who decided, what they saw, why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "placements": [{"child_id": "C000631", "home_id": "H003537"}],
                    "participants": [
                        {"role": "caseworker"},
                        {"role": "youth"},
                        {"role": "caregiver"},
                    ],
                    "options_shown": ["H002705", "H003537", "H002497"],
                    "reason": "youth asked to stay near school",
                    "icwa_good_cause": None,
                    "started_on": "2026-10-31",
                }
            ]
        },
    )

    placements: Annotated[list[DecidedPlacement], Field(min_length=1, max_length=20)]
    participants: Annotated[list[Participant], Field(min_length=1, max_length=50)]
    options_shown: Annotated[list[Id], Field(min_length=1, max_length=200)]
    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
        | None
    ) = None
    icwa_good_cause: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
        | None
    ) = None
    started_on: Day | None = Field(
        default=None, description="the day the placements start; default today"
    )


class OfferIn(BaseModel):
    """A call to a family about a child or a sibling group, and how it ended."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "child_ids": ["C000066"],
                    "home_id": "H000008",
                    "outcome": "declined",
                    "reason": "family_circumstances",
                    "note": "a new baby in the family: call again in the spring",
                    "at": "2026-11-30T15:20:00+00:00",
                }
            ]
        },
    )

    child_ids: Annotated[list[Id], Field(min_length=1, max_length=20)] = Field(
        description="the child, or the siblings offered together"
    )
    home_id: Id
    outcome: OfferOutcome = Field(
        description="offered (waiting for an answer), accepted, declined or no_answer"
    )
    reason: DeclineReason | None = Field(
        default=None, description="why the family declined: required with a decline, else none"
    )
    note: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
        | None
    ) = None
    at: Annotated[datetime, StrictMoment] | None = Field(
        default=None,
        description="when the call was made (ISO 8601; no offset: UTC); default now. Never "
        "in the future, never before a child's removal",
    )


class WebhookIn(BaseModel):
    """A webhook to register: where to POST the changes, which kinds (none: every kind)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://cases.example.org/fostermatch/events",
                    "events": ["decision.recorded", "placement.*"],
                    "description": "case system, placements desk",
                }
            ]
        },
    )

    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    events: Annotated[list[Text100], Field(max_length=100)] = []
    description: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
        | None
    ) = None


class WebhookRotation(BaseModel):
    """A new secret for a webhook; the old one keeps signing for ``grace_hours`` (0-168)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"grace_hours": 24}]})

    grace_hours: Annotated[float, Field(ge=0, le=168, allow_inf_nan=False)] = 24
