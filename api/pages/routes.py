"""The page routes under ``/pages`` (not in the OpenAPI document: they answer HTML)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import date
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlmodel import Session, col
from starlette.datastructures import FormData

from api.http.problems import Problem
from api.pages import session as cookie
from api.pages.engine_text import language_name, said
from api.pages.i18n import LANGUAGES, TEXT, format_date, format_number, pick_language, translate
from api.pages.origin import foreign_origin
from api.pages.views import AGE_BANDS, child_map_svg, home_locations, load_waiting
from api.schemas import PARTICIPANT_ROLES, DecisionIn
from api.services.audit import audit_read, write_audit
from api.services.decisions import record_decision
from api.services.keys import Principal, lookup
from api.services.matching import ChildNotFound, ChildNotInCare, load_group
from api.services.oidc import NoRole, Provider, ProviderUnavailable, TokenRejected
from data.formats import CONGREGATE_SETTINGS, FAMILY_SETTINGS
from data.models import Episode, Home, Placement
from data.queries import free_beds
from data.transfer import community_index
from matching import InputError, rank

__all__ = ["router"]

router = APIRouter(prefix="/pages", include_in_schema=False)
_templates = Jinja2Templates(directory=str(files("api") / "templates" / "pages"))

LANG_COOKIE = "fm_lang"
PAGE_SIZE = 100  # rows of the waiting list on one page
TOGETHER = "together:"  # a decision option keeping the whole group in a good-cause home
HOMES_SHOWN = 10
SEGMENTS = ("all", "age:0-5", "age:6-12", "age:13-17", "siblings:1", "siblings:2", "siblings:3+")
HORIZONS = (6, 12, 24)
_CSS = (files("api.pages") / "static" / "pages.css").read_text(encoding="utf-8")


# -- frame: language, who is signed in, rendering ------------------------------------------


def _lang(request: Request) -> str:
    return pick_language(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def _provider(request: Request) -> Provider | None:
    """The agency's identity provider when configured: then it alone signs people in."""
    return getattr(request.app.state, "oidc", None)


def _principal(request: Request) -> Principal | None:
    if _provider(request) is not None:
        return cookie.read_subject(request.cookies.get(cookie.COOKIE))
    key_id = cookie.read_cookie(request.cookies.get(cookie.COOKIE))
    if key_id is None:
        return None
    with Session(request.app.state.engine) as session:
        return cookie.principal_of(session, key_id)


def _translator(lang: str) -> Callable[..., str]:
    def t(key: str, **fields: object) -> str:
        return translate(key, lang, **fields)

    return t


def _code(lang: str) -> Callable[[str, str | None], str]:
    """Translate a code (a rule, a setting, a factor...) when the table has it, else show it."""

    def code(prefix: str, value: str | None) -> str:
        key = f"{prefix}.{value}"
        return translate(key, lang) if key in TEXT else str(value)

    return code


def _render(
    request: Request,
    template: str,
    who: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = _lang(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    session_cookie = request.cookies.get(cookie.COOKIE)
    response = _templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "languages": LANGUAGES,
            "t": _translator(lang),
            "code": _code(lang),
            "num": lambda value, digits=0: format_number(value, lang, digits),
            "day": lambda value: format_date(value, lang),
            # an engine message (a reason, a near miss) in the page's language
            "said": lambda message, english=None: said(message, lang, english),
            "language": lambda code: language_name(code, lang),  # "es" -> Spanish / español
            "who": who,
            "may": (lambda p: who is not None and who.may(p)),
            "here": here,
            # the hidden ``csrf`` input of every form that changes something
            "csrf": cookie.form_token(session_cookie) if who and session_cookie else "",
            "today": date.today(),
            **context,
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"  # pages may carry child-level records
    if request.query_params.get("lang") in LANGUAGES:
        _set_lang(response, lang)
    return response


def _set_lang(response: Response, lang: str) -> None:
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax")


def _gate(request: Request, permission: str) -> Principal | Response:
    """The signed-in principal holding ``permission``; else a redirect or a 403 page."""
    who = _principal(request)
    if who is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/pages/signin?next={quote(target)}", status_code=303)
    if not who.may(permission):
        return _render(
            request, "denied.html", who, 403, role=translate(f"role.{who.role}", _lang(request))
        )
    return who


def _foreign_form(request: Request, who: Principal | None) -> Response | None:
    """A 403 page when a form was posted from another site (see :mod:`api.pages.origin`)."""
    came_from = foreign_origin(request)
    if came_from is None:
        return None
    detail = translate("form.origin.bad", _lang(request), origin=came_from)
    return _render(request, "problem.html", who, 403, detail=detail, title_key="form.origin.title")


async def _posted_form(request: Request, who: Principal | None) -> FormData | Response:
    """The posted form when it comes from this site with the session's token; else a 403
    page and nothing done."""
    refused = _foreign_form(request, who)
    if refused is not None:
        return refused
    form = await request.form()
    token = form.get("csrf")
    session_cookie = request.cookies.get(cookie.COOKIE)
    if cookie.form_token_ok(session_cookie, token if isinstance(token, str) else None):
        return form
    detail = translate("form.token.bad", _lang(request))
    return _render(request, "problem.html", who, 403, detail=detail, title_key="form.token.title")


def _safe_next(value: str | None) -> str:
    """Only a page of this site: no open redirect."""
    if value and value.startswith("/pages") and "//" not in value and "\\" not in value:
        return value
    return "/pages/"


# -- static, language, sign in and out ---------------------------------------------------------


@router.get("/static/pages.css")
def stylesheet() -> Response:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/lang")
def choose_language(request: Request, lang: str = "en", next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_lang(response, pick_language(lang))
    return response


def _signin_page(
    request: Request, status_code: int = 200, next: str = "/pages/children", error: str = ""
) -> Response:
    """The sign-in form with its token, bound to the pre-session cookie (set when missing);
    with an identity provider configured, only the provider's button (no key form)."""
    provider = _provider(request)
    if provider is not None:
        form: dict[str, str] = {"provider_name": provider.settings.display_name}
    else:
        pre = request.cookies.get(cookie.SIGNIN_COOKIE) or secrets.token_urlsafe(24)
        form = {"csrf": cookie.form_token(pre)}
    response = _render(
        request, "signin.html", _principal(request), status_code, next=next, error=error, **form
    )
    if provider is not None:
        return response
    response.set_cookie(
        cookie.SIGNIN_COOKIE,
        pre,
        max_age=cookie.MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/pages",
    )
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str | None = None) -> Response:
    return _signin_page(request, next=_safe_next(next))


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request) -> Response:
    if _provider(request) is not None:  # the API-key sign-in is off: the provider signs in
        return _render(request, "notfound.html", None, 404)
    refused = _foreign_form(request, None)
    if refused is not None:
        return refused
    form = await request.form()
    key = str(form.get("api_key") or "").strip()
    target = _safe_next(str(form.get("next") or ""))
    token = form.get("csrf")
    if not cookie.form_token_ok(
        request.cookies.get(cookie.SIGNIN_COOKIE), token if isinstance(token, str) else None
    ):  # not our own sign-in form: nobody is signed in, the key is not even looked up
        return _signin_page(request, 403, target, "signin.stale")
    with Session(request.app.state.engine) as session:
        who = lookup(session, key) if key else None
    if who is None:
        return _signin_page(request, 401, target, "signin.bad")
    assert who.key_id is not None  # a key's principal
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(cookie.SIGNIN_COOKIE, path="/pages", httponly=True, samesite="lax")
    _set_session(request, response, cookie.sign(who.key_id))
    return response


def _set_session(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        cookie.COOKIE,
        value,
        max_age=cookie.MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/pages",
    )


# -- sign in at the agency's identity provider (OpenID Connect) ------------------------------

_FLOW_PATH = "/pages/signin"
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")  # an OAuth error code is shown; anything else is not


def _callback_uri(request: Request, provider: Provider) -> str:
    return provider.settings.redirect_uri or str(request.url_for("oidc_callback"))


def _signin_problem(
    request: Request,
    status_code: int,
    provider: Provider,
    title_key: str,
    body_key: str,
    **fields: str,
) -> Response:
    """A page saying why nobody was signed in; the flow cookie goes, nothing else is set."""
    lang = _lang(request)
    detail = translate(body_key, lang, name=provider.settings.display_name, **fields)
    response = _render(
        request,
        "problem.html",
        None,
        status_code,
        detail=detail,
        title_key=title_key,
        again=_FLOW_PATH,
    )
    response.delete_cookie(cookie.FLOW_COOKIE, path=_FLOW_PATH, httponly=True, samesite="lax")
    return response


@router.get("/signin/oidc")
def oidc_start(request: Request, next: str | None = None) -> Response:
    """Send the browser to the provider, with a fresh state, nonce and PKCE challenge."""
    provider = _provider(request)
    if provider is None:
        return _render(request, "notfound.html", _principal(request), 404)
    try:
        asked = provider.authorization(_callback_uri(request, provider))
    except ProviderUnavailable:
        return _signin_problem(request, 503, provider, "oidc.failed.title", "oidc.unavailable")
    response = RedirectResponse(asked.url, status_code=303)
    response.set_cookie(
        cookie.FLOW_COOKIE,
        cookie.sign_flow(asked.state, asked.nonce, asked.code_verifier, _safe_next(next)),
        max_age=cookie.FLOW_MAX_AGE_S,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to the callback
        secure=request.url.scheme == "https",
        path=_FLOW_PATH,
    )
    return response


@router.get("/signin/callback", name="oidc_callback")
def oidc_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    """Back from the provider: check the state, exchange the code, check the ID token."""
    provider = _provider(request)
    if provider is None:
        return _render(request, "notfound.html", _principal(request), 404)
    if error:
        shown = error if _ERROR_CODE.fullmatch(error) else "error"
        return _signin_problem(
            request, 401, provider, "oidc.failed.title", "oidc.failed", reason=shown
        )
    flow = cookie.read_flow(request.cookies.get(cookie.FLOW_COOKIE))
    # bytes: compare_digest refuses str with non-ASCII characters (a forged state may have them)
    if flow is None or not code or not secrets.compare_digest(state.encode(), flow[0].encode()):
        return _signin_problem(request, 400, provider, "oidc.failed.title", "oidc.stale")
    _, nonce, verifier, target = flow
    try:
        who = provider.sign_in(_callback_uri(request, provider), code, verifier, nonce)
    except NoRole:
        return _signin_problem(request, 403, provider, "oidc.norole.title", "oidc.norole")
    except TokenRejected as exc:
        return _signin_problem(
            request, 401, provider, "oidc.failed.title", "oidc.failed", reason=str(exc)
        )
    except ProviderUnavailable:
        return _signin_problem(request, 503, provider, "oidc.failed.title", "oidc.unavailable")
    assert who.subject is not None
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.delete_cookie(cookie.FLOW_COOKIE, path=_FLOW_PATH, httponly=True, samesite="lax")
    _set_session(request, response, cookie.sign_subject(who.subject, who.role))
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    if request.cookies.get(cookie.COOKIE):  # a session to end: only by our own form
        form = await _posted_form(request, _principal(request))
        if isinstance(form, Response):
            return form
    response = RedirectResponse("/pages/signin?signed_out=1", status_code=303)
    response.delete_cookie(cookie.COOKIE, path="/pages", httponly=True, samesite="lax")
    return response


@router.get("/")
def start(request: Request) -> Response:
    """Each role's first page."""
    who = _principal(request)
    if who is None:
        return RedirectResponse("/pages/signin", status_code=303)
    if who.may("children:read"):
        return RedirectResponse("/pages/children", status_code=303)
    if who.may("gaps"):
        return RedirectResponse("/pages/gaps", status_code=303)
    return _render(request, "denied.html", who, 403, role=translate(f"role.{who.role}", "en"))


# -- coordinator: waiting children, a child's homes, the decision ----------------------------


@router.get("/children", response_class=HTMLResponse)
def children_page(
    request: Request,
    q: str = "",
    age: str = "",
    siblings: str = "",
    community: str = "",
    setting: str = "",
    days: str = "",
    page: str = "1",
) -> Response:
    who = _gate(request, "children:read")
    if isinstance(who, Response):
        return who
    today = date.today()
    with Session(request.app.state.engine) as session:
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
    audit_read(
        request.app.state.engine, who, "list_children", "child", [r.id for r in shown], "pages"
    )
    communities = sorted({(r.community, r.community_id) for r in everyone if r.community_id})
    chosen = {
        "q": q,
        "age": age,
        "siblings": siblings,
        "community": community,
        "setting": setting,
        "days": days,
    }
    return _render(
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
    state = request.app.state
    today = date.today()
    lang = _lang(request)
    with Session(state.engine) as session:
        try:
            children = load_group(session, child_id, as_of=today)
        except (ChildNotFound, ChildNotInCare):
            return None
        inputs = state.snapshots.get(session, today)
        episode = session.get(Episode, _open_episode_id(session, child_id))
        index = community_index(session)
        lives_in = _lives_in(session, child_id)
        try:
            result = rank(
                children, inputs.snapshot, inputs.communities, state.policy, limit=HOMES_SHOWN
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
    audit_read(state.engine, who, "match", "child", [c.id for c in children], "pages")
    child = children[0]
    removal = child.removal_community
    svg = ""
    if index is not None and removal is not None and removal in inputs.communities.ids:
        svg = child_map_svg(
            index,
            removal,
            inputs.communities.neighbours(removal),
            [
                (c["rank"], c["home_id"], *places[c["home_id"]])
                for c in found["candidates"]
                if c["home_id"] in places
            ],
            {
                "title": translate("map.title", lang),
                "removal": translate("map.removal", lang),
                "home": TEXT["map.home"][lang],
            },
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


def _open_episode_id(session: Session, child_id: str) -> int | None:
    from sqlalchemy import select
    from sqlmodel import col

    return session.execute(
        select(col(Episode.id))
        .where(col(Episode.child_id) == child_id, col(Episode.discharged_on).is_(None))
        .order_by(col(Episode.removed_on).desc())
    ).scalar()


@router.get("/children/{child_id}", response_class=HTMLResponse)
def child_page(request: Request, child_id: str) -> Response:
    who = _gate(request, "matches")
    if isinstance(who, Response):
        return who
    context = _child_context(request, who, child_id[:64])
    if context is None:
        return _render(request, "notfound.html", who, 404)
    return _render(request, "child.html", who, **context, form={})


@router.post("/children/{child_id}/decision", response_class=HTMLResponse)
async def decide(request: Request, child_id: str) -> Response:
    who = _gate(request, "decisions")
    if isinstance(who, Response):
        return who
    child_id = child_id[:64]
    form = await _posted_form(request, who)
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
    lang = _lang(request)
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
        state = request.app.state
        decided = record_decision(state.engine, state.snapshots, state.policy, who, body)
    except (ValidationError, Problem) as exc:
        if isinstance(exc, Problem):
            status, detail = exc.status, str(exc)
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
    with Session(request.app.state.engine) as session:
        beds = free_beds(session, homes)
    return _render(request, "decided.html", who, 201, decided=decided, beds=beds)


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
        return _render(request, "notfound.html", who, 404)
    return _render(request, "child.html", who, status, **context, form=entered, problem=problem)


# -- recruiter: gaps, a community ---------------------------------------------------------------


def _gap_query(segment: str, horizon: str) -> tuple[str, int]:
    chosen = segment if segment in SEGMENTS else "all"
    months = next((h for h in HORIZONS if horizon == str(h)), 12)
    return chosen, months


def _gap_map(
    result: Any, index: Any, key: str, lang: str, link: Callable[[str], str] | None = None
) -> str:
    """The gap map in the page's language: its words from the table, numbers and days as the
    language writes them, segment and rule names translated where the table has them."""
    from recruitment.maps import MapText, svg_map

    def t(name: str) -> str:
        return TEXT[f"gapmap.{name}"][lang]

    code = _code(lang)
    text = MapText(
        heading=t("heading"),
        community=t("community"),
        no_figures=t("no_figures"),
        tip_suppressed=t("tip.suppressed"),
        tip_homes=t("tip.homes"),
        tip_segment=t("tip.segment"),
        tip_gap=t("tip.gap"),
        tip_need=t("tip.need"),
        tip_supply=t("tip.supply"),
        tip_recruit=t("tip.recruit"),
        tip_unmet=t("tip.unmet"),
        legend_title=t("legend.title"),
        legend_subtitle=t("legend.subtitle"),
        class_spare_many=t("class.spare_many"),
        class_spare=t("class.spare"),
        class_even=t("class.even"),
        class_short=t("class.short"),
        class_short_many=t("class.short_many"),
        suppressed=t("suppressed"),
        notes=t("notes"),
        number=lambda value, digits: format_number(value, lang, digits),
        day=lambda value: format_date(value, lang),
        segment=lambda value: code("segment", value),
        rule=lambda value: code("rule", value),
    )
    return svg_map(result, index, key, text=text, link=link)


@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(request: Request, segment: str = "all", horizon: str = "12") -> Response:
    from api.http.routers.recruitment import cached_gaps

    who = _gate(request, "gaps")
    if isinstance(who, Response):
        return who
    chosen, months = _gap_query(segment, horizon)
    try:
        result, index, key = cached_gaps(request, months, chosen, None)
    except Problem as exc:
        return _render(request, "problem.html", who, exc.status, detail=str(exc))
    back = urlencode({"segment": chosen, "horizon": months})

    def link(community_id: str) -> str:
        return f"/pages/communities/{quote(community_id, safe='')}?{back}"

    svg = _gap_map(result, index, key or "all", _lang(request), link)
    svg = svg[svg.index("<svg") :]  # inline: without the XML declaration
    largest = result.largest(15, segment=key or "all").to_dict("records")
    query = urlencode({"segment": chosen, "horizon": months})
    return _render(
        request,
        "gaps.html",
        who,
        svg=Markup(svg),  # recruitment.maps escapes every name, tooltip and link
        largest=largest,
        segments=SEGMENTS,
        horizons=HORIZONS,
        segment=chosen,
        horizon=months,
        as_of=result.as_of,
        threshold=result.policy.suppression_threshold,
        query=query,
    )


def _gap_download(
    request: Request,
    segment: str,
    horizon: str,
    render: Callable[[Any, Any, str], str],
    media_type: str,
    filename: str,
) -> Response:
    """The gaps for the chosen segment and horizon as a file, for a role that may see them."""
    from api.http.routers.recruitment import cached_gaps

    who = _gate(request, "gaps")
    if isinstance(who, Response):
        return who
    chosen, months = _gap_query(segment, horizon)
    result, index, key = cached_gaps(request, months, chosen, None)
    return Response(
        render(result, index, key or "all"),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/gaps.csv")
def gaps_csv(request: Request, segment: str = "all", horizon: str = "12") -> Response:
    def render(result: Any, _index: Any, key: str) -> str:
        return str(result.to_csv(segment=key))

    return _gap_download(request, segment, horizon, render, "text/csv", "gaps.csv")


@router.get("/gaps.geojson")
def gaps_geojson(request: Request, segment: str = "all", horizon: str = "12") -> Response:
    import json

    from api.http.routers.recruitment import GEOJSON
    from recruitment import gap_geojson

    def render(result: Any, index: Any, key: str) -> str:
        return json.dumps(gap_geojson(result, index, key))

    return _gap_download(request, segment, horizon, render, GEOJSON, "gaps.geojson")


@router.get("/gaps.svg")
def gaps_svg(request: Request, segment: str = "all", horizon: str = "12") -> Response:
    lang = _lang(request)

    def render(result: Any, index: Any, key: str) -> str:
        return _gap_map(result, index, key, lang)  # a file to keep: no links

    return _gap_download(request, segment, horizon, render, "image/svg+xml", "gaps.svg")


@router.get("/communities/{community_id}", response_class=HTMLResponse)
def community_page(
    request: Request, community_id: str, segment: str = "all", horizon: str = "12"
) -> Response:
    from api.http.routers.recruitment import cached_gaps

    who = _gate(request, "gaps")
    if isinstance(who, Response):
        return who
    chosen, months = _gap_query(segment, horizon)
    result, index, key = cached_gaps(request, months, chosen, None)
    if community_id not in index:
        return _render(request, "notfound.html", who, 404)
    rows = [r for r in result.to_json(community=community_id)["gaps"] if r["segment"] in SEGMENTS]
    name = next(c.name for c in index if c.id == community_id)
    overall = next((r for r in rows if r["segment"] == (key or "all")), None)
    partners = (overall or {}).get("partners") or []
    return _render(
        request,
        "community.html",
        who,
        name=name,
        community_id=community_id,
        rows=rows,
        partners=partners,
        horizon=months,
        as_of=result.as_of,
        back=urlencode({"segment": chosen, "horizon": months}),
    )


# -- plans: start, follow, compare with the greedy baseline, explain -------------------------

PLAN_LIMITS_S = (5, 10, 30)


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request) -> Response:
    who = _gate(request, "plans")
    if isinstance(who, Response):
        return who
    return _render(request, "plans.html", who, limits=PLAN_LIMITS_S)


@router.post("/plans")
async def start_plans(request: Request) -> Response:
    """Start the plan and, beside it, the greedy baseline (two jobs, run one after the other)."""
    from api.schemas import PlanRequest
    from api.services.plan_jobs import create_job, fail_job
    from api.services.plan_quota import admitting, time_cap

    who = _gate(request, "plans")
    if isinstance(who, Response):
        return who
    form = await _posted_form(request, who)
    if isinstance(form, Response):
        return form
    limit = str(form.get("time_limit_s") or "10")
    seed = str(form.get("seed") or "0")
    try:
        asked = PlanRequest.model_validate(
            {
                "time_limit_s": float(limit) if limit.isdigit() else 10.0,
                "seed": int(seed) if seed.isdigit() else 0,
            }
        )
    except ValidationError as exc:
        return _render(request, "problem.html", who, 422, detail=str(exc.errors()[0]["msg"]))
    engine = request.app.state.engine
    try:  # the API's limits (api.services.plan_quota), for the plan and its baseline together
        time_cap(who, asked.time_limit_s)
        with Session(engine) as session, admitting(session, who, request.app.state.plan_quota, 2):
            jobs = [
                create_job(session, {**asked.model_dump(mode="json"), "baseline": b}, who)
                for b in (None, "greedy")
            ]
            for job in jobs:
                write_audit(session, who, "plan_start", "plan", record_id=job.id)
            session.commit()
            ids = [job.id for job in jobs]
    except Problem as exc:
        detail = translate(f"plans.limit.{exc.status}", _lang(request), detail=exc.detail)
        response = _render(request, "problem.html", who, exc.status, detail=detail)
        response.headers.update(exc.headers)
        return response
    for job_id in ids:
        try:
            request.app.state.plan_runner.submit(job_id)
        except RuntimeError:
            fail_job(engine, job_id, "this worker does not run plans")
    return RedirectResponse(f"/pages/plans/{ids[0]}?{urlencode({'greedy': ids[1]})}", 303)


def _job(request: Request, job_id: str) -> dict[str, Any] | None:
    from api.services.plan_jobs import job_json, read_job

    with Session(request.app.state.engine) as session:
        job = read_job(session, job_id[:32])
        return job_json(job) if job is not None else None


def _plan_children(job: dict[str, Any]) -> list[str]:
    result = job.get("result") or {}
    return [a["child_id"] for a in result.get("assignments", [])] + [
        u["child_id"] for u in result.get("unplaced", [])
    ]


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, plan_id: str, greedy: str = "") -> Response:
    who = _gate(request, "plans")
    if isinstance(who, Response):
        return who
    plan = _job(request, plan_id)
    baseline = _job(request, greedy) if greedy else None
    if plan is None:
        return _render(request, "notfound.html", who, 404)
    jobs = [j for j in (plan, baseline) if j is not None]
    finished = all(j["status"] in ("done", "failed") for j in jobs)
    for job in jobs:
        if job["status"] == "done":
            audit_read(
                request.app.state.engine,
                who,
                "plan_result",
                "plan",
                _plan_children(job),
                f"plan {job['id']}",
            )
    rows: list[dict[str, Any]] = []
    if finished and plan["status"] == "done":
        mine = {a["child_id"]: a for a in plan["result"]["assignments"]}
        theirs: dict[str, Any] = {}
        if baseline is not None and baseline["status"] == "done":
            theirs = {a["child_id"]: a for a in baseline["result"]["assignments"]}
        else:  # the lawful baseline the plan carries (plans stored before it: none)
            theirs = {a["child_id"]: a for a in plan["result"].get("baseline_assignments") or []}
        for child_id in sorted(set(_plan_children(plan)) | set(theirs)):
            rows.append(
                {"child_id": child_id, "plan": mine.get(child_id), "greedy": theirs.get(child_id)}
            )
    equity: dict[str, Any] | None = None
    measures: tuple[str, ...] = ()
    if finished and plan["status"] == "done" and who.may("equity"):
        from api.services.equity import MEASURES  # pandas loads only for this section

        equity, measures = _plan_equity(request, who, plan, baseline), MEASURES
    return _render(
        request,
        "plan.html",
        who,
        plan=plan,
        baseline=baseline,
        finished=finished,
        rows=rows,
        greedy_id=greedy[:32],
        figures=PLAN_FIGURES,
        base_summary=_baseline_summary(plan, baseline),
        equity=equity,
        equity_measures=measures,
    )


# the headline measures of a plan, in the order the plan page shows them
PLAN_FIGURES = (
    "children",
    "placed",
    "sibling_groups",
    "sibling_groups_whole",
    "own_community",
    "kin",
    "long_waiting",
    "mean_distance_km",
    "non_kin_mean_distance_km",
)


def _baseline_summary(plan: dict[str, Any], baseline: dict[str, Any] | None) -> Any:
    """The baseline's figures: a greedy job's, else the lawful baseline the plan carries."""
    if baseline is not None and baseline["status"] == "done":
        return baseline["result"]["summary"]
    if plan["status"] == "done":
        return plan["result"].get("baseline")
    return None


def _plan_equity(
    request: Request, who: Principal, plan: dict[str, Any], greedy: dict[str, Any] | None
) -> dict[str, Any]:
    """The plan's equity audit beside the baseline the page compares it with: the greedy job
    started with it, else the lawful baseline the plan carries (as :func:`_baseline_summary`;
    both were computed already, nothing is solved again here)."""
    from api.services.equity import carried_baseline, plan_equity, planning_date

    result = plan["result"]
    baseline = carried_baseline(result)
    if greedy is not None and greedy["status"] == "done":
        baseline = greedy["result"]["assignments"]
    engine = request.app.state.engine
    with Session(engine) as session:
        audit = plan_equity(
            session,
            result,
            as_of=planning_date(plan),
            threshold=request.app.state.policy.suppression_threshold,
            baseline_assignments=baseline,
        )
    audit_read(engine, who, "plan_equity", "plan", _plan_children(plan), f"plan {plan['id']}")
    return audit


@router.get("/plans/{plan_id}/children/{child_id}", response_class=HTMLResponse)
def plan_explanation(request: Request, plan_id: str, child_id: str, greedy: str = "") -> Response:
    who = _gate(request, "plans")
    if isinstance(who, Response):
        return who
    shown = []
    for job in (_job(request, plan_id), _job(request, greedy) if greedy else None):
        if job is None or job["status"] != "done":
            continue
        result = job["result"]
        placed = next((a for a in result["assignments"] if a["child_id"] == child_id), None)
        unplaced = next((u for u in result["unplaced"] if u["child_id"] == child_id), None)
        if placed is not None or unplaced is not None:
            shown.append({"method": result["method"], "placed": placed, "unplaced": unplaced})
    if not shown:
        return _render(request, "notfound.html", who, 404)
    audit_read(
        request.app.state.engine, who, "plan_result", "plan", [child_id], f"plan {plan_id[:32]}"
    )
    return _render(
        request,
        "explain.html",
        who,
        child_id=child_id,
        shown=shown,
        back=f"/pages/plans/{plan_id[:32]}?{urlencode({'greedy': greedy[:32]})}",
    )
