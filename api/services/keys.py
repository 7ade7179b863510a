"""Bearer API keys and roles (the roles table: README.md, "Keys and roles").

A key reads ``fm_<prefix>_<secret>``. Only the SHA-256 of the whole key is stored, with the
prefix to find its row; the key is printed once when created and cannot be shown again. A
request presents it as ``Authorization: Bearer fm_...``; the hash is compared in constant
time. Revoked keys stop working at once (no cache).

Roles and what they may do (:data:`PERMISSIONS`):

=================  =====  ===========  ===========  =========  =======
permission         admin  case_system  coordinator  recruiter  monitor
=================  =====  ===========  ===========  =========  =======
records:write        x         x
children:read        x         x            x
homes:read           x         x            x
applicants:read      x         x            x
partners:read        x         x            x            x
matches              x         x            x
plans                x         x            x
equity               x                      x
decisions            x         x            x
changes              x         x            x
gaps                 x                      x            x
outcomes             x                      x            x
audit                x
metrics              x                                              x
webhooks             x
=================  =====  ===========  ===========  =========  =======

The dependencies that check a request's key and role are in :mod:`api.http.auth`.
With the agency's identity provider configured (:mod:`api.services.oidc`), a bearer value that is
not an ``fm_`` key is checked as the provider's JWT; its role comes from the provider's
claims and its :class:`Principal` has no key id.

A recruiter never receives a child-level record: every route that returns one needs
``children:read``, ``matches``, ``plans`` or ``decisions``, which a recruiter lacks.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlmodel import Session, col

from data.models import ApiKey

__all__ = [
    "DEMO_LABEL",
    "PERMISSIONS",
    "ROLES",
    "BearerTokens",
    "NoRole",
    "Principal",
    "ProviderUnavailable",
    "TokenRejected",
    "create_key",
    "demo_keys",
    "hash_key",
    "list_keys",
    "lookup",
    "revoke_key",
]

ROLES = ("admin", "case_system", "coordinator", "recruiter", "monitor")

PERMISSIONS: dict[str, frozenset[str]] = {
    "records:write": frozenset({"admin", "case_system"}),
    "children:read": frozenset({"admin", "case_system", "coordinator"}),
    "homes:read": frozenset({"admin", "case_system", "coordinator"}),
    "applicants:read": frozenset({"admin", "case_system", "coordinator"}),
    "partners:read": frozenset({"admin", "case_system", "coordinator", "recruiter"}),
    "matches": frozenset({"admin", "case_system", "coordinator"}),
    "plans": frozenset({"admin", "case_system", "coordinator"}),
    # a plan's outcomes by race, sex and age: for coordinators' supervisors, not case systems
    "equity": frozenset({"admin", "coordinator"}),
    "decisions": frozenset({"admin", "case_system", "coordinator"}),
    "gaps": frozenset({"admin", "coordinator", "recruiter"}),
    # aggregates with small cells suppressed: for recruiters, and for coordinators' supervisors
    "outcomes": frozenset({"admin", "coordinator", "recruiter"}),
    "audit": frozenset({"admin"}),
    # Prometheus' scrape: counts and timings only, never a record (api/http/metrics.py)
    "metrics": frozenset({"admin", "monitor"}),
    # the changes feed: ids of what changed (children included), for those who read records
    "changes": frozenset({"admin", "case_system", "coordinator"}),
    # webhooks send the changes elsewhere, signed with secrets: the agency's administrators
    "webhooks": frozenset({"admin"}),
}

DEMO_LABEL = "demo"  # the label of the keys `fostermatch keys demo` makes (and revokes)
KEY_PREFIX = "fm_"


def hash_key(key: str) -> str:
    """The stored form of a key: SHA-256, hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def create_key(session: Session, role: str, label: str) -> tuple[ApiKey, str]:
    """Create a key for ``role``; returns the row and the key itself (shown once, never stored).

    Raises
    ------
    ValueError
        An unknown role or an empty label.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    if not label.strip():
        raise ValueError("a key needs a label saying who holds it")
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        prefix=prefix, key_hash=hash_key(key), role=role, label=label.strip(), created_at=_now()
    )
    session.add(row)
    session.flush()
    return row, key


def revoke_key(session: Session, key_id: int) -> ApiKey:
    """Revoke a key (idempotent: a revoked key keeps its first revocation time).

    Raises
    ------
    LookupError
        No key has this id.
    """
    row = session.get(ApiKey, key_id)
    if row is None:
        raise LookupError(f"no API key with id {key_id}")
    if row.revoked_at is None:
        row.revoked_at = _now()
        session.flush()
    return row


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first (no secrets: they are not stored)."""
    return list(session.execute(select(ApiKey).order_by(col(ApiKey.id))).scalars())


def demo_keys(session: Session) -> dict[str, str]:
    """Revoke the previous demo keys and make one per role; role -> key."""
    session.execute(
        update(ApiKey)
        .where(col(ApiKey.label).startswith(f"{DEMO_LABEL} "), col(ApiKey.revoked_at).is_(None))
        .values(revoked_at=_now())
    )
    return {role: create_key(session, role, f"{DEMO_LABEL} {role}")[1] for role in ROLES}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's id, label and role.

    A person signed in at the agency's identity provider (:mod:`api.services.oidc`) has no key
    (``key_id`` None), the label ``oidc:<subject>`` and the provider's ``subject``.
    """

    key_id: int | None
    label: str
    role: str
    subject: str | None = None

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


class TokenRejected(Exception):
    """A bearer token failed a check; the message says which one, never the token."""


class NoRole(Exception):
    """A valid token or sign-in whose claims map to none of the roles."""


class ProviderUnavailable(Exception):
    """The identity provider's discovery document, keys or token endpoint could not be read."""


class BearerTokens(Protocol):
    """What checks the bearer values that are not API keys: the agency's identity provider
    (:class:`api.services.oidc.Provider`), kept in ``app.state.oidc`` when configured."""

    def principal(self, token: str) -> Principal:
        """The caller; raises :class:`TokenRejected`, :class:`NoRole` or
        :class:`ProviderUnavailable`."""
        ...


def lookup(session: Session, key: str) -> Principal | None:
    """The principal of a presented key, or None when it is unknown, malformed or revoked."""
    if not key.startswith(KEY_PREFIX):
        return None
    prefix, _, secret = key[len(KEY_PREFIX) :].partition("_")
    if not prefix or not secret or len(prefix) > 16:
        return None
    row = session.execute(select(ApiKey).where(col(ApiKey.prefix) == prefix)).scalars().first()
    # compare even when no row matched, so that timing does not tell which prefixes exist
    stored = row.key_hash if row is not None else "0" * 64
    if not hmac.compare_digest(stored, hash_key(key)) or row is None or row.revoked_at:
        return None
    assert row.id is not None
    return Principal(row.id, row.label, row.role)
