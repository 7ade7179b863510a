"""Webhooks: registration (admins, audited), signed deliveries in order, retries with backoff
while the receiver is down, secret rotation, and a page decision reaching a case system."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from api.cli import main
from api.http.app import create_app
from api.services.keys import ROLES, create_key
from api.services.webhooks import (
    MAX_RETRY,
    SIGNATURE_HEADER,
    Deliverer,
    DeliveryFailed,
    post_json,
    retry_delay,
    verify_signature,
)
from data.db import make_engine, session_scope
from data.models import AuditEntry
from tests.helpers.auth import bearer
from tests.helpers.pages import a_waiting_child, decision_form, sign_in
from tests.helpers.receiver import FakeClock, Received, Receiver

HOME = {"kind": "foster", "status": "active", "latitude": 41.92, "longitude": -87.66, "capacity": 2}


@pytest.fixture
def quiet(api_engine: Engine) -> Iterator[TestClient]:
    """A client whose app delivers nothing by itself: the test runs the deliverer."""
    app = create_app(api_engine, run_plan_jobs=False, run_webhooks=False)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback."""
    running = Receiver().start()
    yield running
    running.stop()


def _register(client: TestClient, key: str, url: str, **extra: Any) -> dict[str, Any]:
    answer = client.post("/v1/webhooks", json={"url": url, **extra}, headers=bearer(key))
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _write_homes(client: TestClient, key: str, capacities: list[int]) -> None:
    """PUT home H9 once per capacity, each update naming the version it replaces, read first
    (a case system's key must send If-Match to replace a record)."""
    current = client.get("/v1/homes/H9", headers=bearer(key))
    assert current.status_code in (200, 404), current.text
    condition = {"If-Match": current.headers["etag"]} if current.status_code == 200 else {}
    for capacity in capacities:
        answer = client.put(
            "/v1/homes/H9", json={**HOME, "capacity": capacity}, headers=bearer(key) | condition
        )
        assert answer.status_code in (200, 201), answer.text
        condition = {"If-Match": answer.headers["etag"]}


def _verified(got: Received, secret: str, clock: FakeClock) -> bool:
    return verify_signature(
        secret, got.headers[SIGNATURE_HEADER], got.body, now=clock.now.timestamp()
    )


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(select(col(AuditEntry.action))).scalars())


def test_registering_shows_the_secret_once_and_is_audited(
    quiet: TestClient, keys: dict[str, str], api_engine: Engine, receiver: Receiver
) -> None:
    """201 with a secret; the list never shows it; the entry names the host, not the URL."""
    made = _register(
        quiet, keys["admin"], receiver.url + "?token=abc", events=["decision.*"], description="x"
    )
    assert made["secret"].startswith("whsec_") and made["events"] == ["decision.*"]
    listed = quiet.get("/v1/webhooks", headers=bearer(keys["admin"])).json()["items"]
    assert [w["id"] for w in listed] == [made["id"]] and "secret" not in listed[0]
    with Session(api_engine) as session:
        entry = session.execute(
            select(AuditEntry).where(col(AuditEntry.action) == "webhook_create")
        ).scalar_one()
    assert entry.record_id == str(made["id"]) and "token" not in (entry.detail or "")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"url": "ftp://cases.example.org/in"}, ["body", "url"]),
        ({"url": "file:///etc/passwd"}, ["body", "url"]),
        ({"url": "https://user:pw@cases.example.org/in"}, ["body", "url"]),
        ({"url": "https://cases.example.org/in", "events": ["decided"]}, ["body", "events", 0]),
    ],
)
def test_a_webhook_must_post_to_http_and_name_known_kinds(
    quiet: TestClient, keys: dict[str, str], body: dict[str, Any], loc: list[Any]
) -> None:
    """A URL that is not http(s) (or carries a password) or a malformed kind is a 422 naming it."""
    answer = quiet.post("/v1/webhooks", json=body, headers=bearer(keys["admin"]))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == loc


def test_webhooks_are_for_admins(quiet: TestClient, keys: dict[str, str]) -> None:
    """Every other role is refused."""
    for role in ("case_system", "coordinator", "recruiter"):
        assert quiet.get("/v1/webhooks", headers=bearer(keys[role])).status_code == 403


def test_changes_are_delivered_signed_and_in_order(
    quiet: TestClient, keys: dict[str, str], api_engine: Engine, receiver: Receiver
) -> None:
    """Three writes reach the receiver in commit order, each signed and carrying its id."""
    hook = _register(quiet, keys["admin"], receiver.url)
    _write_homes(quiet, keys["case_system"], [2, 3, 4])
    clock = FakeClock()
    assert Deliverer(api_engine, clock=clock).run_once() == 3
    bodies = [r.json for r in receiver.received]
    assert [b["kind"] for b in bodies] == ["home.created", "home.updated", "home.updated"]
    assert [b["seq"] for b in bodies] == sorted(b["seq"] for b in bodies)
    for got in receiver.received:
        assert _verified(got, hook["secret"], clock)
        assert not _verified(got, "whsec_another", clock)
        assert got.headers["Fostermatch-Event-Id"] == got.json["id"]
    deliveries = quiet.get(
        f"/v1/webhooks/{hook['id']}/deliveries", headers=bearer(keys["admin"])
    ).json()["items"]
    assert [(d["attempt"], d["status_code"], d["delivered"]) for d in deliveries] == [
        (1, 200, True)
    ] * 3
    assert Deliverer(api_engine, clock=clock).run_once() == 0  # nothing twice


def test_a_receiver_down_for_an_hour_gets_everything_in_order(
    quiet: TestClient, keys: dict[str, str], api_engine: Engine, receiver: Receiver
) -> None:
    """Refused connections, then 503s: the first change is retried with growing delays, the
    others wait behind it; once the receiver answers, all arrive once, in order."""
    hook = _register(quiet, keys["admin"], receiver.url)
    receiver.stop()  # down: the port refuses connections
    _write_homes(quiet, keys["case_system"], [2, 3, 4])
    clock = FakeClock()
    deliverer = Deliverer(api_engine, clock=clock)
    attempts = 0
    for _ in range(35):  # 35 minutes of refused connections
        attempts += deliverer.run_once()
        clock.advance(timedelta(minutes=1))
    receiver.start()  # back, on the same port, but answering 503 for 35 minutes more
    receiver.status = 503
    for _ in range(35):
        attempts += deliverer.run_once()
        clock.advance(timedelta(minutes=1))
    assert receiver.received == []
    # tried at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 and 63.5 minutes: the delay doubles
    assert attempts == 8
    log = quiet.get(
        f"/v1/webhooks/{hook['id']}/deliveries?limit=1000", headers=bearer(keys["admin"])
    ).json()["items"]
    assert len({d["seq"] for d in log}) == 1, "only the first change is tried while it fails"
    assert [d["attempt"] for d in log] == list(range(1, attempts + 1))
    assert log[0]["status_code"] is None and "Connection" in log[0]["error"]
    assert log[-1]["status_code"] == 503 and log[-1]["error"] == "answered 503"
    receiver.status = 200
    clock.advance(MAX_RETRY)
    deliverer.run_once()
    kinds = [r.json["kind"] for r in receiver.received]
    assert kinds == ["home.created", "home.updated", "home.updated"]
    seqs = [r.json["seq"] for r in receiver.received]
    assert seqs == sorted(set(seqs))
    assert all(_verified(r, hook["secret"], clock) for r in receiver.received)
    state = quiet.get("/v1/webhooks", headers=bearer(keys["admin"])).json()["items"][0]
    assert state["failures"] == 0 and state["delivered_through"] == seqs[-1]


def test_the_retry_delay_doubles_up_to_a_cap() -> None:
    """30 s after the first failure, doubling, never more than 24 hours."""
    assert retry_delay(1) == timedelta(seconds=30)
    assert retry_delay(2) == timedelta(minutes=1)
    assert retry_delay(4) == timedelta(minutes=4)
    assert retry_delay(40) == MAX_RETRY == timedelta(hours=24)


def test_a_rotated_secret_signs_beside_the_old_one_for_the_grace(
    quiet: TestClient, keys: dict[str, str], api_engine: Engine, receiver: Receiver
) -> None:
    """During the grace both secrets verify; after it only the new one; rotation is audited."""
    hook = _register(quiet, keys["admin"], receiver.url)
    rotated = quiet.post(
        f"/v1/webhooks/{hook['id']}/rotate", json={"grace_hours": 1}, headers=bearer(keys["admin"])
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != hook["secret"] and rotated.json()["previous_secret_valid_until"]
    clock = FakeClock()
    deliverer = Deliverer(api_engine, clock=clock)
    _write_homes(quiet, keys["case_system"], [2])
    deliverer.run_once()
    during = receiver.received[-1]
    assert during.headers[SIGNATURE_HEADER].count("v1=") == 2
    assert _verified(during, hook["secret"], clock) and _verified(during, new, clock)
    clock.advance(timedelta(hours=2))
    _write_homes(quiet, keys["case_system"], [3])
    deliverer.run_once()
    after = receiver.received[-1]
    assert _verified(after, new, clock) and not _verified(after, hook["secret"], clock)
    assert "webhook_rotate" in _actions(api_engine)


def test_a_replayed_delivery_is_refused_once_old() -> None:
    """The receiver's check refuses a signature older than its tolerance."""
    from api.services.webhooks import sign

    header = sign(["whsec_x"], 1_000_000, b"{}")
    assert verify_signature("whsec_x", header, b"{}", now=1_000_100)
    assert not verify_signature("whsec_x", header, b"{}", now=1_000_000 + 301)
    assert not verify_signature("whsec_x", header, b"{ }", now=1_000_100)


def test_a_deleted_webhook_gets_nothing_more(
    quiet: TestClient, keys: dict[str, str], api_engine: Engine, receiver: Receiver
) -> None:
    """DELETE answers 204, is audited, and later changes are not posted; 404 the second time."""
    hook = _register(quiet, keys["admin"], receiver.url)
    url = f"/v1/webhooks/{hook['id']}"
    assert quiet.delete(url, headers=bearer(keys["admin"])).status_code == 204
    assert quiet.delete(url, headers=bearer(keys["admin"])).status_code == 404
    _write_homes(quiet, keys["case_system"], [2])
    assert Deliverer(api_engine).run_once() == 0 and receiver.received == []
    assert "webhook_delete" in _actions(api_engine)


def test_only_the_kinds_asked_for_are_posted(
    quiet: TestClient, keys: dict[str, str], api_engine: Engine, receiver: Receiver
) -> None:
    """A webhook for decisions gets no home changes, and moves past them."""
    hook = _register(quiet, keys["admin"], receiver.url, events=["decision.*"])
    _write_homes(quiet, keys["case_system"], [2, 3])
    assert Deliverer(api_engine).run_once() == 0 and receiver.received == []
    state = quiet.get("/v1/webhooks", headers=bearer(keys["admin"])).json()["items"][0]
    assert state["id"] == hook["id"] and state["delivered_through"] > 0


def test_a_redirect_to_another_host_is_not_followed(receiver: Receiver) -> None:
    """307 to another host fails the delivery; to the same origin it is followed."""
    receiver.status, receiver.location = 307, "http://localhost:9/elsewhere"
    with pytest.raises(DeliveryFailed, match="another host"):
        post_json(receiver.url, b"{}", {"Content-Type": "application/json"})
    receiver.location = f"http://127.0.0.1:{receiver.port}/moved"
    with pytest.raises(DeliveryFailed, match="redirects"):
        post_json(receiver.url, b"{}", {})  # same origin: followed, up to the limit


def test_the_web_process_delivers_with_sqlite(
    client: TestClient, keys: dict[str, str], receiver: Receiver
) -> None:
    """With SQLite the app's own thread posts a change within seconds, no command needed."""
    _register(client, keys["admin"], receiver.url)
    _write_homes(client, keys["case_system"], [2])
    deadline = time.monotonic() + 15
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [r.json["kind"] for r in receiver.received] == ["home.created"]


def test_the_deliver_command_makes_one_pass(
    quiet: TestClient,
    keys: dict[str, str],
    api_engine: Engine,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`fostermatch webhooks deliver --once --json` posts what is pending and says how many."""
    _register(quiet, keys["admin"], receiver.url)
    _write_homes(quiet, keys["case_system"], [2])
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", str(api_engine.url))
    assert main(["webhooks", "deliver", "--once", "--json"]) == 0
    assert '"attempts": 1' in capsys.readouterr().out
    assert len(receiver.received) == 1


@pytest.fixture
def county_quiet(county_database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Engine]]:
    """A writable copy of the sample county behind an app that delivers nothing by itself."""
    copy = tmp_path / "county.db"
    shutil.copy(county_database_url.removeprefix("sqlite:///"), copy)
    engine = make_engine(f"sqlite:///{copy}")
    with TestClient(create_app(engine, run_plan_jobs=False, run_webhooks=False)) as client:
        yield client, engine
    engine.dispose()


def test_a_decision_on_the_pages_reaches_the_case_system(
    county_quiet: tuple[TestClient, Engine], receiver: Receiver
) -> None:
    """The coordinator decides on the child's page; the decision is in GET /v1/changes and,
    after the receiver was down, is delivered signed once it is back."""
    client, engine = county_quiet
    with session_scope(engine) as session:
        keys = {role: create_key(session, role, f"demo {role}")[1] for role in ROLES}
    hook = _register(client, keys["admin"], receiver.url, events=["decision.recorded"])
    receiver.stop()
    sign_in(client, keys["coordinator"])
    child = a_waiting_child(client)
    shown, takes = decision_form(client.get(f"/pages/children/{child}").text)
    answer = client.post(
        f"/pages/children/{child}/decision",
        data={"participant": ["caseworker", "youth"], "home": shown[0], "options_shown": shown}
        | takes,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text  # post-redirect-get to the decision's page
    feed = client.get("/v1/changes?limit=1000", headers=bearer(keys["case_system"])).json()
    decided = [c for c in feed["items"] if c["kind"] == "decision.recorded"]
    assert len(decided) == 1 and child in decided[0]["payload"]["children"]
    assert re.fullmatch(r"\d+", decided[0]["entity_id"])

    clock = FakeClock()
    deliverer = Deliverer(engine, clock=clock)
    assert deliverer.run_once() == 1  # refused: the receiver is down
    clock.advance(timedelta(minutes=5))
    receiver.start()
    deliverer.run_once()
    assert [r.json for r in receiver.received] == decided
    assert _verified(receiver.received[0], hook["secret"], clock)
