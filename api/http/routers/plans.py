"""Placement plans as jobs: ``POST /v1/plans`` starts one, ``GET /v1/plans/{id}`` follows it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api.http.auth import Planner
from api.http.contract import ContractRoute
from api.http.dependencies import EngineDep, PlanQuotaDep, PlanRunnerDep, SettingsDep
from api.http.idempotency import IdempotencyKeyHeader, Store, answer_once, json_body_hash
from api.http.problems import Problem, problem_responses
from api.responses import PlanJob
from api.schemas import PlanRequest
from api.services.audit import audit_read, write_audit
from api.services.idempotency import Answer
from api.services.plan_jobs import create_job, job_json, read_job
from api.services.plan_queue import queue_jobs, run_in_process
from api.services.plan_quota import admitting, time_cap

router = APIRouter(prefix="/v1", tags=["matching"], route_class=ContractRoute)

_DONE_EXAMPLE = {
    "id": "5f0c6f0e2b9a4c1e9d3f7a8b6c5d4e3f",
    "status": "done",
    "params": {"time_limit_s": 10, "seed": 0, "as_of": None, "baseline": None},
    "progress": {"stage": "done", "fraction": 1.0, "message": "validated"},
    "created_at": "2026-11-22T23:00:00+00:00",
    "started_at": "2026-11-22T23:00:00+00:00",
    "finished_at": "2026-11-22T23:00:04+00:00",
    "result": {
        "method": "cp-sat",
        "status": "optimal",
        "objective": 123456,
        "bound": 123470,
        "gap": 0.0001,
        "runtime_s": 3.2,
        "seed": 0,
        "assignments": [{"child_id": "C1", "home_id": "H3", "score": 0.8, "factors": []}],
        "unplaced": [
            {
                "child_id": "C9",
                "reasons": ["no eligible home takes this child, with or without the siblings"],
                "reasons_i18n": [{"key": "unplaced.none", "args": {}}],
            }
        ],
        "summary": {"children": 120, "placed": 110},
    },
}


def plan_job_json(session: Session, plan_id: str, mode: str = "web") -> dict[str, Any]:
    """A plan job as the API answers it; 404 when there is none. ``mode``: who runs plans
    (``"queue"``: a job waiting for a worker keeps waiting)."""
    job = read_job(session, plan_id, queued_expire=mode != "queue")
    if job is None:
        raise Problem(404, f"no plan job {plan_id!r}")
    return job_json(job)


@router.post(
    "/plans",
    status_code=202,
    summary="Start a placement plan for every waiting child (a background job)",
    response_model=PlanJob,
    response_model_exclude_unset=True,
    name="post_plans",
    responses={
        202: {
            "content": {
                "application/json": {
                    "example": {
                        "id": "5f0c6f0e2b9a4c1e9d3f7a8b6c5d4e3f",
                        "status": "queued",
                        "params": {
                            "time_limit_s": 10.0,
                            "seed": 0,
                            "as_of": None,
                            "baseline": None,
                        },
                        "progress": {"stage": "queued", "fraction": 0.0},
                        "created_at": "2026-11-22T23:00:00+00:00",
                        "started_at": None,
                        "finished_at": None,
                    }
                }
            }
        },
        **problem_responses(429),
    },
)
def start_plan(
    body: PlanRequest,
    request: Request,
    principal: Planner,
    engine: EngineDep,
    settings: SettingsDep,
    quota: PlanQuotaDep,
    runner: PlanRunnerDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Limits (429, or 422 over the time cap): :mod:`api.services.plan_quota`.

    Who runs it: a ``fostermatch worker`` taking it from the job queue (PostgreSQL), or this
    web process's runner thread (SQLite, or ``FOSTERMATCH_PLAN_RUNNER=web``).

    With an ``Idempotency-Key``, a retry gets the first job (its id and ``Location``), not a
    second plan; the key's answer is stored in the job's transaction.
    """
    time_cap(principal, body.time_limit_s)
    params = body.model_dump(mode="json")
    mode: str = request.app.state.plan_runner_mode

    def work(store: Store | None) -> Answer:
        with Session(engine) as session, admitting(session, principal, quota, 1):
            job = create_job(session, params, principal)
            write_audit(session, principal, "plan_start", "plan", record_id=job.id)
            job_id = job.id
            answer = Answer(202, job_json(job), {"Location": f"/v1/plans/{job_id}"})
            # with the queue, committed with the row: a worker takes it, never this process
            queue_jobs(session, mode, [job_id])
            if store is not None:
                store(session, answer)
            session.commit()
        if not run_in_process(engine, runner, mode, [job_id]):
            raise Problem(503, "this worker does not run plans; try another worker")
        return answer

    key_hash = json_body_hash(body)
    return answer_once(request, engine, settings, principal, idempotency_key, key_hash, work)


@router.get(
    "/plans/{plan_id}",
    summary="A plan job: status and progress, then the validated plan with explanations",
    response_model=PlanJob,
    response_model_exclude_unset=True,
    responses={
        200: {"content": {"application/json": {"example": _DONE_EXAMPLE}}},
        **problem_responses(404),
    },
)
def get_plan(
    plan_id: Annotated[
        str, Path(min_length=1, max_length=32, examples=["5f0c6f0e2b9a4c1e9d3f7a8b6c5d4e3f"])
    ],
    request: Request,
    engine: EngineDep,
    principal: Planner,
) -> dict[str, Any]:
    with Session(engine) as session:
        out = plan_job_json(session, plan_id, request.app.state.plan_runner_mode)
    if out["status"] == "done":
        result = out["result"] or {}
        children = [a["child_id"] for a in result.get("assignments", [])] + [
            u["child_id"] for u in result.get("unplaced", [])
        ]
        audit_read(engine, principal, "plan_result", "plan", children, f"plan {plan_id}")
    return out
