"""The base of the application's own ASGI middleware: HTTP requests only.

Each middleware of :mod:`api.http.faults`, :mod:`api.http.auth_first` and
:mod:`api.http.headers` acts on HTTP requests; lifespan and websocket messages pass through
untouched.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HttpMiddleware"]


class HttpMiddleware:
    """Call :meth:`handle` for an HTTP request; pass anything else to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request (by default: the app does)."""
        await self.app(scope, receive, send)
