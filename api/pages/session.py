"""The pages' session cookie: the API key's id (or the provider's subject and role), signed
with HMAC-SHA256 (standard library).

Signing in checks the API key once (:func:`api.services.keys.lookup`); the cookie then carries only
the key's id and the time it was issued, never the key. Every request reloads the key's row,
so a revoked key stops the session at once and the role is always the key's role, exactly
as the API sees it. The secret is ``FOSTERMATCH_SESSION_SECRET`` when set (needed when
several worker processes serve the pages); otherwise a random secret per process, so every
session ends when the process restarts.

When the agency's identity provider is configured (:mod:`api.services.oidc`), the cookie carries the
provider's subject and the role its claims gave at sign-in instead (:func:`sign_subject`),
and a short-lived flow cookie (:data:`FLOW_COOKIE`, 10 minutes, path ``/pages/signin``)
carries the sign-in's state, nonce and PKCE verifier from its start to the callback.

Every form that changes something carries a token bound to the session (:func:`form_token`).
The sign-in form, before any session, carries one bound to a random pre-session cookie
(:data:`SIGNIN_COOKIE`), so another site cannot sign a person in with a key of its choosing.
SameSite=Lax alone does not stop a form posted from a sibling subdomain (the same site) or by
a browser that ignores SameSite; such a page can make the browser send the cookie, but it
cannot read our pages, so it cannot know the token.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from sqlmodel import Session

from api.services.keys import ROLES, Principal
from api.services.oidc import subject_principal
from api.settings import load_settings
from data.models import ApiKey

__all__ = [
    "COOKIE",
    "FLOW_COOKIE",
    "FLOW_MAX_AGE_S",
    "MAX_AGE_S",
    "SECRET_ENV",
    "SIGNIN_COOKIE",
    "form_token",
    "form_token_ok",
    "principal_of",
    "read_cookie",
    "read_flow",
    "read_subject",
    "sign",
    "sign_flow",
    "sign_subject",
]

COOKIE = "fm_session"
FLOW_COOKIE = "fm_oidc"  # state, nonce and PKCE verifier of a sign-in at the provider
FLOW_MAX_AGE_S = 600  # a sign-in at the provider must come back within 10 minutes
SIGNIN_COOKIE = "fm_signin"  # random, before signing in: what the sign-in form's token binds
SECRET_ENV = "FOSTERMATCH_SESSION_SECRET"
MAX_AGE_S = 8 * 3600  # a working day

_PROCESS_SECRET = secrets.token_bytes(32)


@functools.cache
def _secret() -> bytes:
    # read once, on the first cookie: every worker of a deployment must sign with the same
    configured = load_settings().session_secret
    return configured.encode("utf-8") if configured else _PROCESS_SECRET


def _mac(payload: bytes) -> str:
    digest = hmac.new(_secret(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _signed(fields: dict[str, Any], now: float | None) -> str:
    """``payload.mac``, both URL-safe base64: the fields and the time of issue, signed."""
    body = json.dumps({**fields, "t": int(now if now is not None else time.time())})
    payload = base64.urlsafe_b64encode(body.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{payload}.{_mac(payload.encode('ascii'))}"


def _verified(value: str | None, now: float | None, max_age_s: int) -> dict[str, Any] | None:
    """The fields of a validly signed value issued at most ``max_age_s`` ago; else None."""
    if not value or value.count(".") != 1:
        return None
    payload, mac = value.split(".")
    expected = _mac(payload.encode("ascii", "replace"))
    # bytes: compare_digest refuses str with non-ASCII characters (a forged cookie may have them)
    if not hmac.compare_digest(mac.encode("utf-8"), expected.encode("ascii")):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        age = (now if now is not None else time.time()) - int(data["t"])
    except (ValueError, KeyError, TypeError):
        return None
    return data if isinstance(data, dict) and 0 <= age <= max_age_s else None


def sign(key_id: int, now: float | None = None) -> str:
    """The cookie value for a signed-in key."""
    return _signed({"k": key_id}, now)


def read_cookie(value: str | None, now: float | None = None) -> int | None:
    """The key id of a valid, unexpired key session cookie; None for anything else."""
    data = _verified(value, now, MAX_AGE_S)
    try:
        return int(data["k"]) if data is not None else None
    except (KeyError, TypeError, ValueError):
        return None


def sign_subject(subject: str, role: str, now: float | None = None) -> str:
    """The cookie value for a person signed in at the identity provider: subject and role.

    The role is the one the provider's claims gave at sign-in; a change at the provider
    reaches the pages at the next sign-in (within :data:`MAX_AGE_S`).
    """
    return _signed({"s": subject, "r": role}, now)


def read_subject(value: str | None, now: float | None = None) -> Principal | None:
    """The principal of a valid, unexpired provider session cookie; None for anything else."""
    data = _verified(value, now, MAX_AGE_S)
    if data is None:
        return None
    subject, role = data.get("s"), data.get("r")
    if not isinstance(subject, str) or not subject or role not in ROLES:
        return None
    return subject_principal(subject, role)


def sign_flow(state: str, nonce: str, code_verifier: str, next_page: str) -> str:
    """The cookie that carries a provider sign-in from its start to the callback."""
    return _signed({"o": [state, nonce, code_verifier, next_page]}, None)


def read_flow(value: str | None, now: float | None = None) -> tuple[str, str, str, str] | None:
    """``(state, nonce, code_verifier, next_page)`` of a flow cookie under 10 minutes old."""
    data = _verified(value, now, FLOW_MAX_AGE_S)
    flow = data.get("o") if data is not None else None
    if not isinstance(flow, list) or len(flow) != 4 or not all(isinstance(f, str) for f in flow):
        return None
    return (flow[0], flow[1], flow[2], flow[3])


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
