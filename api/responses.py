"""Response bodies of the API: one model per wire shape, shared by the HTTP routes and the CLI.

The routes declare these as their ``response_model`` (so the OpenAPI document types every
answer and a generated client returns objects, not dicts) and the CLI's ``--json`` prints the
same shapes through :func:`wire`. Every model reads the dicts the services already build: a
key added there must be added here too, or it is dropped from the answer (the tests of the
shapes catch it). Models are open to extension: add a field with a default, never rename one.

Errors have one shape, :class:`Problem` (RFC 9457), referenced by every error response.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from api.schemas import (
    ApplicantIn,
    ChildIn,
    CommunityIn,
    EpisodeIn,
    HomeIn,
    PartnerIn,
    PlacementIn,
    Setting,
)

__all__ = [
    "ApplicantPage",
    "ApplicantRecord",
    "AuditEntry",
    "AuditPage",
    "Change",
    "ChangesPage",
    "ChildPage",
    "ChildRecord",
    "CommunityPage",
    "CommunityRecord",
    "Decision",
    "DecisionPage",
    "Delivery",
    "DeliveryPage",
    "EpisodePage",
    "EpisodeRecord",
    "FieldProblem",
    "GapFeatures",
    "GapReport",
    "Health",
    "HomePage",
    "HomeRecord",
    "ImportReport",
    "Liveness",
    "MatchResult",
    "Offer",
    "OfferList",
    "OutcomeReport",
    "PartnerPage",
    "PartnerRecord",
    "PlacementPage",
    "PlacementRecord",
    "PlanJob",
    "PlanResult",
    "Problem",
    "Readiness",
    "Webhook",
    "WebhookPage",
    "WebhookWithSecret",
    "wire",
]

_OUT = ConfigDict(extra="ignore")
# a record's model extends its request body's: the same fields, without the body's example
_RECORD = ConfigDict(extra="ignore", json_schema_extra=None)


def wire(model: type[BaseModel], data: Any) -> dict[str, Any]:
    """``data`` (a service's dict) as the wire shape ``model`` defines: JSON values only.

    Keys the data does not hold stay absent (a coordinator's child has no ``race``).
    """
    out: dict[str, Any] = model.model_validate(data).model_dump(
        mode="json", exclude_unset=True, by_alias=True
    )
    return out


# -- errors -------------------------------------------------------------------------------------


class FieldProblem(BaseModel):
    """One field at fault."""

    model_config = _OUT

    loc: list[str | int] = Field(
        description="where: `body`, `query`, `path` or `header` first, then the field's path",
        examples=[["body", "birth_date"]],
    )
    message: str = Field(description="what is wrong with it, in words")
    type: str | None = Field(default=None, description="a machine-readable kind of error")


class Problem(BaseModel):
    """An error (RFC 9457 problem details), sent as ``application/problem+json``."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://fostermatch.org/problems/validation",
                    "title": "Invalid request",
                    "status": 422,
                    "detail": "1 field invalid: body.birth_date: Input should be a valid date",
                    "instance": "/v1/children/C000001",
                    "errors": [
                        {
                            "loc": ["body", "birth_date"],
                            "message": "Input should be a valid date",
                            "type": "date_from_datetime_parsing",
                        }
                    ],
                }
            ]
        },
    )

    type: str = Field(description="a URI naming the kind of problem")
    title: str = Field(description="short, the same for every problem of this kind")
    status: int = Field(ge=100, le=599, description="the HTTP status")
    detail: str = Field(description="what is wrong, in a sentence a person can act on")
    instance: str | None = Field(default=None, description="the path that was asked for")
    errors: list[FieldProblem] | None = Field(
        default=None, description="the fields at fault (the first 100)"
    )
    errors_total: int | None = Field(
        default=None, description="how many fields are at fault, when more than are listed"
    )
    current_etag: str | None = Field(
        default=None,
        description="412 and 428: the record's ETag now (null when there is no record); "
        "read the record again before writing with it",
    )


# -- records ------------------------------------------------------------------------------------


def _version() -> Any:
    """A record's version field: answered in the body and as the ETag, never sent back (the
    request bodies forbid it), hence ``readOnly`` for generated clients."""
    return Field(
        ge=1,
        description="the record's version: 1 when written first, one more on each change; "
        'its `ETag` is `"v<version>"`. Read-only: leave it out of a `PUT` body',
        json_schema_extra={"readOnly": True},
    )


class ChildRecord(ChildIn):
    """A child: the columns of children.csv. ``race`` and ``hispanic`` are absent for
    coordinators (they are for disparity monitoring, never for matching)."""

    model_config = _RECORD

    id: str
    school_community_id: str | None = None
    version: int = _version()


class HomeRecord(HomeIn):
    """A home: the columns of homes.csv and its community."""

    model_config = _RECORD

    id: str
    community_id: str | None = None
    version: int = _version()


class ApplicantRecord(ApplicantIn):
    """An applicant: the columns of applicants.csv and their community."""

    model_config = _RECORD

    id: str
    community_id: str | None = None
    version: int = _version()


class PartnerRecord(PartnerIn):
    """A partner organisation: the columns of partners.csv and its community."""

    model_config = _RECORD

    id: str
    community_id: str | None = None
    version: int = _version()


class CommunityRecord(CommunityIn):
    """A community: its name, child population and GeoJSON geometry."""

    model_config = _RECORD

    id: str
    version: int = _version()


class EpisodeRecord(EpisodeIn):
    """An episode in care: the columns of episodes.csv and the removal address's community."""

    model_config = _RECORD

    id: int
    child_id: str
    removed_on: date
    removal_community_id: str | None = None
    version: int = _version()


class PlacementRecord(PlacementIn):
    """A placement: the columns of placements.csv."""

    model_config = _RECORD

    id: int
    child_id: str
    setting: Setting
    started_on: date
    version: int = _version()


def _next_page() -> Any:
    """A page's ``next`` field: the ``after`` of the following page, as ``Link`` says."""
    return Field(
        description="give it as `after` to read the next page; null on the last page (the "
        "same link is in the `Link` header, rel=next)"
    )


def _page_of(record: type[BaseModel], plural: str) -> type[BaseModel]:
    """The model of a page of ``record``s: ``{items, next}`` (named e.g. ``ChildPage``)."""
    name = record.__name__.removesuffix("Record") + "Page"
    next_key = _next_page()
    page: type[BaseModel] = create_model(
        name,
        __doc__=f"A page of {plural}.",
        __module__=__name__,
        items=(list[record], ...),  # type: ignore[valid-type]
        next=(str | None, next_key),
    )
    return page


ChildPage = _page_of(ChildRecord, "children")
HomePage = _page_of(HomeRecord, "homes")
ApplicantPage = _page_of(ApplicantRecord, "applicants")
PartnerPage = _page_of(PartnerRecord, "partner organisations")
CommunityPage = _page_of(CommunityRecord, "communities")
EpisodePage = _page_of(EpisodeRecord, "episodes")
PlacementPage = _page_of(PlacementRecord, "placements")


class ImportedFile(BaseModel):
    """What the import did with one file's rows."""

    model_config = _OUT

    rows: int
    inserted: int
    updated: int
    unchanged: int


class ImportReport(BaseModel):
    """A bulk import, done (all or nothing): the counts per file and the repairs made."""

    model_config = _OUT

    imported: bool
    files: dict[str, ImportedFile] = Field(description="file name -> what was done with it")
    repairs: list[str] = Field(description="repairable problems the import fixed, in words")


# -- messages and matching ----------------------------------------------------------------------


class I18nMessage(BaseModel):
    """A sentence as a key and its values, for translation (the English is beside it)."""

    model_config = _OUT

    key: str = Field(examples=["kinship.none"])
    args: dict[str, Any] = Field(
        description="the values; a value may itself be a message ({key, args}) or a list"
    )


class Factor(BaseModel):
    """One scoring factor of a home for the children."""

    model_config = _OUT

    name: str
    value: float
    weight: float
    contribution: float
    reason: str
    reason_i18n: I18nMessage


class NearMiss(BaseModel):
    """A home kept out by one rule it nearly meets (kin homes first)."""

    model_config = _OUT

    home_id: str
    rule: str
    detail: str
    kin: bool
    detail_i18n: I18nMessage


class Candidate(BaseModel):
    """A ranked home, with its reasons for and against."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    rank: int
    home_id: str
    score: float
    points: float
    takes_all_siblings: bool
    children: list[str]
    distance_km: float
    community: str | None
    community_id: str | None
    kin: bool
    licensed: bool
    icwa_tier: int | None
    icwa_tiers: dict[str, int] = Field(description="ICWA child id -> this home's tier for them")
    good_cause_required: bool
    good_cause_reason: str | None
    good_cause_reason_i18n: I18nMessage | None
    factors: list[Factor]
    reasons_for: list[str] = Field(alias="for")
    against: list[str]
    for_i18n: list[I18nMessage]
    against_i18n: list[I18nMessage]


class Waiting(BaseModel):
    """A child matched: how long they have waited, an 18th birthday near, ICWA."""

    model_config = _OUT

    child_id: str
    waited_days: int | None
    turns_18_on: str | None = Field(description="YYYY-MM-DD when within 180 days, else null")
    icwa: bool
    best_icwa_tier: int | None
    best_icwa_home: str | None


class MatchResult(BaseModel):
    """Ranked, explained homes for a child and their waiting siblings."""

    model_config = _OUT

    children: list[str]
    eligible_homes: int
    excluded: dict[str, int] = Field(description="rule -> homes it kept out")
    near_misses: list[NearMiss]
    candidates: list[Candidate]
    homes: int
    whole_group_homes: int
    not_whole: dict[str, int]
    icwa_tier: int | None
    suggestions: list[str]
    notes: list[str]
    message: str | None
    waiting: list[Waiting]
    as_of: str
    suggestions_i18n: list[I18nMessage]
    notes_i18n: list[I18nMessage]
    message_i18n: I18nMessage | None
    alternatives: list[Candidate]
    conflicts: list[str]
    conflicts_i18n: list[I18nMessage]


# -- plans --------------------------------------------------------------------------------------


class Assignment(BaseModel):
    """A child placed in a home by the plan, explained."""

    model_config = _OUT

    child_id: str
    home_id: str
    score: float
    points: float
    distance_km: float
    kin: bool
    own_community: bool
    waited_days: int | None
    good_cause_required: bool
    good_cause_reason: str | None
    good_cause_reason_i18n: I18nMessage | None
    factors: list[Factor]


class Unplaced(BaseModel):
    """A child the plan could not place, with the reasons."""

    model_config = _OUT

    child_id: str
    waited_days: int | None
    reasons: list[str]
    reasons_i18n: list[I18nMessage]


class PlanConflict(BaseModel):
    """A family where two rules could not both hold, and what the plan did."""

    model_config = _OUT

    child_ids: list[str]
    kind: str = Field(examples=["icwa_vs_siblings"])
    message: str
    message_i18n: I18nMessage


class LongWaiting(BaseModel):
    """Children who waited over a year, and how many of them are placed."""

    model_config = _OUT

    children: int
    placed: int


class PlanFigures(BaseModel):
    """A plan's summary figures."""

    model_config = _OUT

    children: int
    placed: int
    sibling_groups: int | None = None
    sibling_groups_whole: int | None = None
    own_community: int | None = None
    mean_distance_km: float | None = None
    kin: int | None = None
    long_waiting: LongWaiting | None = None
    non_kin_mean_distance_km: float | None = None


class PlanSummary(PlanFigures):
    """The plan's figures and its conflicts."""

    conflicts: list[PlanConflict] = []


class BaselineAssignment(BaseModel):
    """A placement of the greedy baseline."""

    model_config = _OUT

    child_id: str
    home_id: str
    distance_km: float
    kin: bool
    own_community: bool


class Violation(BaseModel):
    """A rule the greedy baseline broke (today's practice may; a plan never does)."""

    model_config = _OUT

    kind: str = Field(examples=["siblings_split"])
    children: list[str]
    home_id: str | None
    message: str


class PlanResult(BaseModel):
    """A validated placement plan with its explanations."""

    model_config = _OUT

    method: Literal["cp-sat", "greedy"]
    status: str = Field(examples=["optimal"])
    objective: int | None
    bound: int | None
    gap: float | None
    runtime_s: float
    seed: int
    assignments: list[Assignment]
    unplaced: list[Unplaced]
    summary: PlanSummary
    notes: list[str] = []
    notes_i18n: list[I18nMessage] = []
    baseline: PlanFigures | None = None
    baseline_assignments: list[BaselineAssignment] = []
    violations: list[Violation] | None = Field(
        default=None, description="present when the greedy baseline broke a rule"
    )


class PlanParams(BaseModel):
    """What the plan was asked for."""

    model_config = _OUT

    time_limit_s: float
    seed: int
    as_of: str | None
    baseline: Literal["greedy"] | None


class PlanProgress(BaseModel):
    """How far a plan job is."""

    model_config = _OUT

    stage: str
    fraction: float
    message: str | None = None


class PlanJob(BaseModel):
    """A plan job: its status and progress; the plan once ``done``, the error if ``failed``."""

    model_config = _OUT

    id: str
    status: Literal["queued", "running", "done", "failed"]
    params: PlanParams
    progress: PlanProgress
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    result: PlanResult | None = Field(default=None, description="present once done")
    error: str | None = Field(default=None, description="present when failed")


# -- decisions ----------------------------------------------------------------------------------


class DecisionPlacement(BaseModel):
    """A placement a decision made."""

    model_config = _OUT

    child_id: str
    home_id: str
    placement_id: int
    setting: str
    started_on: str
    engine_rank: int | None
    top_ranked_home: str | None


class DecisionParticipant(BaseModel):
    """Someone who took part in the decision."""

    model_config = _OUT

    role: str
    name: str | None


class EndedPlacement(BaseModel):
    """A placement the decision ended (the child moved)."""

    model_config = _OUT

    child_id: str
    setting: str
    started_on: str


class Decision(BaseModel):
    """A recorded team decision and the placements it made."""

    model_config = _OUT

    id: int
    created_at: str
    placements: list[DecisionPlacement]
    participants: list[DecisionParticipant]
    options_shown: list[str]
    reason: str | None
    icwa_good_cause: str | None
    ended: list[EndedPlacement] = Field(description="the placements this decision ended")


class DecisionPage(BaseModel):
    """A page of recorded decisions, oldest first."""

    model_config = _OUT

    items: list[Decision]
    next: int | None = _next_page()


# -- the changes feed and webhooks ---------------------------------------------------------------


class Change(BaseModel):
    """One committed change, as the feed lists it and a webhook receives it."""

    model_config = _OUT

    id: str = Field(description="the event id, `evt_<seq>`: the same in the feed and a delivery")
    seq: int = Field(description="its place in commit order")
    kind: str = Field(examples=["decision.recorded", "home.updated"])
    at: str = Field(description="when it was committed (ISO 8601, UTC)")
    entity: str = Field(examples=["decision", "home"])
    entity_id: str | None = Field(description="the id of the record or decision it concerns")
    payload: dict[str, Any] = Field(
        description="ids and field names of what changed, never a record's values"
    )


class ChangesPage(BaseModel):
    """A page of the changes feed, in commit order."""

    model_config = _OUT

    items: list[Change]
    next: int = Field(
        description="the cursor to ask with next (`after`), also when the page is empty; the "
        "`Link` header is that request"
    )
    has_more: bool = Field(description="more changes are committed after this page already")


class Webhook(BaseModel):
    """A receiver of the changes and how far delivery to it has got (never its secret)."""

    model_config = _OUT

    id: int
    url: str
    events: list[str] = Field(description="the change kinds it receives; empty: every kind")
    description: str | None
    created_at: str
    delivered_through: int = Field(description="the `seq` of the last change delivered")
    failures: int = Field(description="failed attempts in a row at the next change")
    next_attempt_at: str | None = Field(description="when delivery is tried again, if waiting")
    previous_secret_valid_until: str | None = Field(
        description="until when the previous secret also signs (after a rotation)"
    )


class WebhookWithSecret(Webhook):
    """A webhook just registered or rotated, with its new secret (shown this once)."""

    secret: str = Field(description="the key of the `Fostermatch-Signature`; keep it")


class WebhookPage(BaseModel):
    """The registered webhooks, oldest first."""

    model_config = _OUT

    items: list[Webhook]


class Delivery(BaseModel):
    """One attempt to deliver a change to a webhook."""

    model_config = _OUT

    id: int
    event_id: str
    seq: int
    kind: str
    attempt: int = Field(description="1 for the first attempt at this change, then 2, ...")
    at: str
    status_code: int | None = Field(description="the receiver's answer; null when none came")
    error: str | None = Field(description="why the attempt failed, when it did")
    duration_ms: int | None = Field(description="how long the receiver took to answer")
    delivered: bool


class DeliveryPage(BaseModel):
    """A page of a webhook's delivery attempts, oldest first."""

    model_config = _OUT

    items: list[Delivery]
    next: int | None = _next_page()


# -- recruitment, outcomes, audit, health -------------------------------------------------------


class GapScenario(BaseModel):
    """The policy's planning assumptions behind the gaps."""

    model_config = _OUT

    family_share: float
    kin_share: float
    own_community_target: float
    service_level: float
    interval: float
    usable_share: float
    choice_factor: float


class GapSuppression(BaseModel):
    """Which figures are not published, and why."""

    model_config = _OUT

    threshold: int
    suppressed_rows: int
    note: str


class OutreachPartner(BaseModel):
    """A partner organisation to recruit through."""

    model_config = _OUT

    id: str
    name: str
    kind: str
    community: str | None
    languages: list[str]
    in_community: bool
    score: float
    contact: str | None = Field(default=None, description="how to reach them, as recorded")


class GapRow(BaseModel):
    """One community (or the whole area) and segment: need, supply and the gap.

    The figures are null when suppressed (1 to the threshold children).
    """

    model_config = _OUT

    community: str
    name: str | None
    segment: str
    suppressed: bool
    entries_history: float | None
    entries: float | None
    census: float | None
    need_children: float | None
    need_homes: float | None
    need_low: float | None
    need_high: float | None
    homes: float | None
    accepting_homes: float | None = Field(
        default=None,
        description="open homes that took a placement or accepted an offer in the last 12 months",
    )
    not_accepting_homes: float | None = Field(
        default=None, description="open homes that said yes to nothing in the last 12 months"
    )
    free_beds: float | None
    closures: float | None
    pipeline: float | None
    supply: float | None
    gap: float | None
    gap_low: float | None
    gap_high: float | None
    target_homes: float | None
    inquiries: float | None
    unmet_children: float | None
    binding_rule: str | None
    need_tier2: float | None = None
    homes_tier2: float | None = None
    gap_tier2: float | None = None
    need_tier3: float | None = None
    homes_tier3: float | None = None
    gap_tier3: float | None = None
    need_tier4: float | None = None
    homes_tier4: float | None = None
    gap_tier4: float | None = None
    partners: list[OutreachPartner]


class GapReport(BaseModel):
    """Capacity gaps per community and segment, with the assumptions behind them."""

    model_config = _OUT

    as_of: str
    horizon_months: int
    segment: str | None
    community: str | None
    scenario: GapScenario
    estimates: dict[str, Any] = Field(
        description="what the projection estimated from the history (rates, stays, trend)"
    )
    suppression: GapSuppression
    gaps: list[GapRow]
    totals: list[GapRow]


class GapFeature(BaseModel):
    """One community's gap row as a GeoJSON feature (its geometry in lon, lat order)."""

    model_config = _OUT

    type: Literal["Feature"]
    id: str
    properties: GapRow
    geometry: dict[str, Any] | None = Field(description="a GeoJSON geometry")


class GapFeatures(BaseModel):
    """The gaps of one segment as a GeoJSON FeatureCollection, one feature per community."""

    model_config = _OUT

    type: Literal["FeatureCollection"]
    features: list[GapFeature]


class OutcomePeriod(BaseModel):
    """The period measured."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    date_from: str = Field(alias="from")
    to: str
    as_of: str


class OutcomeMeasure(BaseModel):
    """What a measure means."""

    model_config = _OUT

    key: str
    name: str
    unit: str
    lower_is_better: bool | None
    definition: str


class Disparity(BaseModel):
    """A group's figure against the reference group's."""

    model_config = _OUT

    reference: str | None
    index: float | None
    low: float | None
    high: float | None
    risk_difference: float | None
    risk_difference_low: float | None
    risk_difference_high: float | None
    disproportionality: float | None


class OutcomeCell(BaseModel):
    """A measure's value for everyone, a group or a year (null when suppressed)."""

    model_config = _OUT

    value: float | None
    numerator: int | None
    denominator: int | None
    children: int | None
    suppressed: bool
    unreliable: bool
    disparity: Disparity | None = None


class OutcomeYear(OutcomeCell):
    """A measure's value in one year."""

    year: int


class OutcomeGroup(BaseModel):
    """One group of a breakdown: its measures."""

    model_config = _OUT

    group: str
    name: str
    measures: dict[str, OutcomeCell]


class OutcomeBreakdown(BaseModel):
    """The groups of one breakdown, against a reference group."""

    model_config = _OUT

    reference: str | None
    groups: list[OutcomeGroup]


class OutcomeTrends(BaseModel):
    """Each measure year by year, and its direction."""

    model_config = _OUT

    years: list[int]
    measures: dict[str, list[OutcomeYear]]
    direction: dict[str, str | None]


class OutcomeReport(BaseModel):
    """Outcome measures for a period, overall and by group, with disparities and trends."""

    model_config = _OUT

    period: OutcomePeriod
    suppress_below: int
    measures: list[OutcomeMeasure]
    overall: dict[str, OutcomeCell]
    breakdowns: dict[str, OutcomeBreakdown]
    trends: OutcomeTrends
    notes: list[str]


class AuditEntry(BaseModel):
    """One entry of the audit log, chained to the one before by its hash."""

    model_config = _OUT

    id: int
    at: str
    key_id: int | None
    key_label: str | None
    role: str | None
    action: str
    resource: str | None
    child_ids: list[str]
    detail: str | None
    record_id: str | None
    fields: list[str]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    """A page of the audit log, oldest first."""

    items: list[AuditEntry]
    next: int | None = Field(
        description="give it as `after` to read the next page; null on the last page"
    )


class Health(BaseModel):
    """Whether the service and its database are ready."""

    model_config = _OUT

    status: Literal["ok"]
    database: str = Field(examples=["sqlite", "postgresql"])
    schema_current: bool


class Liveness(BaseModel):
    """The process answers (it reads nothing)."""

    model_config = _OUT

    status: Literal["live"]


class Readiness(BaseModel):
    """The database answers and its schema is the latest: the service can take requests."""

    model_config = _OUT

    status: Literal["ready"]
    database: str = Field(examples=["sqlite", "postgresql"])
    schema_revision: str = Field(alias="schema", description="the database's schema revision")


class Offer(BaseModel):
    """A recorded call to a family about a child or a sibling group."""

    model_config = _OUT

    id: int
    child_ids: list[str]
    home_id: str
    outcome: str
    reason: str | None
    note: str | None
    at: str = Field(description="when the call was made (ISO 8601)")
    called_by: str = Field(description="the key or person who recorded it")
    recorded_at: str


class OfferList(BaseModel):
    """Offers, the most recent call first."""

    model_config = _OUT

    items: list[Offer]
