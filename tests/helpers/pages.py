"""The pages as a person without a browser meets them: signing in, the forms' tokens, and
records that a page test adds to the sample county."""

from __future__ import annotations

import re
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from core.codes import NEEDS
from data.changes import Change, append_changes
from data.db import session_scope
from data.models import Child, Episode, Home, Placement
from data.queries import waiting_children
from tests.helpers.app import engine_of

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
