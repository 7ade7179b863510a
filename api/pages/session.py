"""The pages' session cookie: the API key's id, signed with HMAC-SHA256 (standard library).

Signing in checks the API key once (:func:`api.auth.lookup`); the cookie then carries only
the key's id and the time it was issued, never the key. Every request reloads the key's row,
so a revoked key stops the session at once and the role is always the key's role, exactly
as the API sees it. The secret is ``FOSTERMATCH_SESSION_SECRET`` when set (needed when
several worker processes serve the pages); otherwise a random secret per process, so every
session ends when the process restarts.

Every form that changes something carries a token bound to the session (:func:`form_token`).
The sign-in form, before any session, carries one bound to a random pre-session cookie
(:data:`SIGNIN_COOKIE`), so another site cannot sign a person in with a key of its choosing.
SameSite=Lax alone does not stop a form posted from a sibling subdomain (the same site) or by
a browser that ignores SameSite; such a page can make the browser send the cookie, but it
cannot read our pages, so it cannot know the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time

from sqlmodel import Session

from api.auth import Principal
from data.models import ApiKey

__all__ = [
    "COOKIE",
    "MAX_AGE_S",
    "SECRET_ENV",
    "SIGNIN_COOKIE",
    "form_token",
    "form_token_ok",
    "principal_of",
    "read_cookie",
    "sign",
]

COOKIE = "fm_session"
SIGNIN_COOKIE = "fm_signin"  # random, before signing in: what the sign-in form's token binds
SECRET_ENV = "FOSTERMATCH_SESSION_SECRET"
MAX_AGE_S = 8 * 3600  # a working day

_PROCESS_SECRET = secrets.token_bytes(32)


def _secret() -> bytes:
    configured = os.environ.get(SECRET_ENV)
    return configured.encode("utf-8") if configured else _PROCESS_SECRET


def _mac(payload: bytes) -> str:
    digest = hmac.new(_secret(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def sign(key_id: int, now: float | None = None) -> str:
    """The cookie value for a signed-in key: ``payload.mac``, both URL-safe base64."""
    body = json.dumps({"k": key_id, "t": int(now if now is not None else time.time())})
    payload = base64.urlsafe_b64encode(body.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{payload}.{_mac(payload.encode('ascii'))}"


def read_cookie(value: str | None, now: float | None = None) -> int | None:
    """The key id of a valid, unexpired cookie; None for anything else."""
    if not value or value.count(".") != 1:
        return None
    payload, mac = value.split(".")
    expected = _mac(payload.encode("ascii", "replace"))
    # bytes: compare_digest refuses str with non-ASCII characters (a forged cookie may have them)
    if not hmac.compare_digest(mac.encode("utf-8"), expected.encode("ascii")):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        key_id, issued = int(data["k"]), int(data["t"])
    except (ValueError, KeyError, TypeError):
        return None
    age = (now if now is not None else time.time()) - issued
    return key_id if 0 <= age <= MAX_AGE_S else None


def form_token(cookie_value: str) -> str:
    """The token the forms of a session carry: HMAC of ``"csrf"`` and the cookie value.

    Bound to the cookie, so it changes at every sign-in and needs no storage; the prefix keeps
    it apart from the cookie's own MAC (a token is never a valid cookie signature).
    """
    return _mac(b"csrf" + cookie_value.encode("utf-8"))


def form_token_ok(cookie_value: str | None, token: str | None) -> bool:
    """Whether ``token`` is the form token of the session cookie ``cookie_value``."""
    if not cookie_value or not token:
        return False
    return hmac.compare_digest(token.encode("utf-8"), form_token(cookie_value).encode("ascii"))


def principal_of(session: Session, key_id: int) -> Principal | None:
    """The principal of a signed-in key id; None when the key is gone or revoked."""
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None or row.id is None:
        return None
    return Principal(row.id, row.label, row.role)
