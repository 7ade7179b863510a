"""The pages' frame and signing in and out: the stylesheet, the language, the sign-in form
(an API key) or the agency's identity provider, and the start page of each role."""

from __future__ import annotations

import re
import secrets
from importlib.resources import files

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.http.dependencies import EngineDep, get_identity_provider
from api.pages import session as cookie
from api.pages.i18n import pick_language, translate
from api.pages.render import (
    foreign_form,
    page_lang,
    posted_form,
    render,
    router,
    safe_next,
    set_lang_cookie,
    signed_in,
)
from api.services.keys import lookup
from api.services.oidc import NoRole, Provider, ProviderUnavailable, TokenRejected

_CSS = (files("api.pages") / "static" / "pages.css").read_text(encoding="utf-8")


# -- static, language, sign in and out ---------------------------------------------------------


# the map's files, with their media types: nothing else is served from the folder (Leaflet
# is vendored with its licence; see api/pages/static/README.md)
MAP_ASSETS = {
    "leaflet.js": "text/javascript",
    "leaflet.css": "text/css",
    "gapmap.js": "text/javascript",
}


@router.get("/static/pages.css")
def stylesheet() -> Response:
    return Response(_CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/static/map/{name}")
def map_asset(name: str) -> Response:
    media_type = MAP_ASSETS.get(name)
    if media_type is None:
        return Response(f"no map file named {name!r}", status_code=404, media_type="text/plain")
    body = (files("api.pages") / "static" / name).read_bytes()
    return Response(body, media_type=media_type, headers={"Cache-Control": "max-age=3600"})


@router.get("/lang")
def choose_language(request: Request, lang: str = "en", next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    set_lang_cookie(response, pick_language(lang))
    return response


def _signin_page(
    request: Request, status_code: int = 200, next: str = "/pages/children", error: str = ""
) -> Response:
    """The sign-in form with its token, bound to the pre-session cookie (set when missing);
    with an identity provider configured, only the provider's button (no key form)."""
    provider = get_identity_provider(request)
    if provider is not None:
        form: dict[str, str] = {"provider_name": provider.settings.display_name}
    else:
        pre = request.cookies.get(cookie.SIGNIN_COOKIE) or secrets.token_urlsafe(24)
        form = {"csrf": cookie.form_token(pre)}
    response = render(
        request, "signin.html", signed_in(request), status_code, next=next, error=error, **form
    )
    if provider is not None:
        return response
    _set_cookie(request, response, cookie.SIGNIN_COOKIE, pre)
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str | None = None) -> Response:
    return _signin_page(request, next=safe_next(next))


@router.post("/signin", response_class=HTMLResponse)
async def signin(request: Request, engine: EngineDep) -> Response:
    if get_identity_provider(request) is not None:  # the provider signs people in instead
        return render(request, "notfound.html", None, 404)
    refused = foreign_form(request, None)
    if refused is not None:
        return refused
    form = await request.form()
    key = str(form.get("api_key") or "").strip()
    target = safe_next(str(form.get("next") or ""))
    token = form.get("csrf")
    if not cookie.form_token_ok(
        request.cookies.get(cookie.SIGNIN_COOKIE), token if isinstance(token, str) else None
    ):  # not our own sign-in form: nobody is signed in, the key is not even looked up
        return _signin_page(request, 403, target, "signin.stale")
    with Session(engine) as session:
        who = lookup(session, key) if key else None
    if who is None:
        return _signin_page(request, 401, target, "signin.bad")
    assert who.key_id is not None  # a key's principal
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(cookie.SIGNIN_COOKIE, path="/pages", httponly=True, samesite="lax")
    _set_session(request, response, cookie.sign(who.key_id))
    return response


def _set_session(request: Request, response: Response, value: str) -> None:
    _set_cookie(request, response, cookie.COOKIE, value)


def _set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A cookie of the pages: HTTP-only, same-site lax, secure over HTTPS, for a working day."""
    response.set_cookie(
        name,
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
    lang = page_lang(request)
    detail = translate(body_key, lang, name=provider.settings.display_name, **fields)
    response = render(
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
    provider = get_identity_provider(request)
    if provider is None:
        return render(request, "notfound.html", signed_in(request), 404)
    try:
        asked = provider.authorization(_callback_uri(request, provider))
    except ProviderUnavailable:
        return _signin_problem(request, 503, provider, "oidc.failed.title", "oidc.unavailable")
    response = RedirectResponse(asked.url, status_code=303)
    response.set_cookie(
        cookie.FLOW_COOKIE,
        cookie.sign_flow(asked.state, asked.nonce, asked.code_verifier, safe_next(next)),
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
    provider = get_identity_provider(request)
    if provider is None:
        return render(request, "notfound.html", signed_in(request), 404)
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
    response = RedirectResponse(safe_next(target), status_code=303)
    response.delete_cookie(cookie.FLOW_COOKIE, path=_FLOW_PATH, httponly=True, samesite="lax")
    _set_session(request, response, cookie.sign_subject(who.subject, who.role))
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    if request.cookies.get(cookie.COOKIE):  # a session to end: only by our own form
        form = await posted_form(request, signed_in(request))
        if isinstance(form, Response):
            return form
    response = RedirectResponse("/pages/signin?signed_out=1", status_code=303)
    response.delete_cookie(cookie.COOKIE, path="/pages", httponly=True, samesite="lax")
    return response


@router.get("/")
def start(request: Request) -> Response:
    """Each role's first page."""
    who = signed_in(request)
    if who is None:
        return RedirectResponse("/pages/signin", status_code=303)
    if who.may("children:read"):
        return RedirectResponse("/pages/children", status_code=303)
    if who.may("gaps"):
        return RedirectResponse("/pages/gaps", status_code=303)
    return render(request, "denied.html", who, 403, role=translate(f"role.{who.role}", "en"))
