"""``Idempotency-Key`` on the POSTs that create (decisions, plans, imports; offers later).

A route hands :func:`answer_once` its work as a function of one argument: a ``store``
callback (None without a key) that the work calls **inside its own transaction**, before it
commits, with the answer it is about to give. The helper claims the key first and answers a
retry with the stored answer and ``Idempotent-Replayed: true``. See
:mod:`api.services.idempotency` for the rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from api.services.idempotency import Answer, body_hash, claim, complete, release
from api.services.keys import Principal
from api.settings import Settings

__all__ = [
    "REPLAYED",
    "IdempotencyKeyHeader",
    "Store",
    "answer_once",
    "caller_of",
    "json_body_hash",
]

REPLAYED = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="a key of your choosing (a UUID) that makes a retry safe: the same key "
        "and body get the first answer again (`Idempotent-Replayed: true`); another body, "
        "422; while the first is still being answered, 409. Kept "
        "`FOSTERMATCH_IDEMPOTENCY_KEY_HOURS` (24) hours.",
    ),
]

Store = Callable[[Session, Answer], None]


def caller_of(principal: Principal) -> str:
    """Whose keys these are: the API key's id, or the signed-in person's label."""
    return f"key:{principal.key_id}" if principal.key_id is not None else principal.label


def _response(answer: Answer, *, replayed: bool) -> JSONResponse:
    headers = dict(answer.headers)
    if replayed:
        headers[REPLAYED] = "true"
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def answer_once(
    request: Request,
    engine: Engine,
    settings: Settings,
    principal: Principal,
    key: str | None,
    request_hash: str,
    work: Callable[[Store | None], Answer],
) -> JSONResponse:
    """Run ``work`` once per key: claim, run (storing the answer in its transaction), answer.

    Without a key the work runs as it always did. A refused request (an exception) releases
    its claim and is re-raised, so the error is answered as usual and a retry runs again.
    """
    if key is None:
        return _response(work(None), replayed=False)
    got = claim(
        engine,
        caller=caller_of(principal),
        key=key,
        method=request.method,
        path=request.url.path,
        request_hash=request_hash,
        keep=timedelta(hours=settings.idempotency_key_hours),
    )
    if isinstance(got, Answer):
        return _response(got, replayed=True)

    def store(session: Session, answer: Answer) -> None:
        complete(session, got, answer)

    try:
        answer = work(store)
    except BaseException:
        release(engine, got)
        raise
    return _response(answer, replayed=False)


def json_body_hash(body: BaseModel) -> str:
    """The hash of a validated JSON body, canonically serialised: the same request whatever
    its spacing or key order."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return body_hash(canonical.encode())
