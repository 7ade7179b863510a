"""Idempotency keys: a POST that creates, retried with the same key, gets its first answer.

A caller sends ``Idempotency-Key: <up to 255 characters>`` with a POST that creates (a
decision, a plan job, an import). The first request with a key **claims** it (a row with no
answer yet, committed at once); the work then writes its records and, in the same
transaction, **completes** the claim with its answer (status, the headers that matter, the
body). So a crash leaves either both or neither; a claim whose request died is taken over by
a retry after :data:`IN_FLIGHT_S`. A refused request (an error answer) **releases** its claim:
nothing was created, so a retry runs again.

Keys belong to one caller (an API key, or a person signed in), and are purged
``hours`` after they were first sent (:func:`claim` deletes the expired ones as it writes).

::

    claim()    -> Claim (run the work)  | Answer (replay it)
               -> Invalid (422)  the key was sent before with another request
               -> Conflict (409) a request with the key is still being answered
    complete() in the work's transaction; release() when the work was refused
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from api.services.errors import Conflict, Invalid
from data.db import session_scope, write_lock
from data.models import IdempotencyKey

__all__ = [
    "HEADER",
    "IN_FLIGHT_S",
    "Answer",
    "Claim",
    "body_hash",
    "check_key",
    "claim",
    "complete",
    "purge",
    "release",
]

HEADER = "Idempotency-Key"
IN_FLIGHT_S = 120  # a claim unanswered this long belongs to a request that died: a retry takes it
MAX_KEY = 255


@dataclass(frozen=True, slots=True)
class Answer:
    """A response to keep: its status, the headers a retry needs (Location), its JSON body."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Claim:
    """A key claimed by this request: the row its answer is written to, and the attempt."""

    id: int
    attempt: int = 1


def body_hash(data: bytes) -> str:
    """The SHA-256 of a request's body (hex): a retry must send the same."""
    return hashlib.sha256(data).hexdigest()


def check_key(key: str) -> None:
    """Refuse (422, naming the header) a key that is empty, too long or not printable ASCII."""
    if not key or len(key) > MAX_KEY or not all(" " < ch <= "~" for ch in key):
        raise Invalid(
            f"header {HEADER}: expected 1 to {MAX_KEY} printable ASCII characters without "
            "spaces (a UUID is a good key)",
            errors=[{"loc": ["header", HEADER], "message": "not a usable key"}],
        )


def _aware(moment: datetime) -> datetime:
    # SQLite gives back the UTC time without its zone
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def purge(session: Session, before: datetime) -> int:
    """Delete the keys first sent before ``before``; how many."""
    result = session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < before))
    return int(cast(CursorResult[Any], result).rowcount)


def claim(
    engine: Engine,
    *,
    caller: str,
    key: str,
    method: str,
    path: str,
    request_hash: str,
    keep: timedelta,
    now: datetime | None = None,
) -> Claim | Answer:
    """Claim ``key`` for this request, or the answer its first request got.

    Raises
    ------
    Invalid
        The key was used before with another body, method or path (the ``loc`` names the
        header).
    Conflict
        A request with this key is still being answered.
    """
    now = now or datetime.now(UTC)
    check_key(key)
    try:
        with session_scope(engine) as session:
            write_lock(session)
            purge(session, now - keep)
            stored = (
                session.execute(
                    select(IdempotencyKey).where(
                        col(IdempotencyKey.caller) == caller, col(IdempotencyKey.key) == key
                    )
                )
                .scalars()
                .first()
            )
            if stored is None:
                row = IdempotencyKey(
                    caller=caller,
                    key=key,
                    method=method,
                    path=path,
                    request_hash=request_hash,
                    created_at=now,
                )
                session.add(row)
                session.flush()
                assert row.id is not None
                return Claim(row.id)
            if (stored.method, stored.path, stored.request_hash) != (method, path, request_hash):
                raise Invalid(
                    f"header {HEADER}: this key was sent with another request "
                    f"({stored.method} {stored.path}, another body) at "
                    f"{_aware(stored.created_at).isoformat()}; a new request needs a new key",
                    errors=[
                        {
                            "loc": ["header", HEADER],
                            "message": "already used for another request body",
                        }
                    ],
                )
            if stored.status is not None:
                return Answer(stored.status, json.loads(stored.body or "{}"), dict(stored.headers))
            waited = (now - _aware(stored.created_at)).total_seconds()
            if waited < IN_FLIGHT_S:
                raise _in_flight()
            # its request died unanswered (or hangs): this one takes it over
            stored.created_at = now
            stored.attempt += 1
            assert stored.id is not None
            return Claim(stored.id, stored.attempt)
    except IntegrityError:
        # another request with this key inserted its claim between our read and our write
        raise _in_flight() from None


def _in_flight() -> Conflict:
    return Conflict(
        f"header {HEADER}: a request with this key is still being answered; "
        "retry in a few seconds to get its answer",
        retry_after_s=2,
    )


def complete(session: Session, claimed: Claim, answer: Answer) -> None:
    """Write ``answer`` to the claim, in the transaction of the work it reports.

    Raises
    ------
    Conflict
        The claim is no longer this request's (taken over after :data:`IN_FLIGHT_S`): the
        work's transaction must roll back.
    """
    result = session.execute(
        update(IdempotencyKey)
        .where(
            col(IdempotencyKey.id) == claimed.id,
            col(IdempotencyKey.attempt) == claimed.attempt,
            col(IdempotencyKey.status).is_(None),
        )
        .values(
            status=answer.status,
            headers=answer.headers,
            body=json.dumps(answer.body, separators=(",", ":")),
        )
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise Conflict(
            f"header {HEADER}: this request took too long and a retry with the same key "
            "took it over; nothing was written by this one"
        )


def release(engine: Engine, claimed: Claim) -> None:
    """Forget a claim whose request was refused (nothing was created): a retry runs again."""
    with session_scope(engine) as session:
        session.execute(
            delete(IdempotencyKey).where(
                col(IdempotencyKey.id) == claimed.id,
                col(IdempotencyKey.attempt) == claimed.attempt,
                col(IdempotencyKey.status).is_(None),
            )
        )
