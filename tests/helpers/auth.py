"""API keys for tests: one per role, and the header that carries one."""

from __future__ import annotations

from sqlalchemy import Engine

from api.services.keys import ROLES, create_key
from data.db import session_scope


def make_keys(engine: Engine) -> dict[str, str]:
    """One new API key per role, role -> key."""
    with session_scope(engine) as session:
        return {role: create_key(session, role, f"test {role}")[1] for role in ROLES}


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}
