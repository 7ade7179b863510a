"""``POST /v1/decisions``: record a team's placement decision (and take the bed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api.http.auth import DecisionMaker
from api.http.contract import ContractRoute
from api.http.dependencies import EngineDep, PolicyDep, SessionDep, SettingsDep, SnapshotsDep
from api.http.idempotency import IdempotencyKeyHeader, Store, answer_once, json_body_hash
from api.http.problems import problem_responses
from api.http.routers.records import link_next
from api.responses import Decision as DecisionOut
from api.responses import DecisionPage
from api.schemas import DecisionIn
from api.services.audit import audit_read
from api.services.decisions import list_decisions, read_decision, record_decision
from api.services.idempotency import Answer

router = APIRouter(prefix="/v1", tags=["decisions"], route_class=ContractRoute)

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
    response_model=DecisionOut,
    response_model_exclude_unset=True,
    responses={
        201: {
            "content": {"application/json": {"example": _EXAMPLE}},
            "headers": {
                "Location": {
                    "description": "the decision: `/v1/decisions/{id}`",
                    "schema": {"type": "string"},
                }
            },
        },
        **problem_responses(409),
    },
    name="post_decisions",
)
def post_decisions(
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
    "/decisions",
    summary="The recorded decisions, oldest first (paged; by child or home)",
    description=(
        "Each decision as `GET /v1/decisions/{id}` answers it. `child_id`: the decisions "
        "that placed that child; `home_id`: those placing a child in that home; `after`: the "
        "`next` of the previous page. Audit-logged with the children named."
    ),
    response_model=DecisionPage,
    response_model_exclude_unset=True,
    responses={
        200: {"content": {"application/json": {"example": {"items": [_EXAMPLE], "next": None}}}}
    },
    name="get_decisions",
)
def get_decisions(
    request: Request,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    principal: DecisionMaker,
    child_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    home_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="last id seen")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    items, following = list_decisions(
        session, child_id=child_id, home_id=home_id, after=after, limit=limit
    )
    children = sorted({p["child_id"] for d in items for p in d["placements"]})
    if children:
        audit_read(engine, principal, "list_decisions", "decision", children)
    link_next(request, response, following)
    return {"items": items, "next": following}


@router.get(
    "/decisions/{decision_id}",
    summary="Read a recorded decision",
    response_model=DecisionOut,
    response_model_exclude_unset=True,
    responses={
        200: {"content": {"application/json": {"example": _EXAMPLE}}},
        **problem_responses(404),
    },
)
def get_decision(
    decision_id: Annotated[int, Path(ge=1, le=2**62, examples=[1])],
    engine: EngineDep,
    principal: DecisionMaker,
) -> dict[str, Any]:
    return read_decision(engine, principal, decision_id)
