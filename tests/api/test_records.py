"""Records over HTTP: idempotent PUT, GET, DELETE, lists and their filters, field errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from api.services.snapshots import records_version
from data.db import make_engine, upgrade
from data.importing import import_folder
from data.models import Child, Placement
from data.problems import ImportFailed
from tests.helpers.auth import bearer
from tests.helpers.records import COMMUNITY, write_small_folder

HOME = {"kind": "foster", "status": "active", "latitude": 41.92, "longitude": -87.66, "capacity": 2}
CHILD = {"birth_date": "2016-02-03", "sex": "male", "languages": ["en", "es"], "race": ["white"]}


def _version(engine: Engine) -> int:
    with Session(engine) as session:
        return records_version(session)


def test_put_creates_then_is_idempotent(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """The first PUT answers 201, the same PUT again 200 and changes nothing (no counter bump)."""
    headers = bearer(keys["case_system"])
    before = _version(api_engine)
    first = client.put("/v1/homes/H9", json=HOME, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["community_id"] == "1"  # derived, as on import
    assert _version(api_engine) == before + 1
    # an update names the version it replaces (If-Match), as a case system must
    current = {**headers, "If-Match": first.headers["etag"]}
    again = client.put("/v1/homes/H9", json=HOME, headers=current)
    assert again.status_code == 200
    assert again.headers["x-record-outcome"] == "unchanged"
    assert again.json() == first.json() and again.headers["etag"] == first.headers["etag"]
    assert _version(api_engine) == before + 1
    changed = client.put("/v1/homes/H9", json={**HOME, "capacity": 3}, headers=current)
    assert changed.status_code == 200 and changed.headers["x-record-outcome"] == "updated"
    assert changed.headers["etag"] == '"v2"' and changed.json()["version"] == 2
    assert _version(api_engine) == before + 2
    assert client.get("/v1/homes/H9", headers=headers).json()["capacity"] == 3


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/children/C9", CHILD),
        ("/v1/homes/H9", HOME),
        ("/v1/episodes/C3/2024-02-01", {"removal_latitude": 41.86, "removal_longitude": -87.72}),
        ("/v1/placements/C2/2024-01-01/shelter", {"home_id": None}),
        ("/v1/applicants/A9", {"stage": "inquiry", "stage_on": "2026-10-01"}),
        (
            "/v1/partners/P9",
            {"name": "Library", "kind": "other", "latitude": 41.87, "longitude": -87.67},
        ),
        ("/v1/communities/4", COMMUNITY),
    ],
)
def test_every_kind_round_trips(
    client: TestClient, keys: dict[str, str], path: str, body: dict[str, Any]
) -> None:
    """PUT, GET, PUT again (idempotent) and DELETE then GET 404 work for every kind."""
    headers = bearer(keys["admin"])
    put = client.put(path, json=body, headers=headers)
    assert put.status_code in (200, 201), put.text
    got = client.get(path, headers=headers)
    assert got.status_code == 200
    for name, value in body.items():
        if name != "geometry":
            assert got.json()[name] == value
    assert client.put(path, json=body, headers=headers).headers["x-record-outcome"] == "unchanged"
    if path.startswith("/v1/placements"):
        return  # the shelter stay of C2 is open; deleting it is tested below
    assert client.delete(path, headers=headers).status_code == 204
    assert client.get(path, headers=headers).status_code == 404
    assert client.delete(path, headers=headers).status_code == 204  # a retried delete is fine


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/v1/children/C9", {**CHILD, "sex": "boy"}, ["body", "sex"]),
        ("/v1/children/C%3B9", CHILD, ["path", "record_id"]),
        ("/v1/children/C9", {**CHILD, "birth_date": "2016-13-01"}, ["body", "birth_date"]),
        ("/v1/children/C9", {**CHILD, "excluded_homes": ["H404"]}, ["body", "excluded_homes"]),
        ("/v1/children/C9", {**CHILD, "birth_date": "2099-01-01"}, ["body", "birth_date"]),
        ("/v1/children/C9", {**CHILD, "languages": ["English"]}, ["body", "languages", 0]),
        ("/v1/homes/H9", {**HOME, "capacity": -1}, ["body", "capacity"]),
        (
            "/v1/homes/H9",
            {**HOME, "latitude": 10.0},
            ["body", "latitude"],
        ),  # outside every community
        ("/v1/homes/H9", {**HOME, "age_min": 12, "age_max": 3}, ["body", "age_max"]),
        ("/v1/homes/H9", {**HOME, "kin_of": ["C404"]}, ["body", "kin_of"]),
        ("/v1/homes/H9", {**HOME, "colour": "red"}, ["body", "colour"]),
        (
            "/v1/episodes/C404/2024-02-01",
            {"removal_latitude": 41.86, "removal_longitude": -87.72},
            ["path", "child_id"],
        ),
        ("/v1/episodes/C3/2024-02-01", {"removal_latitude": 41.86}, ["body", "removal_longitude"]),
        (
            "/v1/episodes/C3/2024-02-01",
            {
                "removal_latitude": 41.86,
                "removal_longitude": -87.72,
                "discharged_on": "2024-01-01",
                "discharge_reason": "adoption",
            },
            ["body", "discharged_on"],
        ),
        ("/v1/placements/C2/2024-01-01/castle", {}, ["path", "setting"]),
        ("/v1/placements/C3/2024-01-01/foster_home", {"home_id": "H1"}, ["path", "started_on"]),
        ("/v1/placements/C2/2024-03-01/foster_home", {}, ["body", "home_id"]),
        ("/v1/applicants/A9", {"stage": "dreaming", "stage_on": "2026-10-01"}, ["body", "stage"]),
        (
            "/v1/applicants/A9",
            {"stage": "inquiry", "stage_on": "2026-10-01", "latitude": 41.9},
            ["body", "longitude"],
        ),
        (
            "/v1/partners/P9",
            {"name": "", "kind": "other", "latitude": 41.87, "longitude": -87.67},
            ["body", "name"],
        ),
        (
            "/v1/partners/P9",
            {"name": "Library", "kind": "shop", "latitude": 41.87, "longitude": -87.67},
            ["body", "kind"],
        ),
        (
            "/v1/communities/4",
            {"name": "Nowhere", "geometry": {"type": "Point", "coordinates": [0, 0]}},
            ["body"],
        ),
        ("/v1/communities/4", {"name": "Nowhere"}, ["body", "geometry"]),
    ],
)
def test_field_errors_name_the_field(
    client: TestClient, keys: dict[str, str], path: str, body: dict[str, Any], loc: list[Any]
) -> None:
    """A bad record is a 422 problem+json whose errors name the field; nothing is written."""
    headers = bearer(keys["case_system"])
    response = client.put(path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"] and problem["errors"]
    locs = [e["loc"][: len(loc)] for e in problem["errors"]]
    assert loc in locs, problem["errors"]
    # nothing was written: the record is not there (or its path is not even valid)
    assert client.get(path, headers=bearer(keys["admin"])).status_code in (404, 422)


def test_lists_page_and_filter(client: TestClient, keys: dict[str, str]) -> None:
    """Lists are paged by `next` and filtered; waiting=true gives the waiting children (§4)."""
    headers = bearer(keys["coordinator"])
    first = client.get("/v1/children?limit=2", headers=headers).json()
    assert [c["id"] for c in first["items"]] == ["C1", "C2"] and first["next"] == "C2"
    second = client.get(f"/v1/children?limit=2&after={first['next']}", headers=headers).json()
    assert [c["id"] for c in second["items"]] == ["C3"] and second["next"] is None
    waiting = client.get("/v1/children?waiting=true", headers=headers).json()["items"]
    assert [c["id"] for c in waiting] == ["C2"]
    in_care = client.get("/v1/children?in_care=true", headers=headers).json()["items"]
    assert [c["id"] for c in in_care] == ["C1", "C2"]
    homes = client.get("/v1/homes?status=active", headers=headers).json()["items"]
    assert [h["id"] for h in homes] == ["H1", "H2"]
    open_stays = client.get("/v1/placements?open=true&child_id=C1", headers=headers).json()
    assert [(p["setting"], p["home_id"]) for p in open_stays["items"]] == [("kin_home", "H2")]
    episodes = client.get("/v1/episodes?open=false", headers=headers).json()["items"]
    assert [e["child_id"] for e in episodes] == ["C3"]
    page = client.get("/v1/placements?limit=1", headers=headers).json()
    assert page["next"] == str(page["items"][0]["id"])
    bad = client.get("/v1/placements?after=abc", headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "after"]
    assert client.get("/v1/homes?status=open", headers=headers).status_code == 422


def test_coordinator_does_not_see_race(client: TestClient, keys: dict[str, str]) -> None:
    """Race and Hispanic origin are for monitoring: the case system sees them, a coordinator not."""
    seen = client.get("/v1/children/C2", headers=bearer(keys["case_system"])).json()
    assert seen["race"] == ["black", "white"] and seen["hispanic"] == "no"
    hidden = client.get("/v1/children/C2", headers=bearer(keys["coordinator"])).json()
    assert "race" not in hidden and "hispanic" not in hidden
    listed = client.get("/v1/children", headers=bearer(keys["coordinator"])).json()["items"]
    assert all("race" not in c for c in listed)


def test_delete_refuses_while_referred_to(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """A child with episodes, a home with placements, a community with homes: 409, kept."""
    headers = bearer(keys["case_system"])
    for path, words in [
        ("/v1/children/C1", "episode"),
        ("/v1/homes/H2", "placement"),
        ("/v1/communities/1", "located"),
        ("/v1/episodes/C1/2024-01-01", "placement"),
    ]:
        response = client.delete(path, headers=headers)
        assert response.status_code == 409, path
        assert words in response.json()["detail"]
        assert client.get(path, headers=headers).status_code == 200


def test_placement_home_is_part_of_its_identity(client: TestClient, keys: dict[str, str]) -> None:
    """PUT of a stored placement with another home is a 409 saying to delete it first."""
    response = client.put(
        "/v1/placements/C1/2024-01-02/kin_home",
        json={"home_id": "H1"},
        headers=bearer(keys["admin"]),
    )
    assert response.status_code == 409
    assert "DELETE it first" in response.json()["detail"]


def test_delete_placement_frees_the_bed(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """DELETE of an open placement removes it in one transaction and bumps the counter."""
    before = _version(api_engine)
    path = "/v1/placements/C1/2024-01-02/kin_home"
    assert client.delete(path, headers=bearer(keys["case_system"])).status_code == 204
    with Session(api_engine) as session:
        assert (
            session.execute(
                select(func.count()).select_from(Placement).where(col(Placement.child_id) == "C1")
            ).scalar_one()
            == 1
        )
        assert session.get(Child, "C1") is not None
    assert _version(api_engine) == before + 1


ONE_ROW_FILES = [
    ("homes.csv", "H9,foster,active,41.92,-87.66,2,,,,,,en,,,,,,,2024-01-02,,"),
    (
        "homes.csv",
        "H1,foster,active,41.92,-87.66,4,0,12,any,3,medical;infant,en;es,,halal diet,,no,,,2023-01-02,,",
    ),
    ("homes.csv", "H9,foster,active,41.92,-87.66,2,,,,,,en,,,,,C404,,2024-01-02,,"),
    ("homes.csv", "H9,foster,active,10.0,-87.66,2,,,,,,en,,,,,,,2024-01-02,,"),
    ("homes.csv", "H9,foster,closed,41.92,-87.66,2,,,,,,en,,,,,,,2024-01-02,,"),
    ("children.csv", "C9,2016-02-03,male,,,en,,,,,,G7,C1,H1,,"),
    ("children.csv", "C9,2016-02-03,male,,,en,,,,,,,C404,H404,,"),
    ("children.csv", "C9,2016-02-03,boy,,,en,,,,,,,,,,"),
    ("children.csv", "C9,2016-02-03,male,,,en,,,,,,,C404,,10.0,-87.66"),
    ("episodes.csv", "C3,2024-02-01,41.86,-87.72,,"),
    ("episodes.csv", "C1,2024-02-01,41.86,-87.72,,"),
    ("episodes.csv", "C404,2024-02-01,41.86,-87.72,,"),
    ("episodes.csv", "C404,2024-02-01,10.0,-87.72,,"),
    ("placements.csv", "C2,foster_home,H1,2024-03-01,,"),
    ("placements.csv", "C3,foster_home,H1,2024-03-01,,"),
    ("placements.csv", "C2,foster_home,H404,2023-03-01,,"),
    ("applicants.csv", "A9,inquiry,2026-10-01,41.9,,,"),
    ("partners.csv", "P1,Library,other,41.87,-87.67,,"),
]


@pytest.mark.parametrize(("name", "row"), ONE_ROW_FILES)
def test_one_record_is_checked_as_a_bulk_import_would(tmp_path: Path, name: str, row: str) -> None:
    """The scoped import of one record finds exactly the problems (or writes exactly the counts)
    that `import_folder` finds for the same one-row file over every stored record."""
    from data.formats import CSV_FILES
    from data.importing import import_record

    spec = next(s for s in CSV_FILES if s.name == name)
    text = ",".join(spec.header) + "\n" + row + "\n"
    outcomes: list[tuple[object, ...]] = []
    for which in ("bulk", "one"):
        engine = make_engine(f"sqlite:///{tmp_path / which}.db")
        upgrade(engine)
        import_folder(engine, write_small_folder(tmp_path / f"small-{which}"))
        try:
            if which == "bulk":
                folder = tmp_path / "one-row"
                folder.mkdir(exist_ok=True)
                (folder / name).write_text(text, encoding="utf-8")
                counts = import_folder(engine, folder).files[name]
            else:
                counts = import_record(engine, spec, text)
            outcomes.append(("written", counts.inserted, counts.updated, counts.unchanged))
        except ImportFailed as failed:
            outcomes.append(("refused", *sorted(failed.problems)))
        finally:
            engine.dispose()
    assert outcomes[0] == outcomes[1]
