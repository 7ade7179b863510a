"""``POST /v1/decisions``: record a team's placement decision (and take the bed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api.http.auth import DecisionMaker
from api.http.dependencies import EngineDep, PolicyDep, SettingsDep, SnapshotsDep
from api.http.idempotency import IdempotencyKeyHeader, Store, answer_once, json_body_hash
from api.http.problems import problem_responses
from api.schemas import DecisionIn
from api.services.decisions import read_decision, record_decision
from api.services.idempotency import Answer

router = APIRouter(prefix="/v1", tags=["decisions"])

_EXAMPLE = {
    "id": 7,
    "created_at": "2026-11-22T23:00:00+00:00",
    "placements": [
        {
            "child_id": "C1",
            "home_id": "H3",
            "placement_id": 18002,
            "setting": "foster_home",
            "started_on": "2026-11-22",
            "engine_rank": 2,
            "top_ranked_home": "H5",
        }
    ],
    "participants": [{"role": "caseworker", "name": None}, {"role": "youth", "name": None}],
    "options_shown": ["H3", "H5", "H8"],
    "reason": "youth asked to stay near school",
    "icwa_good_cause": None,
    "ended": [{"child_id": "C1", "setting": "shelter", "started_on": "2026-11-20"}],
}


@router.post(
    "/decisions",
    status_code=201,
    summary="Record a team decision: creates the placements and takes the beds",
    description=(
        "`201` with the placements created; `409` when a chosen home has no free bed left "
        "(another decision took it) or is not active; `422` when a reason is missing (the "
        "chosen home is not the top-ranked one), ICWA good cause is missing, or a field is "
        "wrong. Written in one transaction with its audit entry. With an `Idempotency-Key`, "
        "a retry gets the first answer (the same decision id, `Idempotent-Replayed: true`) "
        "and no second decision is recorded."
    ),
    responses={
        201: {
            "content": {"application/json": {"example": _EXAMPLE}},
            "headers": {"Location": {"description": "the decision: /v1/decisions/{id}"}},
        },
        **problem_responses(401, 403, 409, 422),
    },
)
def post_decision(
    body: DecisionIn,
    request: Request,
    principal: DecisionMaker,
    engine: EngineDep,
    settings: SettingsDep,
    snapshots: SnapshotsDep,
    policy: PolicyDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    def answer(out: dict[str, Any]) -> Answer:
        return Answer(201, out, {"Location": f"/v1/decisions/{out['id']}"})

    def work(store: Store | None) -> Answer:
        def before_commit(session: Session, out: dict[str, Any]) -> None:
            if store is not None:
                store(session, answer(out))

        return answer(record_decision(engine, snapshots, policy, principal, body, before_commit))

    key_hash = json_body_hash(body)
    return answer_once(request, engine, settings, principal, idempotency_key, key_hash, work)


@router.get(
    "/decisions/{decision_id}",
    summary="Read a recorded decision",
    responses={
        200: {"content": {"application/json": {"example": _EXAMPLE}}},
        **problem_responses(401, 403, 404),
    },
)
def get_decision(
    decision_id: Annotated[int, Path(ge=1, le=2**62)], engine: EngineDep, principal: DecisionMaker
) -> dict[str, Any]:
    return read_decision(engine, principal, decision_id)
