"""GET /v1/changes and GET /v1/decisions: what a case system reads to learn what happened."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from data.models import AuditEntry
from tests.helpers.auth import bearer

HOME = {"kind": "foster", "status": "active", "latitude": 41.92, "longitude": -87.66, "capacity": 2}


def _all_changes(client: TestClient, key: str, limit: int) -> list[dict[str, Any]]:
    """Every change, page by page, following the Link header."""
    items: list[dict[str, Any]] = []
    url = f"/v1/changes?after=0&limit={limit}"
    while True:
        answer = client.get(url, headers=bearer(key))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["items"]
        link = answer.headers["link"]
        assert link.endswith('>; rel="next"') and f"after={body['next']}" in link
        url = link[1 : link.index(">")]
        if not body["has_more"]:
            return items


def test_record_writes_appear_in_order_with_a_cursor(
    client: TestClient, keys: dict[str, str]
) -> None:
    """A PUT, a second PUT and a DELETE appear once each, in order, paged one at a time."""
    writer = bearer(keys["case_system"])
    created = client.put("/v1/homes/H9", json=HOME, headers=writer)
    assert created.status_code == 201
    read = {"If-Match": created.headers["etag"]}  # an update names the version it replaces
    changed = client.put("/v1/homes/H9", json={**HOME, "capacity": 3}, headers=writer | read)
    assert changed.status_code == 200, changed.text
    assert client.delete("/v1/homes/H9", headers=writer).status_code == 204
    items = _all_changes(client, keys["case_system"], limit=1)
    seqs = [i["seq"] for i in items]
    assert seqs == sorted(set(seqs))
    assert [i["kind"] for i in items] == [
        "import.completed",
        "home.created",
        "home.updated",
        "home.deleted",
    ]
    updated = items[2]
    assert updated["entity_id"] == "H9" and updated["payload"]["fields"] == ["capacity"]
    assert updated["id"] == f"evt_{updated['seq']}"


def test_an_empty_page_keeps_the_cursor(client: TestClient, keys: dict[str, str]) -> None:
    """Asking after the last change returns nothing and the same cursor to ask with again."""
    first = client.get("/v1/changes?limit=1000", headers=bearer(keys["admin"])).json()
    again = client.get(f"/v1/changes?after={first['next']}", headers=bearer(keys["admin"]))
    assert again.json() == {"items": [], "next": first["next"], "has_more": False}


def test_the_feed_is_for_those_who_read_records(client: TestClient, keys: dict[str, str]) -> None:
    """Recruiters (aggregates only) are refused; coordinators and case systems read it."""
    assert client.get("/v1/changes", headers=bearer(keys["recruiter"])).status_code == 403
    for role in ("coordinator", "case_system", "admin"):
        assert client.get("/v1/changes", headers=bearer(keys[role])).status_code == 200


def test_a_page_naming_children_is_audited(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """Reading changes that name a child writes a read_changes entry with the child's id."""
    child = {"birth_date": "2016-02-03", "sex": "male", "languages": ["en"]}
    assert (
        client.put("/v1/children/C9", json=child, headers=bearer(keys["case_system"])).status_code
        == 201
    )
    client.get("/v1/changes", headers=bearer(keys["coordinator"]))
    with Session(api_engine) as session:
        entry = session.execute(
            select(AuditEntry).where(col(AuditEntry.action) == "read_changes")
        ).scalar_one()
    assert entry.child_ids == ["C9"] and entry.role == "coordinator"


def _decide(client: TestClient, key: str, child: str, home: str, shown: list[str]) -> int:
    body = {
        "placements": [{"child_id": child, "home_id": home}],
        "participants": [{"role": "caseworker"}],
        "options_shown": shown,
        "reason": "the team chose it",
    }
    answer = client.post("/v1/decisions", json=body, headers=bearer(key))
    assert answer.status_code == 201, answer.text
    decided: int = answer.json()["id"]
    return decided


def test_decisions_are_listed_and_filtered(client: TestClient, keys: dict[str, str]) -> None:
    """GET /v1/decisions lists decisions oldest first, by child and by home, and pages."""
    key = keys["coordinator"]
    homes = ["H1", "H2"]  # H1 is C2's top-ranked home in the small agency
    decided = _decide(client, key, "C2", homes[0], homes)
    listed = client.get("/v1/decisions", headers=bearer(keys["case_system"])).json()
    assert [d["id"] for d in listed["items"]] == [decided] and listed["next"] is None
    assert listed["items"][0]["participants"] == [{"role": "caseworker", "name": None}]
    alone = client.get(f"/v1/decisions/{decided}", headers=bearer(keys["case_system"]))
    assert listed["items"][0] == alone.json()  # each listed as it reads alone, `ended` too
    by_child = client.get("/v1/decisions?child_id=C2", headers=bearer(key)).json()
    assert [d["id"] for d in by_child["items"]] == [decided]
    assert client.get("/v1/decisions?child_id=C1", headers=bearer(key)).json()["items"] == []
    by_home = client.get(f"/v1/decisions?home_id={homes[0]}", headers=bearer(key)).json()
    assert [d["id"] for d in by_home["items"]] == [decided]
    # the child's id is not a home's id: the prefilter's match is checked exactly
    assert client.get("/v1/decisions?home_id=C2", headers=bearer(key)).json()["items"] == []
    admin = bearer(keys["admin"])  # a second child in care, placed too: two pages of one
    child = {"birth_date": "2016-02-03", "sex": "male", "languages": ["en"]}
    assert client.put("/v1/children/C9", json=child, headers=admin).status_code == 201
    stay = {"removal_latitude": 41.92, "removal_longitude": -87.66}
    assert client.put("/v1/episodes/C9/2026-01-01", json=stay, headers=admin).status_code == 201
    second = _decide(client, key, "C9", homes[0], homes)
    first_page = client.get("/v1/decisions?limit=1", headers=bearer(key))
    assert first_page.json()["next"] == decided
    link = first_page.headers["link"]
    assert link == f'</v1/decisions?limit=1&after={decided}>; rel="next"'
    following = client.get(link[1 : link.index(">")], headers=bearer(key))
    assert [d["id"] for d in following.json()["items"]] == [second]
    assert "link" not in following.headers  # the last page
    later = client.get(f"/v1/decisions?after={second}", headers=bearer(key)).json()
    assert later == {"items": [], "next": None}
    changes = client.get("/v1/changes?limit=1000", headers=bearer(key)).json()["items"]
    recorded = [c for c in changes if c["kind"] == "decision.recorded"]
    assert [c["entity_id"] for c in recorded] == [str(decided), str(second)]
    assert recorded[0]["payload"]["children"] == ["C2"]
    assert homes[0] in recorded[0]["payload"]["homes"]
    assert client.get("/v1/decisions", headers=bearer(keys["recruiter"])).status_code == 403


def test_a_plan_that_fails_is_logged_without_staling_snapshots(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """A job failed (here: by its worker) appears as plan.failed; the records version stays."""
    from datetime import UTC, datetime

    from api.services.plan_jobs import fail_job
    from api.services.snapshots import records_version
    from data.db import session_scope
    from data.models import PlanJob

    with session_scope(api_engine) as session:
        session.add(PlanJob(id="j1", status="queued", worker="h:1", created_at=datetime.now(UTC)))
    with Session(api_engine) as session:
        before = records_version(session)
    fail_job(api_engine, "j1", "the solver ran out of memory")
    items = client.get("/v1/changes?limit=1000", headers=bearer(keys["case_system"])).json()
    last = items["items"][-1]
    assert (last["kind"], last["entity_id"]) == ("plan.failed", "j1")
    assert last["payload"] == {"status": "failed", "placed": None}
    with Session(api_engine) as session:
        assert records_version(session) == before
