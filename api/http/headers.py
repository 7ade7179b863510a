"""Security headers on every response: the pages defend themselves in the browser.

=========================  =====================================  ==========================
header                     pages (``/`` and ``/pages/...``)         API (JSON) and files
=========================  =====================================  ==========================
Content-Security-Policy    :data:`PAGE_CSP`: everything from this  :data:`API_CSP`: nothing
                           site only, no inline script or style,   to load, never framed
                           never framed
X-Content-Type-Options     ``nosniff``                             ``nosniff``
Referrer-Policy            ``same-origin``                         ``same-origin``
X-Frame-Options            ``DENY`` (browsers older than CSP 2)    ``DENY``
=========================  =====================================  ==========================

The API documentation (``/docs``, ``/redoc``, :mod:`api.http.apidocs`) starts Swagger UI and
ReDoc with an inline script: it gets no Content-Security-Policy, only the other headers. A header a
route set itself is kept.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from api.http.middleware import HttpMiddleware

__all__ = ["API_CSP", "PAGE_CSP", "SecurityHeaders"]

PAGE_CSP = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")

_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


def _policy(path: str) -> str | None:
    """The Content-Security-Policy for a path (None: the API documentation)."""
    if path.startswith(DOCS_PATHS):
        return None
    if path == "/" or path == "/pages" or path.startswith("/pages/"):
        return PAGE_CSP
    return API_CSP


class SecurityHeaders(HttpMiddleware):
    """Add the headers of the table above to every HTTP response."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = _policy(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS:
                    headers.setdefault(name, value)
                if policy is not None:
                    headers.setdefault("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)
