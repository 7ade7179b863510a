"""One journey through the API on SQLite and on PostgreSQL (CI): the SQL differs, not the answers.

Records written and read, the JSON-list lookups (audit by child, delete refusals), a match,
a decision, a plan job, the audit log, the decisions list and the changes feed, on each database of the ``engine`` fixture.
"""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.http.app import create_app
from api.settings import load_settings
from data.importing import import_folder
from tests.helpers.auth import bearer, make_keys
from tests.helpers.records import write_small_folder


def test_a_coordinators_day(engine: Engine, tmp_path: Path) -> None:
    """PUT a child, list, refuse a delete, match, decide, plan, audit: the same on both databases."""
    import_folder(engine, write_small_folder(tmp_path / "small"))
    keys = make_keys(engine)
    writer, coordinator, admin = (bearer(keys[r]) for r in ("case_system", "coordinator", "admin"))
    # the plans run in the web process on both (FOSTERMATCH_PLAN_RUNNER=web; the job queue
    # and its worker processes: tests/api/test_plan_queue.py)
    web_plans = load_settings({"FOSTERMATCH_PLAN_RUNNER": "web"})
    with TestClient(create_app(engine, settings=web_plans)) as client:
        child = {"birth_date": "2016-02-03", "sex": "male", "separate_from": ["C1"]}
        created = client.put("/v1/children/C9", json=child, headers=writer)
        assert created.status_code == 201
        update = {**writer, "If-Match": created.headers["etag"]}  # the version it replaces
        assert client.put("/v1/children/C9", json=child, headers=update).status_code == 200
        refused = client.delete("/v1/children/C1", headers=writer)
        assert refused.status_code == 409 and "kept apart" in refused.json()["detail"]
        waiting = client.get("/v1/children?waiting=true", headers=coordinator).json()["items"]
        assert [c["id"] for c in waiting] == ["C2"]

        matches = client.post("/v1/matches", json={"child_id": "C2"}, headers=coordinator)
        assert matches.status_code == 200
        assert [c["home_id"] for c in matches.json()["candidates"]] == ["H1"]
        decision = {
            "placements": [{"child_id": "C2", "home_id": "H1"}],
            "participants": [{"role": "caseworker"}, {"role": "caregiver", "name": "A. Smith"}],
            "options_shown": ["H1"],
        }
        made = client.post("/v1/decisions", json=decision, headers=coordinator)
        assert made.status_code == 201, made.text
        read = client.get(f"/v1/decisions/{made.json()['id']}", headers=coordinator).json()
        assert read["participants"][1] == {"role": "caregiver", "name": "A. Smith"}
        again = client.post("/v1/decisions", json=decision, headers=coordinator)
        assert again.status_code == 422  # C2 already lives in H1

        job = client.post("/v1/plans", json={"baseline": "greedy"}, headers=coordinator).json()
        for _ in range(200):
            state = client.get(f"/v1/plans/{job['id']}", headers=coordinator).json()
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.05)
        assert state["status"] == "done" and state["result"]["assignments"] == []

        about_c2 = client.get("/v1/audit?child_id=C2", headers=admin).json()["items"]
        assert [e["action"] for e in about_c2] == [
            "list_children",
            "match",
            "decision",
            "read_decision",
        ]
        listed = client.get("/v1/decisions?child_id=C2&home_id=H1", headers=coordinator).json()
        assert [d["id"] for d in listed["items"]] == [made.json()["id"]]
        feed = client.get("/v1/changes?limit=1000", headers=writer).json()
        assert [c["kind"] for c in feed["items"]] == [
            "import.completed",
            "child.created",
            "decision.recorded",
            "plan.done",
        ]
