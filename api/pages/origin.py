"""Where a posted form comes from: the pages accept forms from their own origin only.

The form token (:mod:`api.pages.session`) proves the form was served to this session; the
``Origin`` header (``Referer`` when a browser sends no ``Origin``) says which site the browser
posted it from. A form posted from another site is refused even with a valid token, which a
script on a sibling subdomain or a leaked page could have read.

The accepted origins are ``FOSTERMATCH_PUBLIC_ORIGIN`` (comma-separated, e.g.
``https://fostermatch.agency.example``) when set, compared in full (scheme, host, port);
otherwise the host the request was sent to (its ``Host`` header), compared without the scheme
so that a proxy ending TLS in front of the server does not refuse every form. A request that
carries neither header (not a browser) is left to the form token.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

from api.settings import load_settings

__all__ = ["PUBLIC_ORIGIN_ENV", "foreign_origin"]

PUBLIC_ORIGIN_ENV = "FOSTERMATCH_PUBLIC_ORIGIN"


def _origin(url: str) -> tuple[str, str] | None:
    """``(scheme, host[:port])`` of an origin or URL; None for ``null`` or garbage."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def foreign_origin(request: Request) -> str | None:
    """The origin a form was posted from when it is not this site's; None when it is ours.

    Returns the offending origin as sent (``"null"`` for a sandboxed or privacy-hiding page),
    for the message.
    """
    sent = request.headers.get("origin")
    if sent is None:
        referer = request.headers.get("referer")
        if referer is None:
            return None  # not a browser: the form token decides
        sent = referer
    came_from = _origin(sent)
    configured = load_settings().public_origin_list
    if configured:
        allowed = {_origin(o) for o in configured}
        return None if came_from is not None and came_from in allowed else _shown(sent)
    host = request.headers.get("host", "").lower()
    return None if came_from is not None and came_from[1] == host else _shown(sent)


def _shown(sent: str) -> str:
    """An origin for a message: scheme and host only (a Referer's path may carry ids)."""
    parts = _origin(sent)
    return f"{parts[0]}://{parts[1]}" if parts else sent.strip()[:100] or "null"
