"""Offers through the API: recorded in one transaction, read back audited, refused naming the
field, and learnt by the ranking (rule ``declined``, the hold, the acceptance factor)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from api.services.offers import call_histories
from api.services.snapshots import records_version
from data.models import AuditEntry, ChangeEntry, Offer
from tests.helpers.auth import bearer

TODAY = datetime.now(UTC).date()


def _offer(**extra: Any) -> dict[str, Any]:
    return {"child_ids": ["C2"], "home_id": "H1", "outcome": "offered", **extra}


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(Offer)).scalar_one())


def test_a_decline_is_recorded_with_its_change_and_audit(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """201 with the offer and its id; the change log gets offer.recorded (the snapshots go
    stale) and the audit log an entry naming the child."""
    with Session(api_engine) as session:
        before = records_version(session)
    at = "2026-11-30T15:20:00+00:00"
    response = client.post(
        "/v1/offers",
        json=_offer(outcome="declined", reason="child_needs", note="medical care", at=at),
        headers=bearer(keys["coordinator"]),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body["id"], int)
    assert {k: body[k] for k in ("child_ids", "home_id", "outcome", "reason", "note", "at")} == {
        "child_ids": ["C2"],
        "home_id": "H1",
        "outcome": "declined",
        "reason": "child_needs",
        "note": "medical care",
        "at": at,
    }
    assert body["called_by"] and response.headers["Location"] == "/v1/homes/H1/offers"
    with Session(api_engine) as session:
        assert records_version(session) == before + 1
        change = session.execute(select(ChangeEntry).order_by(col(ChangeEntry.seq).desc()))
        last = change.scalars().first()
        audit = session.execute(select(AuditEntry).where(col(AuditEntry.action) == "offer"))
        entry = audit.scalars().one()
    assert last is not None and last.kind == "offer.recorded"
    assert last.payload["children"] == ["C2"] and "note" not in last.payload
    assert entry.child_ids == ["C2"] and entry.role == "coordinator"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (_offer(home_id="H9"), ["body", "home_id"], "unknown home 'H9'"),
        (_offer(home_id="H3"), ["body", "home_id"], "home H3 is closed"),
        (_offer(child_ids=["C3"]), ["body", "child_ids", 0], "C3 is not in care"),
        (_offer(child_ids=["C9"]), ["body", "child_ids", 0], "unknown child 'C9'"),
        (_offer(outcome="declined"), ["body", "reason"], "a decline needs a reason code"),
        (_offer(reason="distance"), ["body", "reason"], "with a decline only"),
        (_offer(outcome="maybe"), ["body", "outcome"], "offered"),
        (_offer(outcome="declined", reason="busy"), ["body", "reason"], "no_capacity_now"),
        (
            _offer(at=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
            ["body", "at"],
            "is in the future",
        ),
        (_offer(at="2023-12-31T10:00:00Z"), ["body", "at"], "before C2's removal on 2024-01-01"),
    ],
)
def test_bad_offers_are_422_naming_the_field_and_nothing_is_written(
    client: TestClient,
    keys: dict[str, str],
    api_engine: Engine,
    body: dict[str, Any],
    field: list[str | int],
    words: str,
) -> None:
    """Each wrong offer: 422, the field in the problem's errors, no offer stored."""
    response = client.post("/v1/offers", json=body, headers=bearer(keys["coordinator"]))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    found = [e for e in problem["errors"] if e["loc"] == field]
    assert found, problem
    assert words in found[0]["message"] or words in problem["detail"], problem
    assert _count(api_engine) == 0


def test_who_may_record_and_read_offers(client: TestClient, keys: dict[str, str]) -> None:
    """The decisions permission: coordinators, the case system and admins; not recruiters."""
    for role in ("coordinator", "case_system", "admin"):
        answer = client.post("/v1/offers", json=_offer(), headers=bearer(keys[role]))
        assert answer.status_code == 201, (role, answer.text)
    assert (
        client.post("/v1/offers", json=_offer(), headers=bearer(keys["recruiter"])).status_code
        == 403
    )
    assert client.get("/v1/homes/H1/offers", headers=bearer(keys["recruiter"])).status_code == 403


def test_the_offers_of_a_home_and_of_a_child_read_back_audited(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """The most recent call first; the reads name the children in the audit log; 404 for
    an unknown home or child."""
    headers = bearer(keys["coordinator"])
    for outcome, at in (
        ("no_answer", "2026-11-01T09:00:00Z"),
        ("accepted", "2026-11-02T09:00:00Z"),
    ):
        assert (
            client.post(
                "/v1/offers", json=_offer(outcome=outcome, at=at), headers=headers
            ).status_code
            == 201
        )
    home = client.get("/v1/homes/H1/offers", headers=headers)
    child = client.get("/v1/children/C2/offers?limit=1", headers=headers)
    assert home.status_code == 200 and child.status_code == 200
    assert [o["outcome"] for o in home.json()["items"]] == ["accepted", "no_answer"]
    assert [o["outcome"] for o in child.json()["items"]] == ["accepted"]
    assert client.get("/v1/homes/H2/offers", headers=headers).json() == {"items": []}
    assert client.get("/v1/homes/H9/offers", headers=headers).status_code == 404
    assert client.get("/v1/children/C9/offers", headers=headers).status_code == 404
    with Session(api_engine) as session:
        reads = (
            session.execute(select(AuditEntry).where(col(AuditEntry.action) == "list_offers"))
            .scalars()
            .all()
        )
    assert [r.child_ids for r in reads] == [["C2"], ["C2"], []]


def test_a_retry_with_the_same_key_records_one_offer(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """Idempotency-Key: the retry gets the first answer, and one offer is stored."""
    headers = {**bearer(keys["coordinator"]), "Idempotency-Key": "call-1"}
    one = client.post("/v1/offers", json=_offer(), headers=headers)
    two = client.post("/v1/offers", json=_offer(), headers=headers)
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] == two.json()["id"]
    assert two.headers["Idempotent-Replayed"] == "true"
    assert _count(api_engine) == 1


def test_the_ranking_learns_a_decline(client: TestClient, keys: dict[str, str]) -> None:
    """C2's top home H1 declines C2: the next match has H1 under rule declined, among the
    near misses with the day and the reason, never first."""
    headers = bearer(keys["coordinator"])
    before = client.post("/v1/matches", json={"child_id": "C2"}, headers=headers).json()
    assert before["candidates"][0]["home_id"] == "H1"
    declined = _offer(outcome="declined", reason="child_needs", at="2026-11-30T10:00:00Z")
    assert client.post("/v1/offers", json=declined, headers=headers).status_code == 201
    after = client.post("/v1/matches", json={"child_id": "C2"}, headers=headers).json()
    assert all(c["home_id"] != "H1" for c in after["candidates"])
    assert after["excluded"]["declined"] == 1
    miss = next(m for m in after["near_misses"] if m["home_id"] == "H1")
    assert miss["rule"] == "declined"
    day = "30 November" if TODAY.year == 2026 else "30 November 2026"
    assert miss["detail"] == f"declined on {day}: the child's needs"


def test_call_histories_count_the_last_answers_and_the_hold(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """H1: no answer, accepted, then no room now: 3 calls, 1 accepted, on hold since the
    last call; a later decline for another reason confirms it had room again."""
    headers = bearer(keys["coordinator"])
    calls = [
        _offer(outcome="no_answer", at="2026-11-01T09:00:00Z"),
        _offer(outcome="accepted", at="2026-11-02T09:00:00Z"),
        _offer(outcome="offered", at="2026-11-03T09:00:00Z"),  # no answer yet: not counted
        _offer(outcome="declined", reason="no_capacity_now", at="2026-11-04T09:00:00Z"),
    ]
    for body in calls:
        assert client.post("/v1/offers", json=body, headers=headers).status_code == 201
    with Session(api_engine) as session:
        history = call_histories(session, TODAY)["H1"]
        assert (history.calls, history.accepted) == (3, 1)
        assert history.no_capacity_on is not None and history.no_capacity_on.isoformat() == (
            "2026-11-04"
        )
        earlier = call_histories(session, history.no_capacity_on - timedelta(days=1))["H1"]
        assert earlier.no_capacity_on is None and earlier.calls == 2
    again = _offer(outcome="declined", reason="age_or_sex", at="2026-11-05T09:00:00Z")
    assert client.post("/v1/offers", json=again, headers=headers).status_code == 201
    with Session(api_engine) as session:
        assert call_histories(session, TODAY)["H1"].no_capacity_on is None


def test_the_gaps_count_the_homes_that_accept(client: TestClient, keys: dict[str, str]) -> None:
    """H1 (foster, never placed in) is not accepting; once it accepts an offer it is."""

    def accepting() -> tuple[float, float]:
        answer = client.get("/v1/recruitment/gaps", headers=bearer(keys["recruiter"]))
        assert answer.status_code == 200, answer.text
        rows = [r for r in answer.json()["gaps"] if r["segment"] == "all"]
        return (
            sum(r["accepting_homes"] or 0 for r in rows),
            sum(r["not_accepting_homes"] or 0 for r in rows),
        )

    assert accepting() == (0, 1)
    said_yes = _offer(outcome="accepted", at="2026-09-15T10:00:00Z")
    assert (
        client.post("/v1/offers", json=said_yes, headers=bearer(keys["coordinator"])).status_code
        == 201
    )
    assert accepting() == (1, 0)
