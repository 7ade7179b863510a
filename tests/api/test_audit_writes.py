"""Every write is audited: records through the API, imports, plan jobs, keys and the CLI.

Each write leaves exactly one entry per record (an import: one per file) with who, what and
the names of the fields it changed, never a child's personal data.
"""

from __future__ import annotations

import getpass
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from api.cli import main
from api.services.audit import entry_json
from api.services.keys import ROLES
from data.models import AuditEntry
from tests.helpers.auth import bearer
from tests.helpers.records import write_small_folder

# the personal data of the children written below: none of it may reach the log
BIRTH_DATE = "2016-02-03"
RACE = "nhpi"
SCHOOL = ("41.9123", "-87.6612")
REMOVAL = ("41.8711", "-87.6833")
CHILD = {
    "birth_date": BIRTH_DATE,
    "sex": "male",
    "race": [RACE],
    "hispanic": "yes",
    "school_latitude": float(SCHOOL[0]),
    "school_longitude": float(SCHOOL[1]),
}
PERSONAL = (BIRTH_DATE, RACE, *SCHOOL, *REMOVAL, "A. Smith")


def _entries(engine: Engine, after: int = 0) -> list[dict[str, Any]]:
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEntry).where(col(AuditEntry.id) > after).order_by(col(AuditEntry.id))
        ).scalars()
        return [entry_json(e) for e in rows]


def _last_id(engine: Engine) -> int:
    entries = _entries(engine)
    return entries[-1]["id"] if entries else 0


def _no_personal_data(entries: list[dict[str, Any]]) -> None:
    text = json.dumps(entries)
    leaked = [value for value in PERSONAL if value in text]
    assert leaked == [], f"personal data in the audit log: {leaked}"


def _one(engine: Engine, after: int) -> dict[str, Any]:
    new = _entries(engine, after)
    assert len(new) == 1, new
    _no_personal_data(new)
    return new[0]


def test_put_and_delete_of_a_child_are_audited(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """PUT (insert, change) and DELETE of a child: one entry each, field names, no values."""
    writer = bearer(keys["case_system"])
    before = _last_id(api_engine)
    assert client.put("/v1/children/C9", json=CHILD, headers=writer).status_code == 201
    created = _one(api_engine, before)
    assert (created["action"], created["resource"], created["record_id"]) == (
        "upsert",
        "child",
        "C9",
    )
    assert created["child_ids"] == ["C9"]
    assert created["role"] == "case_system" and created["key_label"] == "test case_system"
    assert {"birth_date", "sex", "race", "school_latitude"} <= set(created["fields"])
    assert "id" not in created["fields"]

    before = _last_id(api_engine)
    changed = {**CHILD, "sex": "female"}
    # the case system names the version it replaces (If-Match), as it must for an update
    update = {**writer, "If-Match": '"v1"'}
    assert client.put("/v1/children/C9", json=changed, headers=update).status_code == 200
    assert _one(api_engine, before)["fields"] == ["sex"]

    before = _last_id(api_engine)
    update = {**writer, "If-Match": '"v2"'}
    assert client.put("/v1/children/C9", json=changed, headers=update).status_code == 200
    assert _entries(api_engine, before) == []  # nothing written, nothing to audit

    assert client.delete("/v1/children/C9", headers=writer).status_code == 204
    deleted = _one(api_engine, before)
    assert (deleted["action"], deleted["resource"], deleted["record_id"]) == (
        "delete",
        "child",
        "C9",
    )
    assert deleted["child_ids"] == ["C9"]

    before = _last_id(api_engine)
    assert client.delete("/v1/children/C9", headers=writer).status_code == 204
    assert _entries(api_engine, before) == []  # it was not there: nothing deleted


def test_put_and_delete_of_episodes_and_placements_are_audited(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """An episode and a placement: one entry per PUT and per DELETE, keyed by the record's key."""
    writer = bearer(keys["case_system"])
    assert client.put("/v1/children/C9", json=CHILD, headers=writer).status_code == 201
    episode = {"removal_latitude": float(REMOVAL[0]), "removal_longitude": float(REMOVAL[1])}
    steps: list[tuple[str, str, dict[str, Any] | None, str, str, list[str]]] = [
        (
            "put",
            "/v1/episodes/C9/2025-01-01",
            episode,
            "upsert",
            "episode",
            ["removal_latitude", "removal_longitude"],
        ),
        (
            "put",
            "/v1/placements/C9/2025-01-01/foster_home",
            {"home_id": "H1"},
            "upsert",
            "placement",
            ["home_id"],
        ),
        (
            "put",
            "/v1/placements/C9/2025-01-01/foster_home",
            {"home_id": "H1", "ended_on": "2025-02-01", "end_reason": "moved"},
            "upsert",
            "placement",
            ["end_reason", "ended_on"],
        ),
        ("delete", "/v1/placements/C9/2025-01-01/foster_home", None, "delete", "placement", []),
        ("delete", "/v1/episodes/C9/2025-01-01", None, "delete", "episode", []),
    ]
    tags: dict[str, str] = {}  # each record's ETag, sent back as If-Match on its next write
    for method, path, body, action, resource, fields in steps:
        before = _last_id(api_engine)
        condition = {"If-Match": tags[path]} if path in tags else {}
        answer = client.request(method, path, json=body, headers={**writer, **condition})
        assert answer.status_code in (200, 201, 204), answer.text
        if "etag" in answer.headers:
            tags[path] = answer.headers["etag"]
        entry = _one(api_engine, before)
        record_id = path.split("/", 3)[3]
        assert (entry["action"], entry["resource"], entry["record_id"]) == (
            action,
            resource,
            record_id,
        ), path
        assert entry["child_ids"] == ["C9"]
        assert set(fields) <= set(entry["fields"]), (path, entry["fields"])


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


IMPORTED = {
    "children.csv": "id,birth_date,sex,race,hispanic\n"
    f"C9,{BIRTH_DATE},male,{RACE},yes\nC10,{BIRTH_DATE},female,{RACE},no\n",
    "episodes.csv": "child_id,removed_on,removal_latitude,removal_longitude\n"
    f"C9,2025-01-01,{REMOVAL[0]},{REMOVAL[1]}\nC10,2025-01-01,{REMOVAL[0]},{REMOVAL[1]}\n",
    "placements.csv": "child_id,setting,home_id,started_on\n"
    "C9,foster_home,H1,2025-01-01\nC10,shelter,,2025-01-01\n",
}


def test_an_import_leaves_one_entry_per_file(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """POST /v1/imports: one `import` entry per file with its counts; none for a failed one."""
    writer = bearer(keys["admin"])
    before = _last_id(api_engine)
    answer = client.post("/v1/imports", files={"file": ("f.zip", _zip(IMPORTED))}, headers=writer)
    assert answer.status_code == 200, answer.text
    new = _entries(api_engine, before)
    _no_personal_data(new)
    assert [(e["action"], e["resource"], e["role"]) for e in new] == [
        ("import", "child", "admin"),
        ("import", "episode", "admin"),
        ("import", "placement", "admin"),
    ]
    assert [e["detail"] for e in new] == [
        "children.csv: 2 inserted, 0 updated, 0 unchanged",
        "episodes.csv: 2 inserted, 0 updated, 0 unchanged",
        "placements.csv: 2 inserted, 0 updated, 0 unchanged",
    ]
    assert all(e["child_ids"] == [] and e["record_id"] is None for e in new)

    before = _last_id(api_engine)
    broken = {**IMPORTED, "children.csv": "id,birth_date,sex\nC11,not a date,male\n"}
    answer = client.post("/v1/imports", files={"file": ("f.zip", _zip(broken))}, headers=writer)
    assert answer.status_code == 422
    assert _entries(api_engine, before) == []


def test_plan_jobs_started_are_audited(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """POST /v1/plans writes a `plan_start` entry naming the job."""
    before = _last_id(api_engine)
    job = client.post("/v1/plans", json={"baseline": "greedy"}, headers=bearer(keys["coordinator"]))
    assert job.status_code == 202
    started = [e for e in _entries(api_engine, before) if e["action"] == "plan_start"]
    assert [(e["resource"], e["record_id"], e["role"]) for e in started] == [
        ("plan", job.json()["id"], "coordinator")
    ]


def test_plans_started_from_the_pages_are_audited(api_engine: Engine, keys: dict[str, str]) -> None:
    """The plans page starts the plan and its greedy baseline: a `plan_start` entry for each."""
    from api.http.app import create_app
    from tests.helpers.pages import csrf_of, sign_in

    before = _last_id(api_engine)
    with TestClient(create_app(api_engine, run_plan_jobs=False)) as pages:
        sign_in(pages, keys["coordinator"])
        form = pages.get("/pages/plans")
        started = pages.post(
            "/pages/plans",
            data={"time_limit_s": "5", "seed": "0", **csrf_of(form.text)},
            follow_redirects=False,
        )
    assert started.status_code == 303
    entries = [e for e in _entries(api_engine, before) if e["action"] == "plan_start"]
    assert [(e["resource"], e["role"], e["key_label"]) for e in entries] == [
        ("plan", "coordinator", "test coordinator")
    ] * 2
    assert entries[0]["record_id"] in started.headers["location"]


def test_a_decision_names_its_record(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """A decision's entry carries the decision's id and no participant's name."""
    decision = {
        "placements": [{"child_id": "C2", "home_id": "H1"}],
        "participants": [{"role": "caseworker"}, {"role": "caregiver", "name": "A. Smith"}],
        "options_shown": ["H1"],
    }
    before = _last_id(api_engine)
    made = client.post("/v1/decisions", json=decision, headers=bearer(keys["coordinator"]))
    assert made.status_code == 201, made.text
    entry = _one(api_engine, before)
    assert (entry["action"], entry["record_id"], entry["child_ids"]) == (
        "decision",
        str(made.json()["id"]),
        ["C2"],
    )


def _cli(engine: Engine, *args: str) -> int:
    return main(["--database-url", engine.url.render_as_string(hide_password=False), *args])


def test_cli_writes_are_audited_as_the_operating_system_user(
    sqlite_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`import`, `keys create`, `keys revoke`, `keys demo`: entries by `cli:<user>`."""
    who = f"cli:{getpass.getuser()}"
    assert _cli(sqlite_engine, "import", str(write_small_folder(tmp_path / "small"))) == 0
    imported = _entries(sqlite_engine)
    _no_personal_data(imported)
    assert [e["resource"] for e in imported] == [
        "community",
        "home",
        "child",
        "episode",
        "placement",
        "applicant",
        "partner",
    ]
    assert {(e["action"], e["key_label"], e["role"], e["key_id"]) for e in imported} == {
        ("import", who, "cli", None)
    }
    assert imported[2]["detail"] == "children.csv: 3 inserted, 0 updated, 0 unchanged"

    before = _last_id(sqlite_engine)
    capsys.readouterr()  # the import's report
    assert (
        _cli(sqlite_engine, "keys", "create", "--role", "recruiter", "--label", "R", "--json") == 0
    )
    key_id = json.loads(capsys.readouterr().out)["id"]
    assert _cli(sqlite_engine, "keys", "revoke", str(key_id)) == 0
    assert [
        (e["action"], e["resource"], e["record_id"]) for e in _entries(sqlite_engine, before)
    ] == [
        ("key_create", "api_key", str(key_id)),
        ("key_revoke", "api_key", str(key_id)),
    ]

    before = _last_id(sqlite_engine)
    assert _cli(sqlite_engine, "keys", "demo") == 0
    assert _cli(sqlite_engine, "keys", "demo") == 0
    actions = [e["action"] for e in _entries(sqlite_engine, before)]
    roles = len(ROLES)  # one demo key per role
    assert actions == ["key_create"] * roles + ["key_revoke"] * roles + ["key_create"] * roles
    capsys.readouterr()
