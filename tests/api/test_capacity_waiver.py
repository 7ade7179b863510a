"""Never more children than beds: the records API refuses an over-full home unless the case
system records a capacity waiver (what really happened), which is audited and counted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from api.http.app import create_app
from api.services.matching import load_matching_inputs, load_waiting_children
from data.exporting import export_folder
from data.importing import import_folder
from data.models import AuditEntry
from data.problems import ImportFailed
from matching import greedy, load_policy, plan, rank
from tests.helpers.auth import bearer, make_keys
from tests.helpers.records import SMALL_FILES, write_small_folder

WAIVER = "an emergency at night; the licensing worker agreed by phone"


def _place_new_child(
    client: TestClient, key: str, child: str, home: str, **placement: object
) -> Response:
    """PUT a new child in care since 2024-02-01 and their placement in ``home``."""
    headers = bearer(key)
    child_body = {"birth_date": "2018-01-01", "sex": "female"}
    assert client.put(f"/v1/children/{child}", json=child_body, headers=headers).status_code == 201
    episode = {"removal_latitude": 41.87, "removal_longitude": -87.68}
    assert (
        client.put(f"/v1/episodes/{child}/2024-02-01", json=episode, headers=headers).status_code
        == 201
    )
    return client.put(
        f"/v1/placements/{child}/2024-02-01/foster_home",
        json={"home_id": home, **placement},
        headers=headers,
    )


@pytest.fixture
def both(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Engine]]:
    """The small agency on SQLite and on PostgreSQL: a client, a key per role, the engine."""
    import_folder(engine, write_small_folder(tmp_path / "small"))
    keys = make_keys(engine)
    with TestClient(create_app(engine)) as client:
        yield client, keys, engine


def test_a_full_home_needs_a_capacity_waiver(
    both: tuple[TestClient, dict[str, str], Engine],
) -> None:
    """H1's 3 beds filled, a 4th placement is a 409 naming H1, its beds and its placements;
    with a capacity_waiver it is written (201), audited, and the engine sees no free bed."""
    client, keys, api_engine = both
    writer = keys["case_system"]
    for child in ("C5", "C6", "C7"):
        assert _place_new_child(client, writer, child, "H1").status_code == 201
    refused = _place_new_child(client, writer, "C8", "H1")
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert "home H1 has 3 bed(s) and would have 4 open placement(s) (C5, C6, C7, C8)" in detail
    assert "capacity_waiver" in detail
    placements = client.get("/v1/placements?child_id=C8", headers=bearer(writer)).json()
    assert placements["items"] == []

    waived = client.put(
        "/v1/placements/C8/2024-02-01/foster_home",
        json={"home_id": "H1", "capacity_waiver": WAIVER},
        headers=bearer(writer),
    )
    assert waived.status_code == 201, waived.text
    assert waived.json()["capacity_waiver"] == WAIVER
    again = client.put(
        "/v1/placements/C8/2024-02-01/foster_home",
        json={"home_id": "H1", "capacity_waiver": WAIVER},
        headers={**bearer(writer), "If-Match": waived.headers["etag"]},
    )
    assert again.status_code == 200  # idempotent, and audited once
    with Session(api_engine) as session:
        entries = list(
            session.execute(
                select(AuditEntry).where(col(AuditEntry.action) == "capacity_waiver")
            ).scalars()
        )
        inputs = load_matching_inputs(session)
        waiting = load_waiting_children(session)
    assert [(e.child_ids, e.role, e.resource) for e in entries] == [
        (["C8"], "case_system", "placement")
    ]
    assert "home H1 (3 bed(s))" in (entries[0].detail or "")
    assert WAIVER not in (entries[0].detail or "")  # free text stays on the placement
    snapshot = inputs.snapshot
    assert snapshot.free_beds[snapshot.position("H1")] == 0  # 4 children in 3 beds: none free
    policy = load_policy()
    c2 = [c for c in waiting if c.id == "C2"]
    ranked = rank(c2, snapshot, inputs.communities, policy)
    assert not ranked.candidates and ranked.excluded["no_free_bed"] == 1
    for result in (
        greedy(waiting, snapshot, inputs.communities, policy),
        plan(waiting, snapshot, inputs.communities, policy, time_limit_s=5, deterministic=True),
    ):
        assert all(a.home_id != "H1" for a in result.assignments)
    decision = {
        "placements": [{"child_id": "C2", "home_id": "H1"}],
        "participants": [{"role": "caseworker"}],
        "options_shown": ["H1"],
        "reason": "the only home with medical training",
    }
    full = client.post("/v1/decisions", json=decision, headers=bearer(keys["coordinator"]))
    assert full.status_code == 409 and "0 free bed(s)" in full.json()["detail"]


def test_a_waiver_is_for_family_homes_only(client: TestClient, keys: dict[str, str]) -> None:
    """A capacity waiver on a shelter placement (no home, no beds) is a 422 on the field."""
    response = client.put(
        "/v1/placements/C2/2024-01-01/shelter",
        json={"capacity_waiver": WAIVER},
        headers=bearer(keys["case_system"]),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "capacity_waiver"]


def _overfull_folder(tmp_path: Path, waiver: str) -> Path:
    """The small agency with a third child placed in H2 (2 beds, C1 there already)."""
    children = SMALL_FILES["children.csv"] + "C4,2016-01-01,male,white,no,en,,,,no,,,,,,\n"
    episodes = SMALL_FILES["episodes.csv"] + "C4,2024-03-01,41.87,-87.68,,\n"
    header, *rows = SMALL_FILES["placements.csv"].splitlines()
    placements = "".join(
        f"{line}\n"
        for line in [
            f"{header},capacity_waiver",
            *[f"{r}," for r in rows],
            "C2,shelter,,2024-01-01,2024-03-01,move,",
            "C2,kin_home,H2,2024-03-01,,,",
            f'C4,kin_home,H2,2024-03-01,,,"{waiver}"',
        ]
    )
    # C2 left the shelter for H2: the folder replaces the open shelter stay
    placements = placements.replace("C2,shelter,,2024-01-01,,,\n", "")
    return write_small_folder(
        tmp_path / "overfull",
        children_csv=children,
        episodes_csv=episodes,
        placements_csv=placements,
    )


def test_a_folder_import_refuses_an_overfull_home(sqlite_engine: Engine, tmp_path: Path) -> None:
    """A folder putting 3 children in H2's 2 beds: FILE:LINE: column names H2, its beds and
    the children; nothing is written. With the waiver it imports and exports back exactly."""
    with pytest.raises(ImportFailed) as failed:
        import_folder(sqlite_engine, _overfull_folder(tmp_path / "a", ""))
    assert [str(p) for p in failed.value.problems] == [
        "placements.csv:7: column capacity_waiver: home H2 has 2 bed(s) and would have 3 open "
        "placement(s) (C1, C2, C4): a child placed there anyway needs a capacity_waiver "
        "(the reason) on the placement"
    ]
    folder = _overfull_folder(tmp_path / "b", "a sibling arrived at night; the room was shared")
    import_folder(sqlite_engine, folder)
    export_folder(sqlite_engine, tmp_path / "export")
    written = (tmp_path / "export" / "placements.csv").read_text(encoding="utf-8")
    assert "C4,kin_home,H2,2024-03-01,,,a sibling arrived at night; the room was shared\n" in (
        written
    )
    assert import_folder(sqlite_engine, tmp_path / "export").changed is False
    assert date.today() >= date(2024, 3, 1)
