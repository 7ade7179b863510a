"""Authentication before anything else: a caller without a valid key learns nothing more.

FastAPI reads and parses a request's JSON body before it resolves the route's dependencies,
so a broken body without a key would answer 422 (and say what is wrong with it) before the
key was ever checked. This middleware checks the bearer key of every ``/v1`` request first,
with the same function the routes use (:func:`api.http.auth.authenticated`), and answers 401
before the body is read. The routes' ``require(...)`` dependencies then find the caller
already known (no second lookup), check the role and document the security scheme in
OpenAPI as before.

Left alone: ``/v1/health`` (public), CORS preflight requests (``OPTIONS``, which browsers
send without credentials) and everything outside ``/v1`` (the pages have their own
sign-in; the API documentation is public).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from api.http.auth import authenticated, bearer_scheme
from api.http.middleware import HttpMiddleware
from api.http.problems import Problem, problem_response

__all__ = ["PUBLIC_PATHS", "AuthenticateFirst"]

PUBLIC_PATHS = frozenset({"/v1/health", "/v1/health/live", "/v1/health/ready"})


def _guarded(scope: Scope) -> bool:
    path: str = scope["path"]
    return (
        scope["method"] != "OPTIONS"
        and (path == "/v1" or path.startswith("/v1/"))
        and path not in PUBLIC_PATHS
    )


class AuthenticateFirst(HttpMiddleware):
    """Answer 401 for a ``/v1`` request without a valid key, before its body is read."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _guarded(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        credentials = await bearer_scheme(request)
        try:
            # the key's row is read from the database: off the event loop
            await run_in_threadpool(authenticated, request, credentials)
        except Problem as problem:
            response = problem_response(
                request, problem.status, problem.detail, headers=problem.headers
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
