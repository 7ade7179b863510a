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
route set itself is kept. When an operator sets a tile server for the maps
(``FOSTERMATCH_TILE_URL``), the pages' policy also lets images come from that server's origin.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.middleware import HttpMiddleware

__all__ = ["API_CSP", "PAGE_CSP", "SecurityHeaders", "page_policy"]

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


def page_policy(tile_origin: str | None = None) -> str:
    """The pages' Content-Security-Policy, with images also from ``tile_origin`` when given."""
    if tile_origin is None:
        return PAGE_CSP
    return f"{PAGE_CSP}; img-src 'self' {tile_origin}"


def _policy(path: str, page: str) -> str | None:
    """The Content-Security-Policy for a path (None: the API documentation)."""
    if path.startswith(DOCS_PATHS):
        return None
    if path == "/" or path == "/pages" or path.startswith("/pages/"):
        return page
    return API_CSP


class SecurityHeaders(HttpMiddleware):
    """Add the headers of the table above to every HTTP response; ``tile_origin`` is the
    maps' tile server (scheme and host), when an operator set one."""

    def __init__(self, app: ASGIApp, tile_origin: str | None = None) -> None:
        super().__init__(app)
        self.page_csp = page_policy(tile_origin)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = _policy(scope["path"], self.page_csp)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS:
                    headers.setdefault(name, value)
                if policy is not None:
                    headers.setdefault("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)
