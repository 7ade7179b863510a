"""Plan jobs are limited per key and per role (429 with Retry-After) and their time limits
are capped by role (422 naming the field), through the API and the plan page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.http.app import create_app
from api.http.problems import PROBLEM_JSON
from api.services.errors import TooMany
from api.services.keys import Principal, create_key, lookup
from api.services.plan_jobs import create_job
from api.services.plan_quota import PER_KEY_ENV, PER_ROLE_ENV, TIME_CAP_S, PlanQuota, admitting
from data.db import session_scope
from data.models import PlanJob
from tests.helpers.auth import bearer
from tests.helpers.pages import count_rows, csrf_of, sign_in


def _queue(engine: Engine, key: str, count: int, *, age_s: float = 0.0, limit: float = 30) -> None:
    """Store ``count`` queued plan jobs of ``key`` (as if its worker had not taken them yet),
    created ``age_s`` seconds ago."""
    with session_scope(engine) as session:
        principal = lookup(session, key)
        assert principal is not None
        for _ in range(count):
            job = create_job(session, {"time_limit_s": limit, "seed": 0}, principal)
            job.created_at = datetime.now(UTC) - timedelta(seconds=age_s)


def _another(engine: Engine, role: str) -> str:
    with session_scope(engine) as session:
        return create_key(session, role, f"another {role}")[1]


def test_a_key_may_have_two_plans_at_once(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """With two plans of a key queued, its third answers 429 with Retry-After (the soonest
    one's time limit) and a problem body; another key of the same role is still served."""
    coordinator = keys["coordinator"]
    _queue(api_engine, coordinator, 2, limit=30)
    refused = client.post("/v1/plans", json={"time_limit_s": 5}, headers=bearer(coordinator))
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == PROBLEM_JSON
    assert 1 <= int(refused.headers["retry-after"]) <= 30
    assert "this key has 2 plan(s) queued or running already" in refused.json()["detail"]
    other = _another(api_engine, "coordinator")
    assert client.post("/v1/plans", json={}, headers=bearer(other)).status_code == 202


def test_a_role_may_have_four_plans_at_once(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """Four plans queued by two coordinators' keys: a third coordinator gets 429 naming the
    role; an administrator is not held back by the coordinators."""
    for _ in range(2):
        _queue(api_engine, _another(api_engine, "coordinator"), 2)
    refused = client.post("/v1/plans", json={}, headers=bearer(keys["coordinator"]))
    assert refused.status_code == 429
    assert "the coordinator role (all its keys together)" in refused.json()["detail"]
    assert "retry-after" in refused.headers
    assert client.post("/v1/plans", json={}, headers=bearer(keys["admin"])).status_code == 202


def test_a_plan_past_its_deadline_no_longer_counts(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """Jobs left queued by a worker gone hours ago do not block their key."""
    _queue(api_engine, keys["coordinator"], 2, age_s=3 * 3600)
    assert client.post("/v1/plans", json={}, headers=bearer(keys["coordinator"])).status_code == 202


@pytest.mark.parametrize(("role", "asked", "status"), [
    ("coordinator", 60, 202),
    ("coordinator", 61, 422),
    ("admin", 600, 202),
    ("case_system", 600, 202),
])  # fmt: skip
def test_time_limits_are_capped_by_role(
    client: TestClient, keys: dict[str, str], role: str, asked: float, status: int
) -> None:
    """A coordinator's plan solves for at most 60 s, the case system's and an administrator's
    for at most 600 s; over the cap: 422 naming time_limit_s and the cap."""
    answer = client.post("/v1/plans", json={"time_limit_s": asked}, headers=bearer(keys[role]))
    assert answer.status_code == status, answer.text
    if status == 422:
        problem = answer.json()
        assert problem["errors"][0]["loc"] == ["body", "time_limit_s"]
        assert f"at most {TIME_CAP_S[role]:g} s" in problem["detail"]


def test_the_limits_come_from_the_environment(
    api_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FOSTERMATCH_PLAN_JOBS_PER_KEY/_PER_ROLE set the limits; a wrong value stops start-up
    with the variable's name."""
    monkeypatch.setenv(PER_KEY_ENV, "3")
    monkeypatch.setenv(PER_ROLE_ENV, "9")
    assert create_app(api_engine, run_plan_jobs=False).state.plan_quota == PlanQuota(3, 9)
    monkeypatch.setenv(PER_ROLE_ENV, "many")
    with pytest.raises(ValueError, match=PER_ROLE_ENV):
        create_app(api_engine, run_plan_jobs=False)


def test_the_plan_page_says_why_no_plan_started(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """The plan form starts two jobs: with one already queued for the key it answers a
    readable 429 page with Retry-After and starts nothing; a time limit over the cap gets a
    422 page."""
    sign_in(client, keys["coordinator"])
    token = csrf_of(client.get("/pages/plans").text)
    _queue(api_engine, keys["coordinator"], 1)
    before = count_rows(client, PlanJob)
    busy = client.post("/pages/plans", data={"time_limit_s": "5", **token})
    assert busy.status_code == 429 and "retry-after" in busy.headers
    assert "No plan was started: this key has 1 plan(s)" in busy.text
    assert 'role="alert"' in busy.text
    long = client.post("/pages/plans", data={"time_limit_s": "120", **token})
    assert long.status_code == 422 and "at most 60 s" in long.text
    assert count_rows(client, PlanJob) == before


def test_a_person_signed_in_at_the_provider_is_counted_too(api_engine: Engine) -> None:
    """A person from the identity provider has no API key: their plans count for them (by
    their label) and for their role, beside the keys of the role."""
    quota = PlanQuota(per_key=2, per_role=3)
    ann = Principal(None, "oidc:ann", "coordinator", subject="ann")
    bob = Principal(None, "oidc:bob", "coordinator", subject="bob")
    with session_scope(api_engine) as session, admitting(session, ann, quota, 2):
        for _ in range(2):
            create_job(session, {"time_limit_s": 30, "seed": 0}, ann)
    with (
        Session(api_engine) as session,
        pytest.raises(TooMany) as refused,
        admitting(session, ann, quota, 1),
    ):
        pass
    assert refused.value.retry_after_s and refused.value.detail.startswith(
        "you have 2 plan(s) queued or running already"
    )
    with session_scope(api_engine) as session, admitting(session, bob, quota, 1):
        create_job(session, {"time_limit_s": 30, "seed": 0}, bob)
    with (
        Session(api_engine) as session,
        pytest.raises(TooMany) as full,
        admitting(session, bob, quota, 1),
    ):
        pass
    assert "the coordinator role" in full.value.detail
