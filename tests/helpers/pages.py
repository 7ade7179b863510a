"""The pages as a person without a browser meets them: signing in, the forms' tokens, and
records that a page test adds to the sample county."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from core.codes import NEEDS
from data.changes import Change, append_changes
from data.db import session_scope
from data.models import Child, Episode, Home, Placement
from data.queries import waiting_children
from tests.helpers.app import engine_of
from tests.helpers.auth import bearer

TEMPLATES = Path(str(files("api") / "templates" / "pages"))


def signin_token(client: TestClient) -> dict[str, str]:
    """The sign-in form's token (bound to the pre-session cookie the form sets), as form data."""
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/pages/signin").text)
    assert found is not None, "the sign-in form has a token"
    return {"csrf": found.group(1)}


def sign_in(client: TestClient, key: str) -> None:
    """Sign the client in through the form."""
    client.cookies.clear()
    answer = client.post(
        "/pages/signin", data={"api_key": key, **signin_token(client)}, follow_redirects=False
    )
    assert answer.status_code == 303


def a_waiting_child(client: TestClient) -> str:
    """The first waiting child of the county."""
    with Session(engine_of(client)) as session:
        return waiting_children(session)[0]


def decision_form(page: str) -> tuple[list[str], dict[str, str]]:
    """The options shown, and the children each home takes with the form's token, from the
    child page."""
    shown = re.findall(r'name="options_shown" value="([^"]+)"', page)
    takes = dict(re.findall(r'name="(children:[^"]+)" value="([^"]*)"', page))
    return shown, {**takes, **csrf_of(page)}


def csrf_of(page: str) -> dict[str, str]:
    """The hidden form token of a signed-in page, as form data."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "the page has a form token"
    return {"csrf": found.group(1)}


def count_rows(client: TestClient, table: type) -> int:
    """How many rows ``table`` holds in the client's database."""
    with Session(engine_of(client)) as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def a_removal_and_the_homes_for_every_need(session: Session) -> tuple[Episode, list[str]]:
    """An open episode's removal (with a community) to place test children at, and the sample
    homes that meet every need: excluded for a test child who needs them all, so that only the
    test's own homes are hers."""
    removal = (
        session.execute(select(Episode).where(col(Episode.removal_community_id).is_not(None)))
        .scalars()
        .first()
    )
    assert removal is not None
    capable = sorted(
        h.id for h in session.execute(select(Home)).scalars() if set(NEEDS) <= set(h.capabilities)
    )
    return removal, capable


def a_spanish_teen_turning_18(engine: Engine) -> dict[str, str]:
    """Records of the test's own: Eva, 17, Spanish only, removed 30 days ago and turning 18 in
    100 days, whose only possible home (she needs every capability; the sample homes offering
    them all are excluded for her) speaks English only and takes any age."""
    today = date.today()
    days = 100 if (today + timedelta(days=100)).strftime("%m-%d") != "02-29" else 101
    birthday = today + timedelta(days=days)
    ids = {"eva": "ZE-EVA", "home": "ZE-HOME", "birthday": birthday.isoformat(), "days": str(days)}
    with session_scope(engine) as session:
        removal, capable = a_removal_and_the_homes_for_every_need(session)
        session.add(
            Home(
                id=ids["home"],
                kind="foster",
                status="active",
                capacity=1,
                capabilities=list(NEEDS),
                languages=["en"],
                licensed_on=today - timedelta(days=400),
                latitude=removal.removal_latitude,
                longitude=removal.removal_longitude,
                community_id=removal.removal_community_id,
            )
        )
        session.add(
            Child(
                id=ids["eva"],
                birth_date=birthday.replace(year=birthday.year - 18),
                sex="female",
                languages=["es"],
                needs=list(NEEDS),
                excluded_homes=capable,
            )
        )
        session.flush()
        session.add(
            Episode(
                child_id=ids["eva"],
                removed_on=today - timedelta(days=30),
                removal_latitude=removal.removal_latitude,
                removal_longitude=removal.removal_longitude,
                removal_community_id=removal.removal_community_id,
            )
        )
        append_changes(session, [Change("child.created", "child", i) for i in sorted(ids.values())])
    return ids


def a_child_in_a_family_home(engine: Engine, capacity_waiver: str) -> tuple[str, str]:
    """A child in care living in a family home, whose placement gets ``capacity_waiver``;
    the child's and the home's ids."""
    with session_scope(engine) as session:
        stay = (
            session.execute(
                select(Placement)
                .join(Episode, col(Episode.child_id) == col(Placement.child_id))
                .where(
                    col(Placement.ended_on).is_(None),
                    col(Placement.home_id).is_not(None),
                    col(Episode.discharged_on).is_(None),
                )
                .order_by(col(Placement.child_id))
            )
            .scalars()
            .first()
        )
        assert stay is not None and stay.home_id is not None
        stay.capacity_waiver = capacity_waiver
        return stay.child_id, stay.home_id


def icwa_siblings_split_by_a_kin_home(engine: Engine) -> dict[str, str]:
    """Records of this test's own (no sample child or home has this shape): two waiting
    half-siblings, Ana (4, under ICWA, tribe "Test Nation") and Ben (12, not under ICWA), and
    two homes. Home ZT has one bed, is licensed by Ana's tribe (ICWA tier 2 for her) and is
    Ben's aunt's (kin of Ben only); home ZW has two beds, takes both and is of no tribe
    (tier 4 for Ana). Ana is proposed ZT, her best tier (ICWA binds; kin first for Ben is
    policy); ZW takes Ben; keeping both together in ZW is an alternative that needs good cause.

    Both children need every capability, and the sample homes that offer them all are
    excluded for them, so these two homes are their only options.
    """
    from data.models import SiblingGroup

    today = date.today()
    ids = {"ana": "ZI-ANA", "ben": "ZI-BEN", "tribal": "ZT-KIN-TRIBE", "other": "ZW-TOGETHER"}
    with session_scope(engine) as session:
        removal, capable = a_removal_and_the_homes_for_every_need(session)
        place: dict[str, Any] = {
            "latitude": removal.removal_latitude,
            "longitude": removal.removal_longitude,
            "community_id": removal.removal_community_id,
        }
        common: dict[str, Any] = {
            "kind": "foster",
            "status": "active",
            "capacity": 1,
            "capabilities": list(NEEDS),
            "licensed_on": today - timedelta(days=400),
            **place,
        }
        session.add(SiblingGroup(id="ZI-GROUP"))
        session.add(
            Home(
                id=ids["tribal"],
                age_min=0,
                age_max=17,
                tribe="Test Nation",
                tribe_licensed=True,
                kin_of=[ids["ben"]],
                kin_relationship="paternal aunt",
                **common,
            )
        )
        session.add(Home(id=ids["other"], age_min=0, age_max=17, **{**common, "capacity": 2}))
        session.flush()  # the group and the homes before the children who name them
        for key, years, sex, icwa in (("ana", 4, "female", "yes"), ("ben", 12, "male", "no")):
            session.add(
                Child(
                    id=ids[key],
                    birth_date=today - timedelta(days=365 * years + 100),
                    sex=sex,
                    tribe="Test Nation" if icwa == "yes" else None,
                    icwa=icwa,
                    needs=list(NEEDS),
                    sibling_group_id="ZI-GROUP",
                    excluded_homes=capable,
                )
            )
            session.flush()
            session.add(
                Episode(
                    child_id=ids[key],
                    removed_on=today - timedelta(days=30),
                    removal_latitude=place["latitude"],
                    removal_longitude=place["longitude"],
                    removal_community_id=place["community_id"],
                )
            )
        append_changes(
            session, [Change("child.created", "child", i) for i in (ids["ana"], ids["ben"])]
        )
    return ids


def a_group_split_by_its_first_home(
    engine: Engine, ranking: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """The ranking of a waiting sibling group whose first-ranked home takes two or more of
    them but not all: the options differ in who goes and who waits. ``ranking`` answers
    ``POST /v1/matches`` for a child id (through a test client, or over HTTP)."""
    with Session(engine) as session:
        ids = waiting_children(session)
        groups = dict(
            session.execute(
                select(col(Child.id), col(Child.sibling_group_id)).where(col(Child.id).in_(ids))
            ).all()
        )
    seen: set[str] = set()
    for child in ids:
        group = groups.get(child)
        if group is None or group in seen:
            continue
        seen.add(group)
        ranked = ranking(child)
        first = ranked["candidates"][0] if ranked.get("candidates") else None
        if first and not first["takes_all_siblings"] and len(first["children"]) >= 2:
            return ranked
    raise AssertionError("the sample county has a group whose first home takes only part")


def ranking_through(client: TestClient, key: str) -> Callable[[str], dict[str, Any]]:
    """``POST /v1/matches`` for a child id through the test client, with ``key``."""

    def ranking(child_id: str) -> dict[str, Any]:
        answer = client.post("/v1/matches", json={"child_id": child_id}, headers=bearer(key))
        assert answer.status_code == 200, answer.text
        ranked: dict[str, Any] = answer.json()
        return ranked

    return ranking


def a_done_plan_for_half_the_waiting(engine: Engine) -> str:
    """A finished cp-sat plan job, as of 2026-10-31, that places the first half of the waiting
    children in home H0001 (2-4 km away) and leaves the rest unplaced; its baseline placed
    the first ten. Returns the job's id."""
    from api.services.plan_jobs import create_job

    with Session(engine) as session:
        waiting = waiting_children(session)
    assignments = [
        {"child_id": c, "home_id": "H0001", "score": 0.5, "distance_km": 2.0 + i % 3, "kin": False}
        for i, c in enumerate(waiting[: len(waiting) // 2])
    ]
    result: dict[str, Any] = {
        "method": "cp-sat",
        "assignments": assignments,
        "unplaced": [{"child_id": c, "reasons": []} for c in waiting[len(waiting) // 2 :]],
        "summary": {},
        "baseline_assignments": assignments[:10],
    }
    with session_scope(engine) as session:
        job = create_job(session, {"time_limit_s": 1, "as_of": "2026-10-31"}, None)
        job.status = "done"
        job.result = result
        job.started_at = job.finished_at = job.created_at
        return job.id
