"""The coordinator's pages: the waiting children and a child's ranked homes (the team decision
they lead to is :mod:`api.pages.decisions`)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy import func, select
from sqlmodel import Session, col

from api.http.dependencies import EngineDep, get_engine, get_policy, get_snapshots
from api.pages.i18n import TEXT, format_number, translate
from api.pages.render import gate, page_lang, render, router
from api.pages.views import AGE_BANDS, MapHome, child_map_svg, home_locations, load_waiting
from api.schemas import PARTICIPANT_ROLES
from api.services.audit import audit_read
from api.services.keys import Principal
from api.services.matching import ChildNotFound, ChildNotInCare, load_group
from api.services.offers import calls_in_episode
from core.codes import DECLINE_REASONS, OFFER_OUTCOMES
from data.formats import CONGREGATE_SETTINGS, FAMILY_SETTINGS
from data.models import Child, Home, Placement
from data.queries import community_index, free_beds, open_episodes
from matching import InputError, rank

PAGE_SIZE = 100  # rows of the waiting list on one page
HOMES_SHOWN = 10


# -- coordinator: waiting children, a child's homes, the decision ----------------------------


@router.get("/children", response_class=HTMLResponse)
def children_page(
    request: Request,
    engine: EngineDep,
    q: str = "",
    age: str = "",
    siblings: str = "",
    community: str = "",
    setting: str = "",
    days: str = "",
    page: str = "1",
) -> Response:
    who = gate(request, "children:read")
    if isinstance(who, Response):
        return who
    today = date.today()
    with Session(engine) as session:
        # the longest-waiting first (the page says so): waiting time is a priority
        everyone = sorted(load_waiting(session, today), key=lambda r: (-r.days_waiting, r.id))
    rows = everyone
    if q.strip():
        rows = [r for r in rows if q.strip().lower() in r.id.lower()]
    if age in AGE_BANDS:
        low, high = AGE_BANDS[age]
        rows = [r for r in rows if low <= r.age <= high]
    if siblings in ("alone", "group"):
        rows = [r for r in rows if (r.siblings_waiting > 0) == (siblings == "group")]
    if community:
        rows = [r for r in rows if r.community_id == community]
    if setting:
        rows = [r for r in rows if (r.setting or "none") == setting]
    # ASCII digits only: "²".isdigit() is true but int("²") fails
    days = days.strip()
    days_ok = not days or (days.isascii() and days.isdigit() and len(days) < 7)
    if days and days_ok:
        rows = [r for r in rows if r.days_waiting >= int(days)]
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    number = _page_number(page, pages)
    first = (number - 1) * PAGE_SIZE
    shown = rows[first : first + PAGE_SIZE]
    audit_read(engine, who, "list_children", "child", [r.id for r in shown], "pages")
    communities = sorted({(r.community, r.community_id) for r in everyone if r.community_id})
    chosen = {
        "q": q,
        "age": age,
        "siblings": siblings,
        "community": community,
        "setting": setting,
        "days": days,
    }
    return render(
        request,
        "children.html",
        who,
        200 if days_ok else 422,
        days_error=not days_ok,
        rows=shown,
        total=len(everyone),
        matching=len(rows),
        page=number,
        pages=pages,
        first_row=first + 1,
        last_row=first + len(shown),
        previous_link=_page_link(chosen, number - 1) if number > 1 else None,
        next_link=_page_link(chosen, number + 1) if number < pages else None,
        communities=communities,
        age_bands=list(AGE_BANDS),
        settings=["none", *CONGREGATE_SETTINGS],
        chosen=chosen,
    )


def _page_number(asked: str, pages: int) -> int:
    """The page of the list to show, 1-based: the first for anything but a whole number, the
    last for a number past the end."""
    if not (asked.isascii() and asked.isdigit()):
        return 1
    number = int(asked) if len(asked) < 10 else pages  # no int() of a thousand digits
    return min(max(number, 1), pages)


def _page_link(chosen: dict[str, str], number: int) -> str:
    """The waiting list with the same filters, on page ``number``."""
    query = {name: value for name, value in chosen.items() if value}
    return f"/pages/children?{urlencode({**query, 'page': number})}"


def child_context(request: Request, who: Principal, child_id: str) -> dict[str, Any] | None:
    """Everything the child page shows; None when the child is unknown or not in care."""
    today = date.today()
    lang = page_lang(request)
    with Session(get_engine(request)) as session:
        try:
            children = load_group(session, child_id, as_of=today)
        except (ChildNotFound, ChildNotInCare):
            return None
        inputs = get_snapshots(request).get(session, today)
        episode = open_episodes(session, [child_id]).get(child_id)
        index = community_index(session)
        lives_in = _lives_in(session, child_id)
        try:
            result = rank(
                children,
                inputs.snapshot,
                inputs.communities,
                get_policy(request),
                limit=HOMES_SHOWN,
            )
        except InputError as exc:
            return {
                "error": str(exc),
                "child": children[0],
                "group": children,
                "lives_in": lives_in,
            }
        found = result.to_json()
        home_ids = [c["home_id"] for c in found["candidates"] + found["alternatives"]]
        beds = free_beds(session, home_ids)
        places = home_locations(session, home_ids)
        calls = (
            calls_in_episode(session, [c.id for c in children], episode.removed_on)
            if episode is not None
            else {}
        )
    audit_read(get_engine(request), who, "match", "child", [c.id for c in children], "pages")
    child = children[0]
    removal = child.removal_community
    svg, far = "", tuple[MapHome, ...]()
    if index is not None and removal is not None and removal in inputs.communities.ids:
        svg, far = child_map_svg(
            index,
            removal,
            inputs.communities.neighbours(removal),
            [
                MapHome(c["rank"], c["home_id"], *places[c["home_id"]], c.get("distance_km"))
                for c in found["candidates"]
                if c["home_id"] in places
            ],
            {
                "title": translate("map.title", lang),
                "removal": translate("map.removal", lang),
                "home": TEXT["map.home"][lang],
                "far": TEXT["map.far"][lang],
            },
            number=lambda km: format_number(km, lang, 1),
        )
    community_name = inputs.communities.name(removal) if removal in inputs.communities.ids else "—"
    # the ranking's own rows (the JSON's days and birthdays), with the days to the birthday
    waiting = [
        {
            **row,
            "days_to_18": (
                (date.fromisoformat(row["turns_18_on"]) - today).days
                if row["turns_18_on"]
                else None
            ),
        }
        for row in found["waiting"]
        # a child who lives in a family home is not waiting: the page says where they live
        if not (lives_in and row["child_id"] == child.id)
    ]
    ids = [c.id for c in children]
    return {
        "child": child,
        "group": children,
        "found": found,
        "beds": beds,
        "map_svg": Markup(svg),  # built from escaped parts in views.child_map_svg
        "far_homes": far,
        "community_name": community_name,
        "removed_on": episode.removed_on if episode else None,
        "waiting": waiting,
        "participant_roles": PARTICIPANT_ROLES,
        "lives_in": lives_in,
        # per option: the children it places and who of the group would still wait
        "left_waiting": {
            c["home_id"]: [i for i in ids if i not in c["children"]] for c in found["candidates"]
        },
        "icwa_children": [w["child_id"] for w in found["waiting"] if w["icwa"]],
        # the call list: the latest call of each home called for these children, and the
        # first ranked home nobody has called yet (the one to call now)
        "calls": calls,
        "next_call": next(
            (c["home_id"] for c in found["candidates"] if c["home_id"] not in calls), None
        ),
        "offer_outcomes": OFFER_OUTCOMES,
        "decline_reasons": DECLINE_REASONS,
        "call_error": None,
    }


def _lives_in(session: Session, child_id: str) -> dict[str, Any] | None:
    """The child's open family placement with the home's beds and children, and the
    brothers and sisters who live there too (placed together: a move alone splits them);
    None when the child lives in no family home."""
    stay = session.execute(
        select(Placement).where(
            col(Placement.child_id) == child_id,
            col(Placement.ended_on).is_(None),
            col(Placement.setting).in_(FAMILY_SETTINGS),
        )
    ).scalar()
    home = session.get(Home, stay.home_id) if stay and stay.home_id else None
    if stay is None or home is None:
        return None
    children = session.execute(
        select(func.count()).where(
            col(Placement.home_id) == home.id, col(Placement.ended_on).is_(None)
        )
    ).scalar_one()
    record = session.get(Child, child_id)
    group = record.sibling_group_id if record is not None else None
    siblings_there = (
        session.execute(
            select(col(Placement.child_id))
            .join(Child, col(Child.id) == col(Placement.child_id))
            .where(
                col(Child.sibling_group_id) == group,
                col(Placement.child_id) != child_id,
                col(Placement.home_id) == home.id,
                col(Placement.ended_on).is_(None),
            )
            .order_by(col(Placement.child_id))
        )
        .scalars()
        .all()
        if group is not None
        else []
    )
    return {
        "home_id": home.id,
        "started_on": stay.started_on,
        "days": max(0, (date.today() - stay.started_on).days),
        "siblings_there": list(siblings_there),
        "capacity_waiver": stay.capacity_waiver,
        "beds": home.capacity,
        "children": int(children),
    }


@router.get("/children/{child_id}", response_class=HTMLResponse)
def child_page(request: Request, child_id: str) -> Response:
    who = gate(request, "matches")
    if isinstance(who, Response):
        return who
    context = child_context(request, who, child_id[:64])
    if context is None:
        return render(request, "notfound.html", who, 404)
    return render(request, "child.html", who, **context, form={}, errors={})
