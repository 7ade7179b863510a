"""What every page shares: the one router under ``/pages``, the language, who is signed in,
the gate of a permission, posted forms checked for their origin and token, and rendering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session
from starlette.datastructures import FormData

from api.http.dependencies import get_engine, get_identity_provider
from api.pages import session as cookie
from api.pages.engine_text import language_name_in, said
from api.pages.i18n import LANGUAGES, TEXT, format_date, format_number, pick_language, translate
from api.pages.origin import foreign_origin
from api.services.keys import DEMO_LABEL, Principal

__all__ = [
    "LANG_COOKIE",
    "TEMPLATES",
    "code_translator",
    "foreign_form",
    "gate",
    "gated_form",
    "page_lang",
    "posted_form",
    "render",
    "router",
    "safe_next",
    "set_lang_cookie",
    "signed_in",
    "translator",
]

router = APIRouter(prefix="/pages", include_in_schema=False)  # each area adds its pages
TEMPLATES = Jinja2Templates(directory=str(files("api") / "templates" / "pages"))
LANG_COOKIE = "fm_lang"


# -- frame: language, who is signed in, rendering ------------------------------------------


def page_lang(request: Request) -> str:
    return pick_language(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))


def signed_in(request: Request) -> Principal | None:
    if get_identity_provider(request) is not None:
        return cookie.read_subject(request.cookies.get(cookie.COOKIE))
    key_id = cookie.read_cookie(request.cookies.get(cookie.COOKIE))
    if key_id is None:
        return None
    with Session(get_engine(request)) as session:
        return cookie.principal_of(session, key_id)


def translator(lang: str) -> Callable[..., str]:
    def t(key: str, **fields: object) -> str:
        return translate(key, lang, **fields)

    return t


def code_translator(lang: str) -> Callable[[str, str | None], str]:
    """Translate a code (a rule, a setting, a factor...) when the table has it, else show it."""

    def code(prefix: str, value: str | None) -> str:
        key = f"{prefix}.{value}"
        return translate(key, lang) if key in TEXT else str(value)

    return code


def render(
    request: Request,
    template: str,
    who: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = page_lang(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    session_cookie = request.cookies.get(cookie.COOKIE)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "languages": LANGUAGES,
            "t": translator(lang),
            "code": code_translator(lang),
            "num": lambda value, digits=0: format_number(value, lang, digits),
            "day": lambda value: format_date(value, lang),
            # an engine message (a reason, a near miss) in the page's language
            "said": lambda message, english=None: said(message, lang, english),
            "language": lambda code: language_name_in(code, lang),  # "es" -> Spanish / español
            "who": who,
            # a key of `fostermatch keys demo` is named by its role, in the page's language
            "demo_key": who is not None and who.label == f"{DEMO_LABEL} {who.role}",
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
        set_lang_cookie(response, lang)
    return response


def set_lang_cookie(response: Response, lang: str) -> None:
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax")


def gate(request: Request, permission: str) -> Principal | Response:
    """The signed-in principal holding ``permission``; else a redirect or a 403 page."""
    who = signed_in(request)
    if who is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/pages/signin?next={quote(target)}", status_code=303)
    if not who.may(permission):
        return render(
            request, "denied.html", who, 403, role=translate(f"role.{who.role}", page_lang(request))
        )
    return who


def foreign_form(request: Request, who: Principal | None) -> Response | None:
    """A 403 page when a form was posted from another site (see :mod:`api.pages.origin`)."""
    came_from = foreign_origin(request)
    if came_from is None:
        return None
    detail = translate("form.origin.bad", page_lang(request), origin=came_from)
    return render(request, "problem.html", who, 403, detail=detail, title_key="form.origin.title")


async def posted_form(request: Request, who: Principal | None) -> FormData | Response:
    """The posted form when it comes from this site with the session's token; else a 403
    page and nothing done."""
    refused = foreign_form(request, who)
    if refused is not None:
        return refused
    form = await request.form()
    token = form.get("csrf")
    session_cookie = request.cookies.get(cookie.COOKIE)
    if cookie.form_token_ok(session_cookie, token if isinstance(token, str) else None):
        return form
    detail = translate("form.token.bad", page_lang(request))
    return render(request, "problem.html", who, 403, detail=detail, title_key="form.token.title")


async def gated_form(request: Request, permission: str) -> tuple[Principal, FormData] | Response:
    """The signed-in principal holding ``permission`` and the form they posted from this
    site; else the sign-in redirect or a 403 page, and nothing done."""
    who = gate(request, permission)
    if isinstance(who, Response):
        return who
    form = await posted_form(request, who)
    if isinstance(form, Response):
        return form
    return who, form


def safe_next(value: str | None) -> str:
    """Only a page of this site: no open redirect."""
    if value and value.startswith("/pages") and "//" not in value and "\\" not in value:
        return value
    return "/pages/"
