"""Errors as ``application/problem+json`` (RFC 9457): a title, a human sentence, the fields.

Every error the API returns has the same shape::

    {"type": "https://fostermatch.org/problems/validation", "title": "Invalid request",
     "status": 422, "detail": "1 field is invalid: body.birth_date: ...",
     "instance": "/v1/children/C1",
     "errors": [{"loc": ["body", "birth_date"], "message": "..."}]}

``errors`` is present when fields are at fault; each ``loc`` is the path to the field
(``body``/``query``/``path`` first, as FastAPI names them). At most :data:`MAX_ERRORS` are
listed; when there are more, ``errors_total`` gives how many. A handler never echoes a
submitted value back for an unexpected error, and never logs one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.services.errors import (
    Conflict,
    FieldError,
    Invalid,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ServiceError,
    TooLarge,
    TooMany,
    Unavailable,
)

__all__ = [
    "PROBLEM_JSON",
    "FieldError",
    "Problem",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
    "problem_title",
    "status_of",
]

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://fostermatch.org/problems/"
log = logging.getLogger("fostermatch.api")

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    414: "URI too long",
    415: "Unsupported media type",
    422: "Invalid request",
    428: "Precondition required",
    429: "Too many requests",
    431: "Request header fields too large",
    500: "Internal error",
    503: "Service unavailable",
}
_TYPES = {
    422: "validation",
    401: "unauthenticated",
    403: "forbidden",
    409: "conflict",
    412: "precondition-failed",
    428: "precondition-required",
}
MAX_ERRORS = 100  # field errors listed in one answer; ``errors_total`` then gives them all
MAX_INSTANCE = 200  # characters of the path echoed as ``instance`` (a 414's path is huge)

# the status of each domain error of the services (api/services/errors.py)
_STATUS_OF_ERROR: dict[type[ServiceError], int] = {
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    PreconditionFailed: 412,
    PreconditionRequired: 428,
    TooLarge: 413,
    TooMany: 429,
    Unavailable: 503,
}


class Problem(Exception):
    """An error the API reports as problem+json.

    Parameters
    ----------
    status
        The HTTP status.
    detail
        A sentence a person can act on.
    errors
        The fields at fault, each ``{"loc": [...], "message": ...}``.
    title
        Short, constant per kind of problem (default: from the status).
    extensions
        More members of the body (RFC 9457 extension members), e.g. ``errors_total``.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        title: str | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.title = title or _TITLES.get(status, "Error")
        self.headers = headers or {}
        self.extensions = extensions or {}


def status_of(error: ServiceError) -> int:
    """The HTTP status that answers a service's ``error`` (400 for a kind not listed)."""
    return next((s for kind, s in _STATUS_OF_ERROR.items() if isinstance(error, kind)), 400)


def service_error_response(request: Request, error: ServiceError) -> JSONResponse:
    """The problem+json response for a service's domain ``error``."""
    headers = {"Retry-After": str(error.retry_after_s)} if error.retry_after_s else {}
    extensions: dict[str, Any] = {}
    if error.errors_total is not None:
        extensions["errors_total"] = error.errors_total
    if isinstance(error, PreconditionFailed | PreconditionRequired):
        # RFC 9110: the answer names the current representation's tag, so a client can
        # read it again (GET) before deciding what to send
        extensions["current_etag"] = error.current_etag
        if error.current_etag is not None:
            headers["ETag"] = error.current_etag
    return problem_response(
        request,
        status_of(error),
        error.detail,
        errors=error.errors,
        headers=headers or None,
        extensions=extensions or None,
    )


def _dotted(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    errors: Sequence[FieldError] = (),
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    """The problem+json response for ``request``."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + _TYPES.get(status, str(status)),
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": _clipped(request.url.path),
    }
    if errors:
        body["errors"] = list(errors[:MAX_ERRORS])
        if len(errors) > MAX_ERRORS:  # a hostile body can hold 50,000 wrong fields
            body["errors_total"] = len(errors)
    body.update(extensions or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _clipped(path: str) -> str:
    return path if len(path) <= MAX_INSTANCE else path[:MAX_INSTANCE] + "…"


def _json_error(exc: RequestValidationError, error: dict[str, Any]) -> str:
    """A JSON syntax error in words: what is wrong, at which line and column of the body."""
    why = str(error.get("ctx", {}).get("error", "it cannot be parsed"))
    doc = exc.body if isinstance(exc.body, str) else ""
    pos = next((p for p in error.get("loc", ())[1:] if isinstance(p, int)), None)
    if pos is None or pos > len(doc):
        return f"the body is not valid JSON: {why}"
    line = doc.count("\n", 0, pos) + 1
    column = pos - (doc.rfind("\n", 0, pos) + 1) + 1
    return f"the body is not valid JSON: {why} at line {line}, column {column}"


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            out.append(
                {"loc": ["body"], "message": _json_error(exc, error), "type": "json_invalid"}
            )
            continue
        loc = [p for p in error.get("loc", ()) if p != "__root__"]
        message = str(error.get("msg", "is invalid"))
        # pydantic's "Value error, ..." prefix says nothing to a person
        message = message.removeprefix("Value error, ")
        out.append({"loc": loc, "message": message, "type": error.get("type", "invalid")})
    return out


def _allowed_methods(request: Request) -> list[str]:
    """Every method of every route at this path (Starlette's 405 names the first route's)."""
    from api.http.access import leaf_routes

    methods: set[str] = set()
    for route in leaf_routes(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem+json response."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            exc.detail,
            errors=exc.errors,
            title=exc.title,
            headers=exc.headers,
            extensions=exc.extensions,
        )

    @app.exception_handler(ServiceError)
    async def _refused(request: Request, exc: ServiceError) -> JSONResponse:
        return service_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if errors and errors[0].get("type") == "json_invalid":  # nothing else was read
            return problem_response(request, 422, errors[0]["message"], errors=errors[:1])
        shown = "; ".join(f"{_dotted(e['loc'])}: {e['message']}" for e in errors[:5])
        more = f" (and {len(errors) - 5:,} more)" if len(errors) > 5 else ""
        count = f"{len(errors):,} field{'s' if len(errors) != 1 else ''} invalid"
        return problem_response(request, 422, f"{count}: {shown}{more}", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "the body could not be read: it is not UTF-8 JSON, or not a complete form"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no endpoint at {request.url.path}; see /docs for the API"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            detail = (
                f"{request.method} is not allowed on {_clipped(request.url.path)}; "
                f"it takes {', '.join(allowed)}"
            )
        return problem_response(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # the exception's text may carry record values: log its class and the route only
        route = getattr(request.scope.get("route"), "path", "?")
        log.error("unexpected %s in %s %s", type(exc).__name__, request.method, route)
        return problem_response(
            request, 500, "the server failed to answer this request; the error has been logged"
        )


def problem_title(status: int) -> str:
    """The constant title of problems with this status."""
    return _TITLES.get(status, "Error")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting problem+json for these statuses.

    Each refers to the one ``Problem`` schema (:mod:`api.http.contract` adds it and the
    errors every operation shares).
    """
    return {
        status: {
            "description": problem_title(status),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
