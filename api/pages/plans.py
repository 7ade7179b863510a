"""The plan pages: start a plan and its greedy baseline, follow them, compare, explain a child."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.http.dependencies import (
    EngineDep,
    PlanQuotaDep,
    PlanRunnerDep,
    get_engine,
    get_policy,
)
from api.http.problems import status_of
from api.pages.i18n import translate
from api.pages.render import (
    gate,
    page_lang,
    posted_form,
    render,
    router,
)
from api.services.audit import audit_read, write_audit
from api.services.errors import ServiceError
from api.services.keys import Principal

# -- plans: start, follow, compare with the greedy baseline, explain -------------------------

PLAN_LIMITS_S = (5, 10, 30)


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request) -> Response:
    who = gate(request, "plans")
    if isinstance(who, Response):
        return who
    return render(request, "plans.html", who, limits=PLAN_LIMITS_S)


@router.post("/plans")
async def start_plans(
    request: Request, engine: EngineDep, quota: PlanQuotaDep, runner: PlanRunnerDep
) -> Response:
    """Start the plan and, beside it, the greedy baseline (two jobs, run one after the other)."""
    from api.schemas import PlanRequest
    from api.services.plan_jobs import create_job
    from api.services.plan_queue import queue_jobs, run_in_process
    from api.services.plan_quota import admitting, time_cap

    who = gate(request, "plans")
    if isinstance(who, Response):
        return who
    mode: str = request.app.state.plan_runner_mode
    form = await posted_form(request, who)
    if isinstance(form, Response):
        return form
    limit = str(form.get("time_limit_s") or "10")
    seed = str(form.get("seed") or "0")
    try:
        asked = PlanRequest.model_validate(
            {
                "time_limit_s": float(limit) if limit.isdigit() else 10.0,
                "seed": int(seed) if seed.isdigit() else 0,
            }
        )
    except ValidationError as exc:
        return render(request, "problem.html", who, 422, detail=str(exc.errors()[0]["msg"]))
    try:  # the API's limits (api.services.plan_quota), for the plan and its baseline together
        time_cap(who, asked.time_limit_s)
        with Session(engine) as session, admitting(session, who, quota, 2):
            jobs = [
                create_job(session, {**asked.model_dump(mode="json"), "baseline": b}, who)
                for b in (None, "greedy")
            ]
            for job in jobs:
                write_audit(session, who, "plan_start", "plan", record_id=job.id)
            ids = [job.id for job in jobs]
            queue_jobs(session, mode, ids)
            session.commit()
    except ServiceError as exc:
        status = status_of(exc)
        detail = translate(f"plans.limit.{status}", page_lang(request), detail=exc.detail)
        response = render(request, "problem.html", who, status, detail=detail)
        if exc.retry_after_s:
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    run_in_process(engine, runner, mode, ids)  # a job this process cannot run says so
    return RedirectResponse(f"/pages/plans/{ids[0]}?{urlencode({'greedy': ids[1]})}", 303)


def _job(request: Request, job_id: str) -> dict[str, Any] | None:
    from api.services.plan_jobs import job_json, read_job

    with Session(get_engine(request)) as session:
        queued_expire = request.app.state.plan_runner_mode != "queue"
        job = read_job(session, job_id[:32], queued_expire=queued_expire)
        return job_json(job) if job is not None else None


def _plan_children(job: dict[str, Any]) -> list[str]:
    result = job.get("result") or {}
    return [a["child_id"] for a in result.get("assignments", [])] + [
        u["child_id"] for u in result.get("unplaced", [])
    ]


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, engine: EngineDep, plan_id: str, greedy: str = "") -> Response:
    who = gate(request, "plans")
    if isinstance(who, Response):
        return who
    plan = _job(request, plan_id)
    baseline = _job(request, greedy) if greedy else None
    if plan is None:
        return render(request, "notfound.html", who, 404)
    jobs = [j for j in (plan, baseline) if j is not None]
    finished = all(j["status"] in ("done", "failed") for j in jobs)
    for job in jobs:
        if job["status"] == "done":
            audit_read(
                engine,
                who,
                "plan_result",
                "plan",
                _plan_children(job),
                f"plan {job['id']}",
            )
    rows: list[dict[str, Any]] = []
    if finished and plan["status"] == "done":
        mine = {a["child_id"]: a for a in plan["result"]["assignments"]}
        theirs: dict[str, Any] = {}
        if baseline is not None and baseline["status"] == "done":
            theirs = {a["child_id"]: a for a in baseline["result"]["assignments"]}
        else:  # the lawful baseline the plan carries (plans stored before it: none)
            theirs = {a["child_id"]: a for a in plan["result"].get("baseline_assignments") or []}
        for child_id in sorted(set(_plan_children(plan)) | set(theirs)):
            rows.append(
                {"child_id": child_id, "plan": mine.get(child_id), "greedy": theirs.get(child_id)}
            )
    equity: dict[str, Any] | None = None
    measures: tuple[str, ...] = ()
    if finished and plan["status"] == "done" and who.may("equity"):
        from api.services.equity import MEASURES  # pandas loads only for this section

        equity, measures = _plan_equity(request, who, plan, baseline), MEASURES
    return render(
        request,
        "plan.html",
        who,
        plan=plan,
        baseline=baseline,
        finished=finished,
        rows=rows,
        greedy_id=greedy[:32],
        figures=PLAN_FIGURES,
        base_summary=_baseline_summary(plan, baseline),
        equity=equity,
        equity_measures=measures,
    )


# the headline measures of a plan, in the order the plan page shows them
PLAN_FIGURES = (
    "children",
    "placed",
    "sibling_groups",
    "sibling_groups_whole",
    "own_community",
    "kin",
    "long_waiting",
    "mean_distance_km",
    "non_kin_mean_distance_km",
)


def _baseline_summary(plan: dict[str, Any], baseline: dict[str, Any] | None) -> Any:
    """The baseline's figures: a greedy job's, else the lawful baseline the plan carries."""
    if baseline is not None and baseline["status"] == "done":
        return baseline["result"]["summary"]
    if plan["status"] == "done":
        return plan["result"].get("baseline")
    return None


def _plan_equity(
    request: Request, who: Principal, plan: dict[str, Any], greedy: dict[str, Any] | None
) -> dict[str, Any]:
    """The plan's equity audit beside the baseline the page compares it with: the greedy job
    started with it, else the lawful baseline the plan carries (as :func:`_baseline_summary`;
    both were computed already, nothing is solved again here)."""
    from api.services.equity import carried_baseline, plan_equity, planning_date

    result = plan["result"]
    baseline = carried_baseline(result)
    if greedy is not None and greedy["status"] == "done":
        baseline = greedy["result"]["assignments"]
    engine = get_engine(request)
    with Session(engine) as session:
        audit = plan_equity(
            session,
            result,
            as_of=planning_date(plan),
            threshold=get_policy(request).suppression_threshold,
            baseline_assignments=baseline,
        )
    audit_read(engine, who, "plan_equity", "plan", _plan_children(plan), f"plan {plan['id']}")
    return audit


@router.get("/plans/{plan_id}/children/{child_id}", response_class=HTMLResponse)
def plan_explanation(
    request: Request, engine: EngineDep, plan_id: str, child_id: str, greedy: str = ""
) -> Response:
    who = gate(request, "plans")
    if isinstance(who, Response):
        return who
    shown = []
    for job in (_job(request, plan_id), _job(request, greedy) if greedy else None):
        if job is None or job["status"] != "done":
            continue
        result = job["result"]
        placed = next((a for a in result["assignments"] if a["child_id"] == child_id), None)
        unplaced = next((u for u in result["unplaced"] if u["child_id"] == child_id), None)
        if placed is not None or unplaced is not None:
            shown.append({"method": result["method"], "placed": placed, "unplaced": unplaced})
    if not shown:
        return render(request, "notfound.html", who, 404)
    audit_read(engine, who, "plan_result", "plan", [child_id], f"plan {plan_id[:32]}")
    return render(
        request,
        "explain.html",
        who,
        child_id=child_id,
        shown=shown,
        back=f"/pages/plans/{plan_id[:32]}?{urlencode({'greedy': greedy[:32]})}",
    )
