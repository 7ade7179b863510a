"""``POST /v1/decisions``: record a team's placement decision (and take the bed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.http.auth import DecisionMaker
from api.http.dependencies import EngineDep, PolicyDep, SnapshotsDep
from api.http.problems import problem_responses
from api.schemas import DecisionIn
from api.services.decisions import read_decision, record_decision

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
