"""``POST /v1/decisions``: record a team's placement decision (and take the bed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import select
from sqlmodel import Session, col

from api.http.auth import DecisionMaker
from api.http.contract import ContractRoute
from api.http.dependencies import EngineDep, PolicyDep, SnapshotsDep
from api.http.problems import Problem, problem_responses
from api.responses import Decision as DecisionOut
from api.schemas import DecisionIn
from api.services.audit import audit_read
from api.services.decisions import decision_json, ended_by, record_decision
from data.models import Decision, DecisionParticipant

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
        "wrong. Written in one transaction with its audit entry."
    ),
    response_model=DecisionOut,
    response_model_exclude_unset=True,
    responses={
        201: {"content": {"application/json": {"example": _EXAMPLE}}},
        **problem_responses(409),
    },
    name="post_decisions",
)
def post_decisions(
    body: DecisionIn,
    principal: DecisionMaker,
    engine: EngineDep,
    snapshots: SnapshotsDep,
    policy: PolicyDep,
) -> dict[str, Any]:
    return record_decision(engine, snapshots, policy, principal, body)


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
        out["ended"] = ended_by(session, decision)
    audit_read(
        engine,
        principal,
        "read_decision",
        "decision",
        [p["child_id"] for p in out["placements"]],
        f"decision {decision_id}",
    )
    return out
