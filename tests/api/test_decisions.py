"""`POST /v1/decisions`: placements and beds in one transaction; reasons; the last-bed race."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from api.bench.http import serve_in_thread
from api.http.app import create_app
from api.services.snapshots import records_version
from data.importing import import_folder
from data.models import AuditEntry, Decision, DecisionParticipant, Placement
from tests.helpers.auth import bearer, make_keys
from tests.helpers.records import SMALL_FILES, write_small_folder
from tests.helpers.server import at_once


def _decision(child: str = "C2", home: str = "H2", **extra: Any) -> dict[str, Any]:
    return {
        "placements": [{"child_id": child, "home_id": home}],
        "participants": [{"role": "caseworker"}, {"role": "youth"}, {"role": "birth_parent"}],
        "options_shown": ["H2", "H1"],
        **extra,
    }


def _open_in(engine: Engine, home_id: str) -> int:
    with Session(engine) as session:
        return int(
            session.execute(
                select(func.count()).where(
                    col(Placement.home_id) == home_id, col(Placement.ended_on).is_(None)
                )
            ).scalar_one()
        )


def test_top_ranked_home_needs_no_reason(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """Choosing the top-ranked home (H1: the kin home H2 cannot meet C2's medical needs)."""
    with Session(api_engine) as session:
        before = records_version(session)
    response = client.post(
        "/v1/decisions", json=_decision(home="H1"), headers=bearer(keys["coordinator"])
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["placements"][0]["home_id"] == "H1"
    assert body["placements"][0]["setting"] == "foster_home"
    assert body["placements"][0]["engine_rank"] == 1
    assert body["ended"] == [{"child_id": "C2", "setting": "shelter", "started_on": "2024-01-01"}]
    assert _open_in(api_engine, "H1") == 1
    with Session(api_engine) as session:
        assert records_version(session) == before + 1  # every worker's snapshot is now stale
        decision = session.execute(select(Decision)).scalars().one()
        roles = session.execute(select(col(DecisionParticipant.role))).scalars().all()
        audit = (
            session.execute(select(AuditEntry).where(col(AuditEntry.action) == "decision"))
            .scalars()
            .one()
        )
    assert decision.options_shown == ["H2", "H1"]
    assert sorted(roles) == ["birth_parent", "caseworker", "youth"]
    assert audit.child_ids == ["C2"] and audit.role == "coordinator"
    waiting = client.get("/v1/children?waiting=true", headers=bearer(keys["coordinator"]))
    assert waiting.json()["items"] == []


def test_a_lower_ranked_home_needs_a_reason(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """Choosing the kin home H2 over the top-ranked H1 without a reason: 422 on body.reason."""
    headers = bearer(keys["coordinator"])
    response = client.post("/v1/decisions", json=_decision(), headers=headers)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == ["body", "reason"] and "top-ranked" in error["message"]
    assert _open_in(api_engine, "H2") == 1
    ok = client.post(
        "/v1/decisions", json=_decision(reason="the youth's school is next door"), headers=headers
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["placements"][0]["top_ranked_home"] == "H1"
    assert ok.json()["placements"][0]["setting"] == "kin_home"
    assert _open_in(api_engine, "H2") == 2
    assert ok.json()["reason"] == "the youth's school is next door"


def test_icwa_departure_needs_good_cause(client: TestClient, keys: dict[str, str]) -> None:
    """Under ICWA, a tier-4 home while a home of the child's tribe is eligible needs good cause."""
    writer = bearer(keys["case_system"])
    read = client.get("/v1/children/C2", headers=writer)
    fields = {
        k: v for k, v in read.json().items() if k not in ("id", "school_community_id", "version")
    }
    tribe = "Ho-Chunk Nation"
    update = {**writer, "If-Match": read.headers["etag"]}  # the version read
    assert (
        client.put(
            "/v1/children/C2", json={**fields, "icwa": "yes", "tribe": tribe}, headers=update
        ).status_code
        == 200
    )
    read = client.get("/v1/homes/H1", headers=writer)
    fields = {k: v for k, v in read.json().items() if k not in ("id", "community_id", "version")}
    update = {**writer, "If-Match": read.headers["etag"]}
    assert (
        client.put(
            "/v1/homes/H1", json={**fields, "tribe": tribe, "tribe_licensed": True}, headers=update
        ).status_code
        == 200
    )
    other = {
        "kind": "foster",
        "status": "active",
        "latitude": 41.921,
        "longitude": -87.661,
        "capacity": 2,
        "capabilities": ["medical"],
        "licensed_on": "2023-01-02",
    }
    assert client.put("/v1/homes/H4", json=other, headers=writer).status_code == 201
    headers = bearer(keys["coordinator"])
    matches = client.post("/v1/matches", json={"child_id": "C2"}, headers=headers).json()
    assert [c["home_id"] for c in matches["candidates"]] == ["H1"]
    assert matches["icwa_tier"] == 2 and matches["excluded"]["icwa_order"] == 1
    body = _decision(home="H4", reason="near school")
    body["options_shown"] = ["H1", "H4"]
    response = client.post("/v1/decisions", json=body, headers=headers)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "icwa_good_cause"]]
    body["icwa_good_cause"] = "the tribe agreed in writing"
    ok = client.post("/v1/decisions", json=body, headers=headers)
    assert ok.status_code == 201, ok.text
    assert ok.json()["icwa_good_cause"] == "the tribe agreed in writing"


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"participants": [{"role": "youth"}]}, ["body", "participants"]),
        ({"options_shown": ["H1"]}, ["body", "placements", 0, "home_id"]),
        (
            {"placements": [{"child_id": "C404", "home_id": "H1"}]},
            ["body", "placements", 0, "child_id"],
        ),
        (
            {"placements": [{"child_id": "C3", "home_id": "H1"}]},
            ["body", "placements", 0, "child_id"],
        ),
        (
            {"placements": [{"child_id": "C2", "home_id": "H3"}], "options_shown": ["H3"]},
            ["body", "placements", 0, "home_id"],
        ),
        ({"participants": [{"role": "judge"}]}, ["body", "participants", 0, "role"]),
        ({"started_on": "2099-01-01"}, ["body", "started_on"]),
        (
            {
                "placements": [
                    {"child_id": "C2", "home_id": "H1"},
                    {"child_id": "C2", "home_id": "H2"},
                ]
            },
            ["body", "placements", 1, "child_id"],
        ),
    ],
)
def test_decision_field_errors(
    client: TestClient, keys: dict[str, str], change: dict[str, Any], loc: list[Any]
) -> None:
    """Each mistake in a decision is a 422 naming its field; nothing is written."""
    body = {**_decision(reason="why not"), **change}
    response = client.post("/v1/decisions", json=body, headers=bearer(keys["coordinator"]))
    assert response.status_code == 422, response.text
    assert loc in [e["loc"] for e in response.json()["errors"]]


def test_a_full_home_is_a_conflict(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """A home with no free bed answers 409 and stays as full as it was."""
    # fill H1's three beds with three new children
    headers = bearer(keys["case_system"])
    for child in ("C5", "C6", "C7"):
        assert (
            client.put(
                f"/v1/children/{child}",
                json={"birth_date": "2018-01-01", "sex": "female"},
                headers=headers,
            ).status_code
            == 201
        )
        assert (
            client.put(
                f"/v1/episodes/{child}/2024-02-01",
                json={"removal_latitude": 41.87, "removal_longitude": -87.68},
                headers=headers,
            ).status_code
            == 201
        )
        assert (
            client.put(
                f"/v1/placements/{child}/2024-02-01/foster_home",
                json={"home_id": "H1"},
                headers=headers,
            ).status_code
            == 201
        )
    assert _open_in(api_engine, "H1") == 3
    response = client.post(
        "/v1/decisions",
        json=_decision(home="H1", reason="the family asked"),
        headers=bearer(keys["coordinator"]),
    )
    assert response.status_code == 409
    assert "free bed" in response.json()["detail"]
    assert _open_in(api_engine, "H1") == 3


def _post_decision(base: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST a decision to a served app over real HTTP; the status and the JSON answer."""
    request = urllib.request.Request(
        f"{base}/v1/decisions",
        data=json.dumps(body).encode(),
        headers={**bearer(key), "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_a_child_in_a_family_home_moves_only_when_asked(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """C1 lives with kin in H2: a decision for H1 is a 409 naming C1 and H2 unless it says
    ``moves_from: H2``; then H2's placement ends. A move from where C1 no longer lives: 409."""
    headers = bearer(keys["coordinator"])
    body = _decision(child="C1", home="H1", reason="the aunt can no longer care for her")
    refused = client.post("/v1/decisions", json=body, headers=headers)
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert "C1 is placed in home H2 since 2024-01-02" in detail
    assert "placements[0].moves_from: H2" in detail
    assert _open_family_placements(api_engine, "C1") == ["H2"]
    body["placements"][0]["moves_from"] = "H2"
    moved = client.post("/v1/decisions", json=body, headers=headers)
    assert moved.status_code == 201, moved.text
    assert moved.json()["ended"] == [
        {"child_id": "C1", "setting": "kin_home", "started_on": "2024-01-02"}
    ]
    assert _open_family_placements(api_engine, "C1") == ["H1"]
    back = _decision(child="C1", home="H2", reason="back to the aunt")
    back["placements"][0]["moves_from"] = "H2"
    stale = client.post("/v1/decisions", json=back, headers=headers)
    assert stale.status_code == 409
    assert "C1 is placed in home H1" in stale.json()["detail"]
    assert _open_family_placements(api_engine, "C1") == ["H1"]


RACERS = ("C2", "C4", "C5", "C6", "C7")


def _race_folder(tmp_path: Path) -> Path:
    """The small agency with H1 down to one bed and four more children waiting in shelter."""
    homes = SMALL_FILES["homes.csv"].replace(
        "H1,foster,active,41.92,-87.66,3,", "H1,foster,active,41.92,-87.66,1,"
    )
    children = SMALL_FILES["children.csv"] + "".join(
        f"{c},2018-05-05,male,white,no,en,,,,no,,,,,,\n" for c in RACERS[1:]
    )
    episodes = SMALL_FILES["episodes.csv"] + "".join(
        f"{c},2024-03-01,41.87,-87.68,,\n" for c in RACERS[1:]
    )
    placements = SMALL_FILES["placements.csv"] + "".join(
        f"{c},shelter,,2024-03-01,,\n" for c in RACERS[1:]
    )
    return write_small_folder(
        tmp_path / "race",
        homes_csv=homes,
        children_csv=children,
        episodes_csv=episodes,
        placements_csv=placements,
    )


def test_last_bed_race(engine: Engine, tmp_path: Path) -> None:
    """Five coordinators decide for the last bed of H1 at once: one 201, four 409, never over-full.

    Real concurrent HTTP requests to a real uvicorn server; on PostgreSQL (CI) the home row is
    locked FOR UPDATE, on SQLite the write transaction is BEGIN IMMEDIATE.
    """
    import_folder(engine, _race_folder(tmp_path))
    keys = make_keys(engine)
    app = create_app(engine)
    start = threading.Barrier(len(RACERS))
    statuses: dict[str, int] = {}

    def decide(base: str, child: str) -> None:
        body = _decision(child=child, home="H1", reason="the only home near the school")
        body["options_shown"] = ["H1"]
        start.wait()
        statuses[child] = _post_decision(base, keys["coordinator"], body)[0]

    with serve_in_thread(app) as base:
        threads = [threading.Thread(target=decide, args=(base, c)) for c in RACERS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert Counter(statuses.values()) == {201: 1, 409: 4}, statuses
    assert _open_in(engine, "H1") == 1
    with Session(engine) as session:
        assert len(session.execute(select(Decision)).scalars().all()) == 1


ROUNDS = 20


def _two_homes_folder(tmp_path: Path) -> Path:
    """The small agency plus, per round, a child in shelter and two 1-bed homes that take her."""
    homes = SMALL_FILES["homes.csv"] + "".join(
        f"{home},foster,active,41.92,-87.66,1,0,17,any,1,,en,,,,no,,,2023-01-02,,\n"
        for i in range(ROUNDS)
        for home in (f"HA{i:02}", f"HB{i:02}")
    )
    racers = [f"R{i:02}" for i in range(ROUNDS)]
    return write_small_folder(
        tmp_path / "two-homes",
        homes_csv=homes,
        children_csv=SMALL_FILES["children.csv"]
        + "".join(f"{c},2018-05-05,female,white,no,en,,,,no,,,,,,\n" for c in racers),
        episodes_csv=SMALL_FILES["episodes.csv"]
        + "".join(f"{c},2024-03-01,41.87,-87.68,,\n" for c in racers),
        placements_csv=SMALL_FILES["placements.csv"]
        + "".join(f"{c},shelter,,2024-03-01,,\n" for c in racers),
    )


def _open_family_placements(engine: Engine, child_id: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.execute(
                select(col(Placement.home_id)).where(
                    col(Placement.child_id) == child_id,
                    col(Placement.ended_on).is_(None),
                    col(Placement.home_id).is_not(None),
                )
            ).scalars()
        )


def _race_round(
    base: str, key: str, child: str, homes: tuple[str, str]
) -> dict[str, tuple[int, dict[str, Any]]]:
    """Two decisions for ``child`` at the same moment, one per home; the answers by home."""

    def decide(i: int) -> tuple[int, dict[str, Any]]:
        body = _decision(child=child, home=homes[i], reason="both homes are near the school")
        body["options_shown"] = list(homes)
        return _post_decision(base, key, body)

    return dict(zip(homes, at_once(len(homes), decide), strict=True))


def test_one_child_two_homes_race(engine: Engine, tmp_path: Path) -> None:
    """Two teams place the same child into two different 1-bed homes at the same moment, 20 times:
    each round one 201 and one 409 naming the child and her home, never two open placements.

    Real concurrent HTTP requests to a uvicorn server; on PostgreSQL each decision runs in its
    own connection and transaction (the child's row is what serialises them).
    """
    import_folder(engine, _two_homes_folder(tmp_path))
    key = make_keys(engine)["coordinator"]
    with serve_in_thread(create_app(engine)) as base:
        rounds = [
            _race_round(base, key, f"R{i:02}", (f"HA{i:02}", f"HB{i:02}")) for i in range(ROUNDS)
        ]
    placed_twice = [
        f"R{i:02}" for i in range(ROUNDS) if len(_open_family_placements(engine, f"R{i:02}")) > 1
    ]
    statuses = Counter(tuple(sorted(a[h][0] for h in a)) for a in rounds)
    assert not placed_twice and statuses == {(201, 409): ROUNDS}, (
        statuses,
        f"{len(placed_twice)} of {ROUNDS} children with two open placements: {placed_twice}",
    )
    for i, answers in enumerate(rounds):
        child = f"R{i:02}"
        [home] = _open_family_placements(engine, child)
        [refused] = [body for status, body in answers.values() if status == 409]
        assert child in refused["detail"] and home in refused["detail"], refused
