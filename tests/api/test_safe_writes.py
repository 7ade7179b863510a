"""Versions, ETags and conditional writes of records; Idempotency-Key on the POSTs that create."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session

from api.bench.http import serve_in_thread
from api.http.app import create_app
from api.services.errors import Conflict
from api.services.idempotency import Answer, Claim, claim, complete
from api.settings import load_settings
from data.db import session_scope
from data.importing import import_folder
from data.models import AuditEntry, Decision, Home, IdempotencyKey, PlanJob
from tests.helpers.auth import bearer, make_keys
from tests.helpers.database import table_rows
from tests.helpers.records import SMALL_FILES, small_zip, write_small_folder
from tests.helpers.server import at_once

CHILD = {"birth_date": "2016-02-03", "sex": "male", "languages": ["en"], "needs": []}
HOME = {"kind": "foster", "status": "active", "latitude": 41.92, "longitude": -87.66, "capacity": 2}


def _decision(**extra: Any) -> dict[str, Any]:
    """C2 into H1, her top-ranked home (no reason needed)."""
    return {
        "placements": [{"child_id": "C2", "home_id": "H1"}],
        "participants": [{"role": "caseworker"}, {"role": "youth"}],
        "options_shown": ["H1", "H2"],
        **extra,
    }


# -- versions and conditional writes ---------------------------------------------------------


def test_a_stale_put_is_refused_and_the_record_kept(
    client: TestClient, keys: dict[str, str]
) -> None:
    """Two writers read v1; B sets needs=[medical]; A's stale PUT (needs=[]) is a 412 naming the
    current ETag, and the record keeps B's needs (issue 4, item 4)."""
    writer = bearer(keys["case_system"])
    created = client.put("/v1/children/C9", json=CHILD, headers=writer)
    assert created.status_code == 201 and created.headers["etag"] == '"v1"'
    assert created.json()["version"] == 1
    b = client.put(
        "/v1/children/C9",
        json={**CHILD, "needs": ["medical"]},
        headers={**writer, "If-Match": '"v1"'},
    )
    assert b.status_code == 200, b.text
    assert b.headers["etag"] == '"v2"' and b.json()["version"] == 2
    a = client.put("/v1/children/C9", json=CHILD, headers={**writer, "If-Match": '"v1"'})
    assert a.status_code == 412, a.text
    assert a.headers["content-type"] == "application/problem+json"
    assert a.headers["etag"] == '"v2"' and a.json()["current_etag"] == '"v2"'
    assert "If-Match" in a.json()["detail"] and "'C9'" in a.json()["detail"]
    now = client.get("/v1/children/C9", headers=writer)
    assert now.json()["needs"] == ["medical"] and now.headers["etag"] == '"v2"'


def test_a_bogus_or_weak_if_match_is_412(client: TestClient, keys: dict[str, str]) -> None:
    """If-Match "bogus", a malformed tag or a weak tag never matches: 412, nothing written."""
    writer = bearer(keys["case_system"])
    for tag in ('"bogus"', "bogus", 'W/"v1"'):
        answer = client.put(
            "/v1/homes/H1", json={**HOME, "capacity": 9}, headers={**writer, "If-Match": tag}
        )
        assert answer.status_code == 412, (tag, answer.text)
    assert client.get("/v1/homes/H1", headers=writer).json()["capacity"] == 3


def test_if_match_star_and_if_none_match_star(client: TestClient, keys: dict[str, str]) -> None:
    """`If-Match: *` needs the record to exist; `If-None-Match: *` creates only."""
    writer = bearer(keys["case_system"])
    missing = client.put("/v1/homes/H9", json=HOME, headers={**writer, "If-Match": "*"})
    assert missing.status_code == 412 and missing.json()["current_etag"] is None
    created = client.put("/v1/homes/H9", json=HOME, headers={**writer, "If-None-Match": "*"})
    assert created.status_code == 201, created.text
    again = client.put("/v1/homes/H9", json=HOME, headers={**writer, "If-None-Match": "*"})
    assert again.status_code == 412 and "exists already" in again.json()["detail"]
    replaced = client.put(
        "/v1/homes/H9", json={**HOME, "capacity": 4}, headers={**writer, "If-Match": "*"}
    )
    assert replaced.status_code == 200 and replaced.headers["etag"] == '"v2"'


def test_case_system_updates_need_if_match(api_engine: Engine, keys: dict[str, str]) -> None:
    """A case_system key's PUT of an existing record without If-Match: 428 naming the ETag;
    creating needs none, an admin needs none, and none when the setting is off."""
    writer, admin = bearer(keys["case_system"]), bearer(keys["admin"])
    with TestClient(create_app(api_engine, run_plan_jobs=False)) as client:
        assert client.put("/v1/homes/H9", json=HOME, headers=writer).status_code == 201
        refused = client.put("/v1/homes/H9", json={**HOME, "capacity": 3}, headers=writer)
        assert refused.status_code == 428, refused.text
        assert refused.json()["current_etag"] == '"v1"' and "If-Match" in refused.json()["detail"]
        assert client.get("/v1/homes/H9", headers=writer).json()["capacity"] == 2
        by_admin = client.put("/v1/homes/H9", json={**HOME, "capacity": 3}, headers=admin)
        assert by_admin.status_code == 200
    settings = load_settings({"FOSTERMATCH_REQUIRE_IF_MATCH": "false"})
    with TestClient(create_app(api_engine, run_plan_jobs=False, settings=settings)) as client:
        answer = client.put("/v1/homes/H9", json={**HOME, "capacity": 4}, headers=writer)
        assert answer.status_code == 200 and answer.headers["etag"] == '"v3"'


def test_get_if_none_match_is_304(client: TestClient, keys: dict[str, str]) -> None:
    """GET with the current ETag in If-None-Match: 304 without a body; after a change, 200."""
    reader = bearer(keys["coordinator"])
    first = client.get("/v1/episodes/C2/2024-01-01", headers=reader)
    assert first.status_code == 200 and first.headers["etag"] == '"v1"'
    same = client.get(
        "/v1/episodes/C2/2024-01-01", headers={**reader, "If-None-Match": first.headers["etag"]}
    )
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == '"v1"'
    other = client.get("/v1/children/C2", headers={**reader, "If-None-Match": '"v7", "v9"'})
    assert other.status_code == 200 and other.json()["id"] == "C2"


def test_delete_honours_if_match(client: TestClient, keys: dict[str, str]) -> None:
    """DELETE with a stale If-Match: 412 and the record stays; with the current one: 204."""
    writer = bearer(keys["case_system"])
    client.put(
        "/v1/applicants/A9", json={"stage": "inquiry", "stage_on": "2026-10-01"}, headers=writer
    )
    stale = client.delete("/v1/applicants/A9", headers={**writer, "If-Match": '"v0"'})
    assert stale.status_code == 412
    assert client.get("/v1/applicants/A9", headers=writer).status_code == 200
    gone = client.delete("/v1/applicants/A9", headers={**writer, "If-Match": '"v1"'})
    assert gone.status_code == 204
    assert client.get("/v1/applicants/A9", headers=writer).status_code == 404


def test_imports_and_decisions_change_versions(
    client: TestClient, keys: dict[str, str], api_engine: Engine, tmp_path: Path
) -> None:
    """An import that changes a row adds one to its version, an unchanged row keeps it; a
    decision that ends a placement adds one to that placement's version."""
    changed = SMALL_FILES["homes.csv"].replace(
        "H1,foster,active,41.92,-87.66,3,", "H1,foster,active,41.92,-87.66,4,"
    )
    import_folder(api_engine, write_small_folder(tmp_path / "again", homes_csv=changed))
    with Session(api_engine) as session:
        versions = {h.id: h.version for h in session.execute(select(Home)).scalars()}
    assert versions == {"H1": 2, "H2": 1, "H3": 1}
    shelter = "/v1/placements/C2/2024-01-01/shelter"
    assert client.get(shelter, headers=bearer(keys["admin"])).json()["version"] == 1
    decided = client.post("/v1/decisions", json=_decision(), headers=bearer(keys["coordinator"]))
    assert decided.status_code == 201, decided.text
    ended = client.get(shelter, headers=bearer(keys["admin"]))
    assert ended.json()["ended_on"] is not None and ended.headers["etag"] == '"v2"'


# -- idempotency keys ------------------------------------------------------------------------


def test_a_replayed_decision_gets_its_first_answer(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """The same Idempotency-Key and body: the original 201, body (decision id) and Location,
    marked replayed; no second decision. Another body with the key: 422 naming the header."""
    headers = {**bearer(keys["coordinator"]), "Idempotency-Key": "d6f1c0de-0001"}
    first = client.post("/v1/decisions", json=_decision(), headers=headers)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/v1/decisions/{first.json()['id']}"
    assert "idempotent-replayed" not in first.headers
    again = client.post("/v1/decisions", json=_decision(), headers=headers)
    assert again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert table_rows(api_engine, Decision) == 1
    other = client.post("/v1/decisions", json=_decision(reason="changed"), headers=headers)
    assert other.status_code == 422, other.text
    assert other.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    # without the key the same body is a new request, refused: C2 lives in H1 now
    plain = client.post("/v1/decisions", json=_decision(), headers=bearer(keys["coordinator"]))
    assert plain.status_code == 422 and "already lives in home H1" in plain.json()["detail"]


def test_a_refused_request_releases_its_key(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """A decision refused (422) keeps nothing under its key: a retry with the key runs again."""
    headers = {**bearer(keys["coordinator"]), "Idempotency-Key": "retry-me"}
    refused = client.post("/v1/decisions", json=_decision(options_shown=["H2"]), headers=headers)
    assert refused.status_code == 422
    assert table_rows(api_engine, IdempotencyKey) == 0
    taken = client.post("/v1/decisions", json=_decision(), headers=headers)
    assert taken.status_code == 201 and "idempotent-replayed" not in taken.headers


def test_keys_belong_to_their_caller_and_are_checked(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """Another API key's same Idempotency-Key is its own; an unusable key is a 422."""
    key = {"Idempotency-Key": "shared-name"}
    mine = client.post(
        "/v1/decisions", json=_decision(), headers={**bearer(keys["coordinator"]), **key}
    )
    assert mine.status_code == 201
    theirs = client.post(
        "/v1/decisions", json=_decision(), headers={**bearer(keys["admin"]), **key}
    )
    # it ran (C2 lives in H1 now), rather than replaying the coordinator's answer
    assert theirs.status_code == 422 and "already lives in home H1" in theirs.json()["detail"]
    bad = client.post(
        "/v1/decisions",
        json=_decision(),
        headers={**bearer(keys["coordinator"]), "Idempotency-Key": "x" * 256},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == [
        "header",
        "Idempotency-Key",
    ]
    assert table_rows(api_engine, Decision) == 1


def test_a_replayed_plan_is_the_same_job(
    client: TestClient, api_engine: Engine, keys: dict[str, str]
) -> None:
    """POST /v1/plans with the same Idempotency-Key: the same job id and Location, one job."""
    headers = {**bearer(keys["coordinator"]), "Idempotency-Key": "plan-1"}
    started = client.post("/v1/plans", json={"time_limit_s": 5}, headers=headers)
    assert started.status_code == 202, started.text
    again = client.post("/v1/plans", json={"time_limit_s": 5}, headers=headers)
    assert again.status_code == 202 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == started.json()["id"]
    assert again.headers["location"] == started.headers["location"]
    assert table_rows(api_engine, PlanJob) == 1


def test_a_replayed_import_imports_once(
    client: TestClient, api_engine: Engine, keys: dict[str, str]
) -> None:
    """POST /v1/imports with the same Idempotency-Key and zip: the first report, audited once;
    another zip with the key: 422."""
    headers = {**bearer(keys["case_system"]), "Idempotency-Key": "import-1"}
    zipped = small_zip()  # once: a zip's entries carry the time they were written
    files = {"file": ("small.zip", zipped, "application/zip")}
    imported = client.post("/v1/imports", files=files, headers=headers)
    assert imported.status_code == 200, imported.text
    audited = table_rows(api_engine, AuditEntry)
    files = {"file": ("small.zip", zipped, "application/zip")}
    replayed = client.post("/v1/imports", files=files, headers=headers)
    assert replayed.status_code == 200 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == imported.json()
    assert table_rows(api_engine, AuditEntry) == audited
    other = {"file": ("other.zip", b"PK\x05\x06" + b"\0" * 18, "application/zip")}
    refused = client.post("/v1/imports", files=other, headers=headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"][0] == "header"


def test_in_flight_expiry_and_take_over(api_engine: Engine) -> None:
    """A key being answered: 409 for a retry; unanswered past the in-flight limit a retry takes
    it over (and the first request can no longer store its answer); expired keys are purged."""
    args: dict[str, Any] = {
        "caller": "key:1",
        "key": "k",
        "method": "POST",
        "path": "/v1/decisions",
        "request_hash": "h",
        "keep": timedelta(hours=24),
    }
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    first = claim(api_engine, now=start, **args)
    assert isinstance(first, Claim)
    with pytest.raises(Conflict, match="still being answered"):
        claim(api_engine, now=start + timedelta(seconds=5), **args)
    second = claim(api_engine, now=start + timedelta(minutes=5), **args)
    assert isinstance(second, Claim) and second == Claim(first.id, first.attempt + 1)
    with pytest.raises(Conflict, match="took it over"), session_scope(api_engine) as session:
        complete(session, first, Answer(201, {"id": 1}))
    with session_scope(api_engine) as session:
        complete(session, second, Answer(201, {"id": 2}))
    replay = claim(api_engine, now=start + timedelta(hours=1), **args)
    assert replay == Answer(201, {"id": 2}, {})
    fresh = claim(api_engine, now=start + timedelta(hours=25), **args)
    assert isinstance(fresh, Claim)  # the old answer expired and was purged
    assert table_rows(api_engine, IdempotencyKey) == 1


# -- the same over real HTTP, concurrently, on both databases ----------------------------------


def _call(
    base: str, method: str, path: str, headers: dict[str, str], body: dict[str, Any]
) -> tuple[int, dict[str, str], dict[str, Any]]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            headers = {k.lower(): v for k, v in error.headers.items()}
            return error.code, headers, json.loads(error.read())


def _racing_puts(
    engine: Engine, tmp_path: Path, home_id: str, condition: dict[str, str]
) -> list[tuple[int, dict[str, str], dict[str, Any]]]:
    """Six case-system PUTs of ``home_id`` at once, each with ``condition`` and capacity
    10 + its number, over real HTTP; their answers in order."""
    import_folder(engine, write_small_folder(tmp_path / "small"))
    headers = {**bearer(make_keys(engine)["case_system"]), **condition}
    with serve_in_thread(create_app(engine, run_plan_jobs=False)) as base:
        return at_once(
            6,
            lambda i: _call(
                base, "PUT", f"/v1/homes/{home_id}", headers, {**HOME, "capacity": 10 + i}
            ),
        )


def test_concurrent_writers_with_one_etag(engine: Engine, tmp_path: Path) -> None:
    """Six writers PUT H1 at once, each with If-Match "v1": one 200, five 412; the home holds
    the winner's capacity at version 2 (the check and the write share a transaction)."""
    answers = _racing_puts(engine, tmp_path, "H1", {"If-Match": '"v1"'})
    assert Counter(a[0] for a in answers) == {200: 1, 412: 5}, [a[2] for a in answers]
    [won] = [i for i, a in enumerate(answers) if a[0] == 200]
    with Session(engine) as session:
        home = session.get(Home, "H1")
        assert home is not None and (home.capacity, home.version) == (10 + won, 2)


def test_concurrent_creators_with_if_none_match(engine: Engine, tmp_path: Path) -> None:
    """Six writers create H9 at once with `If-None-Match: *`: one 201, five 412, one home."""
    answers = _racing_puts(engine, tmp_path, "H9", {"If-None-Match": "*"})
    assert Counter(a[0] for a in answers) == {201: 1, 412: 5}, [a[2] for a in answers]
    assert table_rows(engine, Home) == 4


def test_concurrent_retries_with_one_key(engine: Engine, tmp_path: Path) -> None:
    """Four retries of one decision at once with one Idempotency-Key: one decision; each answer
    is its 201 (first or replayed) or 409 (still being answered); a later retry replays it."""
    import_folder(engine, write_small_folder(tmp_path / "small"))
    coordinator = bearer(make_keys(engine)["coordinator"])
    headers = {**coordinator, "Idempotency-Key": "race-1"}
    with serve_in_thread(create_app(engine, run_plan_jobs=False)) as base:
        answers = at_once(4, lambda _i: _call(base, "POST", "/v1/decisions", headers, _decision()))
        later = _call(base, "POST", "/v1/decisions", headers, _decision())
    assert {a[0] for a in answers} <= {201, 409} and 201 in {a[0] for a in answers}, answers
    ids = {a[2]["id"] for a in answers if a[0] == 201}
    assert later[0] == 201 and ids == {later[2]["id"]}
    assert later[1]["idempotent-replayed"] == "true"
    assert table_rows(engine, Decision) == 1


def test_communities_take_conditions_too(client: TestClient, keys: dict[str, str]) -> None:
    """A community (written as the whole collection) honours If-Match like any record."""
    writer = bearer(keys["case_system"])
    read = client.get("/v1/communities/1", headers=writer)
    assert read.status_code == 200 and read.headers["etag"] == '"v1"'
    body = {k: v for k, v in read.json().items() if k not in ("id", "version")}
    renamed = {**body, "name": "Renamed"}
    stale = client.put("/v1/communities/1", json=renamed, headers={**writer, "If-Match": '"v0"'})
    assert stale.status_code == 412 and stale.json()["current_etag"] == '"v1"'
    assert client.get("/v1/communities/1", headers=writer).json()["name"] == body["name"]
    done = client.put("/v1/communities/1", json=renamed, headers={**writer, "If-Match": '"v1"'})
    assert done.status_code == 200, done.text
    assert done.headers["etag"] == '"v2"' and done.json()["name"] == "Renamed"
