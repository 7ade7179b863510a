"""``GET /v1/plans/{id}/equity``: a finished plan's equity audit (see ``docs/equity.md``).

Aggregates by race/ethnicity, sex and age band, computed from the records when asked, small
groups suppressed. Only admins and coordinators (their supervisors) may read it; the read of
the children's records behind it is audit-logged like every other child read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.http.auth import EquityReader
from api.http.contract import ContractRoute
from api.http.dependencies import EngineDep, PolicyDep
from api.http.problems import Problem, problem_responses
from api.http.routers.plans import plan_job_json
from api.services.audit import audit_read

router = APIRouter(prefix="/v1", tags=["matching"], route_class=ContractRoute)

Ratio = tuple[float | None, float | None, float | None]


class EquityMeasures(BaseModel):
    """The five measures of one group (or of everyone) under one placement."""

    placed_pct: float | None = Field(description="placed, % of the group's waiting children")
    own_community_pct: float | None = Field(description="% of the placed, in their community")
    mean_distance_km: float | None = Field(description="mean distance of the placed, km")
    siblings_whole_pct: float | None = Field(
        description="% of the children in a waiting sibling group of 2+ whose group is whole"
    )
    kin_pct: float | None = Field(description="% of the placed, with kin")


class EquityCell(EquityMeasures):
    """A group's measures with their ratio to the reference group."""

    ratio: dict[str, Ratio] = Field(
        description="measure -> [ratio, low, high] against the reference group (95% "
        "interval; the reference itself: [1, null, null]); empty when suppressed"
    )


class EquityRow(EquityCell):
    """One group of one dimension: the plan's figures, and the baseline's beside them."""

    dimension: str = Field(examples=["race"])
    group: str = Field(examples=["black"])
    children: int | None = Field(description="waiting children in the group; null if suppressed")
    suppressed: bool
    suppressed_reason: str | None = Field(
        description="'small count' (1 to the threshold children) or 'complementary'"
    )
    baseline: EquityCell | None


class EquityOverall(EquityMeasures):
    """Everyone waiting, under one placement."""

    method: str | None = Field(examples=["cp-sat"])
    children: int | None
    placed: int | None
    sibling_children: int | None
    suppressed: bool


class EquitySpread(BaseModel):
    """Max minus min of a measure over the shown groups; null with fewer than two."""

    plan: float | None
    baseline: float | None


class EquityAudit(BaseModel):
    """A plan's equity audit (docs/equity.md), plan beside the greedy baseline."""

    as_of: date = Field(description="the planning date: ages and open stays are taken on it")
    dimensions: list[str] = Field(examples=[["race", "sex", "age"]])
    rows: list[EquityRow]
    reference: dict[str, str | None] = Field(
        description="dimension -> reference group (the largest, 'unknown' aside)"
    )
    plan: EquityOverall
    baseline: EquityOverall | None = Field(
        description="null for a plan that carries no baseline assignments"
    )
    spread: dict[str, dict[str, EquitySpread]]
    suppression_threshold: int
    children_without_records: int


@router.get(
    "/plans/{plan_id}/equity",
    response_model=EquityAudit,
    summary="A finished plan's outcomes by race/ethnicity, sex and age band, beside greedy",
    description="Computed from the records, outside the matching engine (which never reads "
    "race); groups of 1 to the policy's suppression threshold (10) children are suppressed.",
    responses=problem_responses(404, 409),
)
def get_plan_equity(
    plan_id: Annotated[
        str, Path(min_length=1, max_length=32, examples=["5f0c6f0e2b9a4c1e9d3f7a8b6c5d4e3f"])
    ],
    request: Request,
    engine: EngineDep,
    policy: PolicyDep,
    principal: EquityReader,
) -> dict[str, Any]:
    from api.services.equity import plan_children, plan_equity, planning_date

    with Session(engine) as session:
        out = plan_job_json(session, plan_id, request.app.state.plan_runner_mode)
        if out["status"] != "done":
            raise Problem(
                409,
                f"plan job {plan_id!r} is {out['status']}: its equity audit exists once the "
                "plan is done",
            )
        result = out["result"] or {}
        audit = plan_equity(
            session,
            result,
            as_of=planning_date(out),
            threshold=policy.suppression_threshold,
        )
    audit_read(engine, principal, "plan_equity", "plan", plan_children(result), f"plan {plan_id}")
    return audit
