"""``GET /v1/outcomes``: the outcome measures, as ``fostermatch outcomes --json`` (aggregates)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.cli.outcomes import BREAKDOWNS, BadOption, parse_by
from api.http.auth import OutcomeReader
from api.http.contract import ContractRoute
from api.http.dependencies import EngineDep
from api.responses import OutcomeReport
from api.schemas import DAY_SCHEMA, FIRST_DAY, LAST_DAY, StrictDay
from api.services.errors import invalid

router = APIRouter(prefix="/v1", tags=["outcomes"], route_class=ContractRoute)


def _reference(raw: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw:
        breakdown, sep, group = item.partition("=")
        if not sep or breakdown.strip() not in BREAKDOWNS or not group.strip():
            raise invalid(
                ["query", "reference"],
                f"{item!r} should be BREAKDOWN=GROUP with BREAKDOWN one of "
                f"{', '.join(BREAKDOWNS)}, e.g. race=white",
            )
        out[breakdown.strip()] = group.strip()
    return out


@router.get(
    "/outcomes",
    summary="Outcome measures for a period, overall and by group, with disparities",
    description="The options of `fostermatch outcomes`; counts 1-10 are suppressed by default.",
    response_model=OutcomeReport,
    response_model_exclude_unset=True,
)
def get_outcomes(
    engine: EngineDep,
    principal: OutcomeReader,
    date_from: Annotated[
        date | None,
        StrictDay,
        Query(
            alias="from",
            ge=FIRST_DAY,
            le=LAST_DAY,
            description="first day",
            json_schema_extra=DAY_SCHEMA,
        ),
    ] = None,
    date_to: Annotated[
        date | None,
        StrictDay,
        Query(
            alias="to",
            ge=FIRST_DAY,
            le=LAST_DAY,
            description="last day",
            json_schema_extra=DAY_SCHEMA,
        ),
    ] = None,
    by: Annotated[
        list[str] | None, Query(max_length=10, description="race, sex, age, community or all")
    ] = None,
    reference: Annotated[
        list[str] | None, Query(max_length=4, description="BREAKDOWN=GROUP, e.g. race=white")
    ] = None,
    suppress_below: Annotated[
        int | None, Query(ge=1, le=1000, description="suppress counts 1..N-1 (11)")
    ] = None,
) -> dict[str, Any]:
    from api.services.outcomes import load_outcome_tables
    from outcomes import OutcomeInputError, evaluate, load_settings

    if date_from and date_to and date_to < date_from:
        raise invalid(["query", "to"], f"{date_to} is before from {date_from}")
    try:
        chosen = parse_by(by)
    except BadOption as exc:
        raise invalid(["query", "by"], str(exc).removeprefix("--by: ")) from None
    settings = load_settings(None)
    changes: dict[str, Any] = {}
    if suppress_below is not None:
        changes["suppress_below"] = suppress_below
    refs = _reference(reference or [])
    if refs:
        changes["reference"] = {**settings.reference, **refs}
    if changes:
        settings = settings.with_changes(**changes)
    tables = load_outcome_tables(engine=engine)
    try:
        report = evaluate(tables, start=date_from, end=date_to, by=chosen, settings=settings)
    except (OutcomeInputError, ValueError) as exc:
        raise invalid(["query"], str(exc)) from None
    return report.to_json()
