"""The coordinator's pages: the waiting children, a child's ranked homes and the team decision."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlmodel import Session, col

from api.http.dependencies import (
    EngineDep,
    PolicyDep,
    SnapshotsDep,
    get_engine,
    get_policy,
    get_snapshots,
)
from api.http.problems import status_of
from api.pages.i18n import TEXT, format_number, translate
from api.pages.render import (
    gate,
    page_lang,
    posted_form,
    render,
    router,
)
from api.pages.views import AGE_BANDS, MapHome, child_map_svg, home_locations, load_waiting
from api.schemas import PARTICIPANT_ROLES, DecisionIn
from api.services.audit import audit_read
from api.services.decisions import record_decision
from api.services.errors import ServiceError
from api.services.keys import Principal
from api.services.matching import ChildNotFound, ChildNotInCare, load_group
from data.formats import CONGREGATE_SETTINGS, FAMILY_SETTINGS
from data.models import Home, Placement
from data.queries import community_index, free_beds, open_episodes
from matching import InputError, rank

PAGE_SIZE = 100  # rows of the waiting list on one page
TOGETHER = "together:"  # a decision option keeping the whole group in a good-cause home
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
        everyone = load_waiting(session, today)
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
    min_days = int(days) if days.isascii() and days.isdigit() and len(days) < 7 else None
    if min_days is not None:
        rows = [r for r in rows if r.days_waiting >= min_days]
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


def _child_context(request: Request, who: Principal, child_id: str) -> dict[str, Any] | None:
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
    ]
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
    }


def _lives_in(session: Session, child_id: str) -> dict[str, Any] | None:
    """The child's open family placement with the home's beds and children, or None."""
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
    return {
        "home_id": home.id,
        "started_on": stay.started_on,
        "capacity_waiver": stay.capacity_waiver,
        "beds": home.capacity,
        "children": int(children),
    }


@router.get("/children/{child_id}", response_class=HTMLResponse)
def child_page(request: Request, child_id: str) -> Response:
    who = gate(request, "matches")
    if isinstance(who, Response):
        return who
    context = _child_context(request, who, child_id[:64])
    if context is None:
        return render(request, "notfound.html", who, 404)
    return render(request, "child.html", who, **context, form={})


@router.post("/children/{child_id}/decision", response_class=HTMLResponse)
async def decide(
    request: Request, engine: EngineDep, snapshots: SnapshotsDep, policy: PolicyDep, child_id: str
) -> Response:
    who = gate(request, "decisions")
    if isinstance(who, Response):
        return who
    child_id = child_id[:64]
    form = await posted_form(request, who)
    if isinstance(form, Response):
        return form
    # an option is a home, or "together:HOME" for a good-cause alternative that keeps the
    # whole sibling group in a home below an ICWA child's best tier
    option = str(form.get("home") or "")[:80]
    home = option.removeprefix(TOGETHER)
    takes = [c for c in str(form.get(f"children:{option}") or child_id).split(",") if c]
    # the family home the child lives in, as the page showed it: a deliberate move from there
    moves_from = str(form.get("moves_from") or "")[:64] or None
    reason = str(form.get("reason") or "").strip() or None
    good_cause = str(form.get("icwa_good_cause") or "").strip() or None
    started = str(form.get("started_on") or "").strip()[:32]
    entered = {
        "home": option,
        "participants": [str(p) for p in form.getlist("participant")],
        "reason": reason or "",
        "icwa_good_cause": good_cause or "",
        "started_on": started,
    }
    lang = page_lang(request)
    try:
        started_on = date.fromisoformat(started) if started else None  # none sent: today
    except ValueError:
        problem = translate(
            "decide.started_on.bad", lang, value=started, example=date.today().isoformat()
        )
        return _decision_form_again(request, who, child_id, 422, entered, problem)
    try:
        body = DecisionIn.model_validate(
            {
                "placements": [
                    {"child_id": c, "home_id": home}
                    | ({"moves_from": moves_from} if c == child_id and moves_from else {})
                    for c in takes
                ],
                "participants": [{"role": r} for r in entered["participants"]],
                "options_shown": [str(h) for h in form.getlist("options_shown")],
                "reason": reason,
                "icwa_good_cause": good_cause,
                "started_on": started_on,
            }
        )
        decided = record_decision(engine, snapshots, policy, who, body)
    except (ValidationError, ServiceError) as exc:
        if isinstance(exc, ServiceError):
            status, detail = status_of(exc), str(exc)
            fields = [str(e["loc"][-1]) for e in exc.errors]
        else:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            status, detail, fields = 422, f"{where}: {first['msg']}", []
        if fields[:1] == ["icwa_good_cause"]:
            problem = translate("decide.icwa.missing", lang)  # the service's words are English
        else:
            message = "decide.conflict" if status == 409 else "decide.invalid"
            problem = translate(message, lang, detail=detail)
        return _decision_form_again(request, who, child_id, status, entered, problem)
    homes = sorted({p["home_id"] for p in decided["placements"]})
    with Session(engine) as session:
        beds = free_beds(session, homes)
    return render(request, "decided.html", who, 201, decided=decided, beds=beds)


def _decision_form_again(
    request: Request,
    who: Principal,
    child_id: str,
    status: int,
    entered: dict[str, Any],
    problem: str,
) -> Response:
    """The child page again, with what was entered and why nothing was recorded."""
    context = _child_context(request, who, child_id)
    if context is None:
        return render(request, "notfound.html", who, 404)
    return render(request, "child.html", who, status, **context, form=entered, problem=problem)
