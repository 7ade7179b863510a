"""The records: SQLModel tables for every file of the folder format (README, "The folder
format").

Lists (languages, needs, capabilities, ids) are JSON arrays; booleans are booleans; dates are
dates. Columns named ``*_community_id`` are derived on import: the community whose polygon
contains the point. Episodes and placements have no id in the files, so they carry a
surrogate integer key and a unique natural key (child and start date; for placements also the
setting and home), which is what import upserts by.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

__all__ = [
    "OPEN_FAMILY_PLACEMENT",
    "ApiKey",
    "Applicant",
    "AuditEntry",
    "ChangeCounter",
    "ChangeEntry",
    "Child",
    "Community",
    "Decision",
    "DecisionParticipant",
    "Episode",
    "Home",
    "IdempotencyKey",
    "Offer",
    "OfferChild",
    "Partner",
    "Placement",
    "PlanJob",
    "SiblingGroup",
    "Webhook",
    "WebhookDelivery",
]


def _list_column() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def _version() -> Any:
    # a record's version: 1 when written first, one more on every change (data/upsert.py);
    # the API's ETag and If-Match compare it
    return Field(default=1, sa_column_kwargs={"server_default": "1", "nullable": False})


class Community(SQLModel, table=True):
    """A community area: its name, child population (0-17) and polygon as GeoJSON text."""

    __tablename__ = "communities"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    child_population: int | None = None
    # the GeoJSON geometry object, serialised; repaired with make_valid when it was invalid
    geometry: str = Field(sa_column=Column(Text, nullable=False))
    version: int = _version()


class SiblingGroup(SQLModel, table=True):
    """A group of brothers and sisters in care; members point to it from ``children``."""

    __tablename__ = "sibling_groups"

    id: str = Field(primary_key=True, max_length=64)


class Home(SQLModel, table=True):
    """A kin, foster, therapeutic or pre-adoptive family home with its licence and offer."""

    __tablename__ = "homes"

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=20)
    status: str = Field(max_length=20, index=True)
    latitude: float
    longitude: float
    community_id: str | None = Field(default=None, foreign_key="communities.id", index=True)
    capacity: int
    age_min: int | None = None
    age_max: int | None = None
    accepts_sex: str | None = Field(default=None, max_length=10)
    max_siblings: int | None = None
    capabilities: list[str] = _list_column()
    languages: list[str] = _list_column()
    religion: str | None = Field(default=None, max_length=100)
    cultural_offers: list[str] = _list_column()
    tribe: str | None = Field(default=None, max_length=200)
    tribe_licensed: bool | None = None
    kin_of: list[str] = _list_column()
    kin_relationship: str | None = Field(default=None, max_length=100)
    licensed_on: date | None = None
    closed_on: date | None = None
    closed_reason: str | None = Field(default=None, max_length=100)
    version: int = _version()


class Child(SQLModel, table=True):
    """A child known to the agency. Race and Hispanic origin are for outcome monitoring only."""

    __tablename__ = "children"

    id: str = Field(primary_key=True, max_length=64)
    birth_date: date
    sex: str = Field(max_length=10)
    race: list[str] = _list_column()
    hispanic: str | None = Field(default=None, max_length=10)
    languages: list[str] = _list_column()
    religion: str | None = Field(default=None, max_length=100)
    cultural_needs: list[str] = _list_column()
    tribe: str | None = Field(default=None, max_length=200)
    icwa: str | None = Field(default=None, max_length=20)
    needs: list[str] = _list_column()
    sibling_group_id: str | None = Field(default=None, foreign_key="sibling_groups.id", index=True)
    separate_from: list[str] = _list_column()
    excluded_homes: list[str] = _list_column()
    school_latitude: float | None = None
    school_longitude: float | None = None
    school_community_id: str | None = Field(default=None, foreign_key="communities.id")
    version: int = _version()


class Episode(SQLModel, table=True):
    """A stay in care, from removal to discharge (open while ``discharged_on`` is empty)."""

    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("child_id", "removed_on", name="uq_episodes_child_removed"),)

    id: int | None = Field(default=None, primary_key=True)
    child_id: str = Field(foreign_key="children.id", index=True)
    removed_on: date
    removal_latitude: float
    removal_longitude: float
    removal_community_id: str | None = Field(default=None, foreign_key="communities.id", index=True)
    discharged_on: date | None = Field(default=None, index=True)
    discharge_reason: str | None = Field(default=None, max_length=20)
    version: int = _version()


# An open family placement: not ended, in a family home (pre-adoptive, kin or foster; the
# settings whose placements name a home). A child has at most one: the database refuses a
# second (index uq_placements_one_open_family), whatever path the write takes.
OPEN_FAMILY_PLACEMENT = (
    "ended_on IS NULL AND setting IN ('pre_adoptive', 'kin_home', 'foster_home')"
)


class Placement(SQLModel, table=True):
    """Where a child lived during an episode; ``home_id`` is set for family settings.

    ``capacity_waiver`` is the case system's reason for a placement that put more children in
    the home than its beds (what really happened, recorded rather than refused).
    """

    __tablename__ = "placements"
    __table_args__ = (
        UniqueConstraint(
            "child_id", "started_on", "setting", "home_id", name="uq_placements_natural"
        ),
        Index(
            "uq_placements_one_open_family",
            "child_id",
            unique=True,
            sqlite_where=text(OPEN_FAMILY_PLACEMENT),
            postgresql_where=text(OPEN_FAMILY_PLACEMENT),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    child_id: str = Field(foreign_key="children.id", index=True)
    setting: str = Field(max_length=20)
    home_id: str | None = Field(default=None, foreign_key="homes.id", index=True)
    started_on: date
    ended_on: date | None = Field(default=None, index=True)
    end_reason: str | None = Field(default=None, max_length=100)
    capacity_waiver: str | None = Field(default=None, max_length=500)
    version: int = _version()


class Applicant(SQLModel, table=True):
    """A prospective foster family somewhere in the recruitment pipeline."""

    __tablename__ = "applicants"

    id: str = Field(primary_key=True, max_length=64)
    stage: str = Field(max_length=20)
    stage_on: date
    latitude: float | None = None
    longitude: float | None = None
    community_id: str | None = Field(default=None, foreign_key="communities.id", index=True)
    interests: list[str] = _list_column()
    languages: list[str] = _list_column()
    version: int = _version()


class Partner(SQLModel, table=True):
    """A community partner organisation that helps recruit families."""

    __tablename__ = "partners"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    latitude: float
    longitude: float
    community_id: str | None = Field(default=None, foreign_key="communities.id", index=True)
    languages: list[str] = _list_column()
    contact: str | None = Field(default=None, max_length=200)
    version: int = _version()


class ChangeCounter(SQLModel, table=True):
    """A counter bumped by every write of records, so a worker can tell its snapshot is stale."""

    __tablename__ = "change_counters"

    name: str = Field(primary_key=True, max_length=50)
    value: int = 0


# -- the service's own tables (issue 5: keys, audit, decisions, plan jobs) ---------------------


def _timestamp(**kwargs: Any) -> Any:
    # timezone-aware on PostgreSQL; SQLite stores the UTC text
    return Field(sa_column=Column(DateTime(timezone=True), **kwargs))


class ApiKey(SQLModel, table=True):
    """A bearer API key: only a SHA-256 hash of the secret is kept, with a prefix to find it."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(max_length=16, unique=True, index=True)
    key_hash: str = Field(max_length=64)
    role: str = Field(max_length=20)
    label: str = Field(max_length=200)
    created_at: datetime = _timestamp(nullable=False)
    revoked_at: datetime | None = _timestamp(nullable=True)


class AuditEntry(SQLModel, table=True):
    """One read of child records or one write: who (key), what (action, ids, fields), when.

    Entries are chained: ``hash`` covers the entry and ``prev_hash``, the previous entry's
    hash (data/audit_chain.py). The unique ``prev_hash`` keeps the chain a line: two entries
    can never claim the same predecessor.
    """

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _timestamp(nullable=False, index=True)
    key_id: int | None = Field(default=None, foreign_key="api_keys.id", index=True)
    key_label: str = Field(max_length=200)
    role: str = Field(max_length=20)
    action: str = Field(max_length=50, index=True)
    # the kind of record read ("child", "episode", "placement", "plan", "decision")
    resource: str = Field(max_length=30)
    child_ids: list[str] = _list_column()
    detail: str | None = Field(default=None, max_length=500)
    # the record written ("C1", "C1/2024-01-01" for an episode, a decision's or a job's id)
    record_id: str | None = Field(default=None, max_length=200)
    # the names of the fields a write changed; never their values
    fields: list[str] = _list_column()
    prev_hash: str = Field(max_length=64, unique=True, index=True)
    hash: str = Field(max_length=64)


class Decision(SQLModel, table=True):
    """A team's placement decision: what was chosen, what was shown, and why."""

    __tablename__ = "decisions"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _timestamp(nullable=False)
    key_id: int | None = Field(default=None, foreign_key="api_keys.id")
    # [{"child_id", "home_id", "placement_id", "engine_rank"}]: the placements it created
    placements: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    options_shown: list[str] = _list_column()
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    icwa_good_cause: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class DecisionParticipant(SQLModel, table=True):
    """Who took part in a decision, by role (caseworker, birth parent, youth, ...)."""

    __tablename__ = "decision_participants"

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decisions.id", index=True)
    role: str = Field(max_length=30)
    name: str | None = Field(default=None, max_length=200)


class PlanJob(SQLModel, table=True):
    """A placement plan computed in the background: its status, progress and result JSON."""

    __tablename__ = "plan_jobs"

    id: str = Field(primary_key=True, max_length=32)
    status: str = Field(max_length=20, index=True)  # queued, running, done, failed
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    progress: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    key_id: int | None = Field(default=None, foreign_key="api_keys.id")
    # who asked: the role and the caller's label (a key's, or "oidc:<subject>" for a person
    # signed in at the identity provider, who has no key); the plan limits count by them
    role: str | None = Field(default=None, max_length=20, index=True)
    requested_by: str | None = Field(default=None, max_length=200)
    worker: str = Field(max_length=200)  # host:pid of the process running it
    created_at: datetime = _timestamp(nullable=False)
    started_at: datetime | None = _timestamp(nullable=True)
    finished_at: datetime | None = _timestamp(nullable=True)


class IdempotencyKey(SQLModel, table=True):
    """A POST's ``Idempotency-Key`` and the answer it got, so a retry gets the same answer.

    ``status`` is None while the first request is still being answered (a retry meanwhile is
    refused); the stored answer is written in the transaction of the work it reports.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("caller", "key", name="uq_idempotency_keys_caller_key"),)

    id: int | None = Field(default=None, primary_key=True)
    # who sent it: "key:<api key id>" or "oidc:<subject>"; one caller's keys never answer another
    caller: str = Field(max_length=200)
    key: str = Field(max_length=255)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    request_hash: str = Field(max_length=64)  # SHA-256 of the request body, hex
    # one more each time a retry takes over a claim whose request died: only the request
    # holding the current attempt may store the answer
    attempt: int = 1
    status: int | None = None
    headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _timestamp(nullable=False, index=True)


# -- offers: the calls to families about a child (issue 19) ---------------------------------


class Offer(SQLModel, table=True):
    """A call to a family about a child (or a sibling group) and how it ended.

    ``outcome`` is one of ``core.codes.OFFER_OUTCOMES``; ``reason`` one of
    ``DECLINE_REASONS``, required when the family declined. ``at`` is when the call was
    made; ``called_by`` the label of the key or person who recorded it.
    """

    __tablename__ = "offers"

    id: int | None = Field(default=None, primary_key=True)
    home_id: str = Field(foreign_key="homes.id", index=True)
    at: datetime = _timestamp(nullable=False, index=True)
    outcome: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=30)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    key_id: int | None = Field(default=None, foreign_key="api_keys.id")
    called_by: str = Field(max_length=200)
    recorded_at: datetime = _timestamp(nullable=False)


class OfferChild(SQLModel, table=True):
    """A child an offer was about (one row per child of the group offered together)."""

    __tablename__ = "offer_children"
    __table_args__ = (UniqueConstraint("offer_id", "child_id", name="uq_offer_children"),)

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="offers.id", index=True)
    child_id: str = Field(foreign_key="children.id", index=True)


# -- the change log and the webhooks fed from it (data/changes.py, api/services/webhooks.py) ---


class ChangeEntry(SQLModel, table=True):
    """One committed change: its place in commit order, its kind, the entity and what changed.

    ``seq`` is allocated from the ``changes`` counter in the change's own transaction, which
    holds that counter's row until it commits: sequence order is commit order (data/changes.py).
    The payload holds ids and field names, never a record's values.
    """

    __tablename__ = "changes"

    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    at: datetime = _timestamp(nullable=False)
    kind: str = Field(max_length=50, index=True)  # child.updated, decision.recorded, ...
    entity: str = Field(max_length=30)  # child, home, ..., decision, import, plan
    entity_id: str | None = Field(default=None, max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Webhook(SQLModel, table=True):
    """A receiver of the changes: where to POST, which kinds, and how far delivery has got.

    The secret is kept as it was given out (the deliverer signs with it; a hash would not do).
    ``delivered_through`` is the last change handled (delivered, or not of a kind asked for):
    the next delivery is the first matching change after it, so each webhook gets its changes
    in order, and a receiver that fails holds its own queue only.
    """

    __tablename__ = "webhooks"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    events: list[str] = _list_column()  # change kinds (or "decision.*", "*"); empty: every kind
    description: str | None = Field(default=None, max_length=500)
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_until: datetime | None = _timestamp(nullable=True)
    key_id: int | None = Field(default=None, foreign_key="api_keys.id")
    created_at: datetime = _timestamp(nullable=False)
    delivered_through: int = 0
    failures: int = 0  # failed attempts at the next change (the backoff counts them)
    next_attempt_at: datetime | None = _timestamp(nullable=True)
    # a deliverer holds a webhook while it posts; another deliverer skips it until then
    lease_until: datetime | None = _timestamp(nullable=True)


class WebhookDelivery(SQLModel, table=True):
    """One attempt to deliver one change to one webhook: when, the answer, or the error."""

    __tablename__ = "webhook_deliveries"

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhooks.id", index=True)
    seq: int
    event_id: str = Field(max_length=40)
    kind: str = Field(max_length=50)
    attempt: int  # 1 for the first attempt at this change
    at: datetime = _timestamp(nullable=False)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int | None = None
    delivered: bool = False
