"""Faults a client did not cause, answered properly: a lost database and an over-long URL.

**A lost database** (the server gone, a connection cut, connection refused, the pool
exhausted) answers ``503 Service Unavailable`` with a problem body and ``Retry-After``, never
a 500. A read (``GET``/``HEAD``) is tried once more first: SQLAlchemy has by then thrown the
dead connection away (and, with ``pool_pre_ping``, every stale one), so the second try runs
on a fresh connection and a database that came back answers. A write is never repeated: it
may have committed before its connection was cut, and the client knows best whether to send
it again. Nothing is retried once the response has begun.

**An over-long URL** (path and query over :data:`MAX_URL_BYTES`) answers ``414 URI Too Long``
before any route runs. Request lines too long for the server to parse at all are answered by
:mod:`api.http.protocol`.
"""

from __future__ import annotations

import logging

from sqlalchemy import exc as sa
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.middleware import HttpMiddleware
from api.http.problems import problem_response

__all__ = ["MAX_URL_BYTES", "RETRY_AFTER_S", "DatabaseFaults", "UrlLimit", "database_lost"]

MAX_URL_BYTES = 8 * 1024  # path and query string; the API's longest real URL is far shorter
RETRY_AFTER_S = 5  # what a 503 asks a client to wait: a restarted PostgreSQL is back by then
RETRIED_METHODS = frozenset({"GET", "HEAD"})

log = logging.getLogger("fostermatch.api")

# the database is unreachable or a connection died: the request itself was fine
_LOST = (sa.OperationalError, sa.InterfaceError, sa.TimeoutError)


def database_lost(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable, not that the request was wrong."""
    if isinstance(error, _LOST):
        return True
    return isinstance(error, sa.DBAPIError) and error.connection_invalidated


class DatabaseFaults(HttpMiddleware):
    """Retry a read once after a database fault; answer 503 when the fault persists."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        tries = 2 if scope["method"] in RETRIED_METHODS else 1
        for attempt in range(1, tries + 1):
            try:
                await self.app(scope, receive, watching_send)
                return
            except Exception as error:
                if started or not database_lost(error):
                    raise
                # the class only: a driver's message may quote the statement's values
                log.warning(
                    "database unavailable (%s) in %s, attempt %d of %d",
                    type(error).__name__,
                    scope["method"],
                    attempt,
                    tries,
                )
        response = _unavailable(Request(scope))
        await response(scope, receive, send)


def _unavailable(request: Request) -> Response:
    """The 503 answer: a problem body for the API, a short page for people."""
    sentence = (
        "the database is unavailable at the moment; nothing was changed by this request "
        f"unless it was already committed. Try again in {RETRY_AFTER_S} seconds"
    )
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if request.url.path == "/" or request.url.path.startswith("/pages"):
        said = sentence[:1].upper() + sentence[1:]
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Service unavailable — fostermatch</title>"
            '<link rel="stylesheet" href="/pages/static/pages.css"></head>'
            '<body><main id="main"><h1>Service unavailable</h1>'
            f'<p class="alert" role="alert">{said}.</p></main></body></html>'
        )
        return HTMLResponse(page, status_code=503, headers=headers)
    return problem_response(request, 503, sentence, headers=headers)


class UrlLimit(HttpMiddleware):
    """Answer 414 when the path and query string are longer than :data:`MAX_URL_BYTES`."""

    def __init__(self, app: ASGIApp, limit: int = MAX_URL_BYTES) -> None:
        super().__init__(app)
        self.limit = limit

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        length = len(raw_path) + len(scope.get("query_string", b""))
        if length > self.limit:
            response = problem_response(
                Request(scope),
                414,
                f"the URL is {length:,} bytes long; the limit is {self.limit:,} bytes. "
                "Send long criteria in a request body instead",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
