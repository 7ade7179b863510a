"""`POST /v1/matches`: the CLI's JSON, the snapshot kept warm and refreshed on change, audit."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.cli import main
from tests.helpers.app import app_of
from tests.helpers.auth import bearer


def test_matches_are_the_cli_json(
    client: TestClient,
    keys: dict[str, str],
    api_engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The API answers exactly what `fostermatch match C2 --json` prints."""
    response = client.post(
        "/v1/matches", json={"child_id": "C2", "limit": 5}, headers=bearer(keys["coordinator"])
    )
    assert response.status_code == 200, response.text
    url = api_engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "match", "C2", "--limit", "5", "--json"]) == 0
    assert response.json() == json.loads(capsys.readouterr().out)
    body = response.json()
    assert body["children"] == ["C2"]
    assert [c["home_id"] for c in body["candidates"]] == [
        "H1"
    ]  # the kin home H2 lacks medical care
    assert body["excluded"]["needs"] == 1


def test_matches_say_who_waits_and_what_counts_against_a_home(
    client: TestClient, keys: dict[str, str]
) -> None:
    """The answer has a waiting row for C2 (days since the removal, as of the date asked), and
    each candidate its reasons for and against with their keys."""
    response = client.post(
        "/v1/matches",
        json={"child_id": "C2", "as_of": "2026-01-01"},
        headers=bearer(keys["coordinator"]),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["waiting"] == [
        {
            "child_id": "C2",
            "waited_days": 731,
            "turns_18_on": None,
            "icwa": False,
            "best_icwa_tier": None,
            "best_icwa_home": None,
        }
    ]
    (candidate,) = body["candidates"]
    assert {"for", "against", "for_i18n", "against_i18n"} <= set(candidate)
    # H1 is a home, not C2's sister's: the siblings factor counts against it, said so
    assert "his sister C1 lives in another home (H2)" in candidate["against"]
    assert all(row["kin"] in (True, False) for row in body["near_misses"])


def test_snapshot_is_reused_until_the_records_change(
    client: TestClient, keys: dict[str, str]
) -> None:
    """Repeated matches build the snapshot once; a PUT bumps the counter and forces a rebuild."""
    cache = app_of(client).state.snapshots
    headers = bearer(keys["coordinator"])
    for _ in range(3):
        assert (
            client.post("/v1/matches", json={"child_id": "C2"}, headers=headers).status_code == 200
        )
    assert cache.builds == 1
    read = client.get("/v1/homes/H1", headers=headers)
    fields = {k: v for k, v in read.json().items() if k not in ("id", "community_id", "version")}
    put = client.put(
        "/v1/homes/H1",
        json={**fields, "status": "on_hold"},
        headers={**bearer(keys["case_system"]), "If-Match": read.headers["etag"]},
    )
    assert put.status_code == 200, put.text
    after = client.post("/v1/matches", json={"child_id": "C2"}, headers=headers).json()
    assert cache.builds == 2
    assert "H1" not in [c["home_id"] for c in after["candidates"]]  # the change is seen at once


def test_match_errors_name_the_field(client: TestClient, keys: dict[str, str]) -> None:
    """Unknown child, child not in care, bad limit: 422 with the field path."""
    headers = bearer(keys["coordinator"])
    for body, loc, words in [
        ({"child_id": "C404"}, ["body", "child_id"], "unknown child"),
        ({"child_id": "C3"}, ["body", "child_id"], "not in care"),
        ({"child_id": "C2", "limit": -1}, ["body", "limit"], "greater than or equal"),
        ({}, ["body", "child_id"], "required"),
    ]:
        response = client.post("/v1/matches", json=body, headers=headers)
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert error["loc"] == loc and words in error["message"]


def test_a_match_is_audited(client: TestClient, keys: dict[str, str]) -> None:
    """Asking for matches writes an audit entry naming the key and the child."""
    client.post("/v1/matches", json={"child_id": "C2"}, headers=bearer(keys["coordinator"]))
    entries = client.get("/v1/audit?action=match", headers=bearer(keys["admin"])).json()["items"]
    assert [(e["role"], e["child_ids"], e["key_label"]) for e in entries] == [
        ("coordinator", ["C2"], "test coordinator")
    ]
