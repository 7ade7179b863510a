"""``POST /v1/decisions``: record a team's placement decision (and take the bed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlmodel import Session, col

from api.http.auth import DecisionMaker
from api.http.dependencies import EngineDep, PolicyDep, SessionDep, SnapshotsDep
from api.http.problems import Problem, problem_responses
from api.schemas import DecisionIn
from api.services.audit import audit_read
from api.services.decisions import decision_json, list_decisions, record_decision
from data.models import Decision, DecisionParticipant

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
        "wrong. Written in one transaction with its audit entry."
    ),
    responses={
        201: {"content": {"application/json": {"example": _EXAMPLE}}},
        **problem_responses(401, 403, 409, 422),
    },
)
def post_decision(
    body: DecisionIn,
    principal: DecisionMaker,
    engine: EngineDep,
    snapshots: SnapshotsDep,
    policy: PolicyDep,
) -> dict[str, Any]:
    return record_decision(engine, snapshots, policy, principal, body)


@router.get(
    "/decisions",
    summary="The recorded decisions, oldest first (paged; by child or home)",
    description=(
        "Each decision as `GET /v1/decisions/{id}` answers it. `child_id`: the decisions "
        "that placed that child; `home_id`: those placing a child in that home; `after`: the "
        "`next` of the previous page. Audit-logged with the children named."
    ),
    responses={
        200: {"content": {"application/json": {"example": {"items": [_EXAMPLE], "next": None}}}},
        **problem_responses(401, 403, 422),
    },
)
def get_decisions(
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
    return {"items": items, "next": following}


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
    with Session(engine) as session:
        decision = session.get(Decision, decision_id)
        if decision is None:
            raise Problem(404, f"no decision {decision_id}")
        people = session.execute(
            select(DecisionParticipant)
            .where(col(DecisionParticipant.decision_id) == decision_id)
            .order_by(col(DecisionParticipant.id))
        ).scalars()
        out = decision_json(decision, [{"role": p.role, "name": p.name} for p in people])
    audit_read(
        engine,
        principal,
        "read_decision",
        "decision",
        [p["child_id"] for p in out["placements"]],
        f"decision {decision_id}",
    )
    return out
