"""The outcome pages: the measures of a period, their yearly trends, the disparity indices by
race/ethnicity, sex and age band, and the latest plan's equity audit; each chart beside a
table of the same figures.

Aggregates only: no child is ever named. The figures are :class:`outcomes.OutcomeReport`'s
(as ``fostermatch outcomes --json``), kept per period until the records change
(:class:`api.services.outcomes.OutcomeReportCache`). A suppressed cell (a count of 1 to 10,
and what is computed from it) is never drawn: the table says "suppressed" and the caption
names what the chart leaves out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlmodel import Session, col

from api.http.dependencies import EngineDep, get_policy
from api.pages.i18n import TEXT, format_number, translate
from api.pages.render import gate, page_lang, render, router
from api.schemas import FIRST_DAY, LAST_DAY
from api.services.audit import audit_read
from api.services.outcomes import OutcomeReportCache

__all__ = ["DISPARITY_MEASURES", "TREND_CHARTS", "latest_plan"]

# the yearly trends drawn, one chart per unit: (chart, measures)
TREND_CHARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "percent",
        (
            "own_community_first",
            "congregate_children",
            "permanency_12m",
            "reentry_12m",
            "siblings_all",
        ),
    ),
    ("days", ("stay_median_days", "stay_restricted_mean_days")),
)
# the measures that have a disparity index (medians have none), the first is the default
DISPARITY_MEASURES = (
    "own_community_first",
    "own_community_current",
    "congregate_children",
    "congregate_first",
    "congregate_point",
    "permanency_12m",
    "reunification_12m",
    "reentry_12m",
    "moves_per_1000_days",
    "siblings_all",
    "siblings_some",
    "stay_median_days",
    "entries_per_1000",
    "congregate_days",
    "stay_restricted_mean_days",
)
BREAKDOWNS = ("race", "sex", "age")
_DIGITS = {"%": 1, "days": 0, "km": 1}  # other units: 2


@dataclass
class Query:
    """The page's query, read without a silent default: every bad value is a message."""

    start: date | None = None
    end: date | None = None
    year: int | None = None
    measure: str = DISPARITY_MEASURES[0]
    raw: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _day(raw: str, name: str, lang: str, errors: list[str]) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(translate("outcomes.bad.date", lang, field=name, value=raw))
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors.append(
            translate(
                "outcomes.bad.range", lang, field=name, value=raw,
                first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat(),
            )
        )  # fmt: skip
        return None
    return day


def read_query(params: Mapping[str, str], lang: str, measures: Sequence[str]) -> Query:
    """The period (``from``/``to``, or a calendar ``year``) and the disparity ``measure``."""
    raw = {k: params.get(k, "").strip()[:40] for k in ("from", "to", "year", "measure")}
    query = Query(raw=raw)
    query.start = _day(raw["from"], "from", lang, query.errors)
    query.end = _day(raw["to"], "to", lang, query.errors)
    if raw["year"]:
        if not (raw["year"].isascii() and raw["year"].isdigit()) or not (
            FIRST_DAY.year <= int(raw["year"]) <= LAST_DAY.year
        ):
            query.errors.append(translate("outcomes.bad.year", lang, value=raw["year"]))
        elif raw["from"] or raw["to"]:
            query.errors.append(translate("outcomes.bad.both", lang))
        else:
            query.year = int(raw["year"])
            query.start, query.end = date(query.year, 1, 1), date(query.year, 12, 31)
    if query.start and query.end and query.end < query.start:
        query.errors.append(
            translate("outcomes.bad.period", lang, start=raw["from"], end=raw["to"])
        )
    if raw["measure"]:
        if raw["measure"] in measures:
            query.measure = raw["measure"]
        else:
            query.errors.append(
                translate(
                    "outcomes.bad.measure", lang, value=raw["measure"], choices=", ".join(measures)
                )
            )
    return query


# -- what the templates show -----------------------------------------------------------------


def _group_name(group: str, lang: str) -> str:
    key = f"equity.group.{group}"
    return translate(key, lang) if key in TEXT else group


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


def _figure(unit: str, cell: Mapping[str, Any], lang: str, k: int) -> str:
    """A cell as the tables show it: the value, "suppressed (<11)", or a dash."""
    if cell.get("suppressed"):
        return translate("outcomes.suppressed", lang, k=k)
    value = _finite(cell.get("value"))
    return format_number(value, lang, _DIGITS.get(unit, 2))


def _measure_name(key: str, lang: str) -> str:
    return translate(f"outcomes.m.{key}", lang)


def _overall(report: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    k = report["suppress_below"]
    rows = []
    for m in report["measures"]:
        cell = report["overall"][m["key"]]
        rows.append(
            {
                "key": m["key"],
                "name": _measure_name(m["key"], lang),
                "unit": translate(f"outcomes.unit.{m['unit']}", lang),
                "value": _figure(m["unit"], cell, lang, k),
                "numerator": cell["numerator"],
                "denominator": cell["denominator"],
                "suppressed": cell["suppressed"],
                "unreliable": cell["unreliable"] and not cell["suppressed"],
                "direction": report["trends"]["direction"].get(m["key"]),
            }
        )
    return rows


def _trend_chart(
    report: dict[str, Any], chart: str, keys: Sequence[str], lang: str
) -> dict[str, Any]:
    from api.pages.charts import Series, line_chart

    def t(key: str, **fields: object) -> str:
        return translate(key, lang, **fields)

    k = report["suppress_below"]
    units = {m["key"]: m["unit"] for m in report["measures"]}
    years: list[int] = report["trends"]["years"]
    series, rows, left_out = [], [], []
    for key in keys:
        cells = {c["year"]: c for c in report["trends"]["measures"][key]}
        values: list[float | None] = []
        shown = []
        for year in years:
            cell = cells.get(year, {"value": None, "suppressed": False})
            value = None if cell["suppressed"] else _finite(cell["value"])
            values.append(value)
            shown.append(_figure(units[key], cell, lang, k))
            if cell["suppressed"]:
                left_out.append(f"{_measure_name(key, lang)} {year}")
        series.append(Series(key, _measure_name(key, lang), tuple(values)))
        rows.append({"name": _measure_name(key, lang), "cells": shown})
    title = t(f"outcomes.trend.{chart}")
    svg = line_chart(
        f"trend-{chart}",
        title,
        t("outcomes.axis.year"),
        t(f"outcomes.axis.{chart}"),
        tuple(years),
        tuple(series),
    )
    return {
        "id": f"trend-{chart}",
        "title": title,
        "svg": Markup(svg),
        "years": years,
        "rows": rows,
        "left_out": left_out,
    }


def _disparity(report: dict[str, Any], measure: str, lang: str) -> dict[str, Any]:
    """The dot-and-whisker chart of one measure's disparity indices and its table."""
    from api.pages.charts import Interval, Panel, interval_chart

    def t(key: str, **fields: object) -> str:
        return translate(key, lang, **fields)

    k = report["suppress_below"]
    unit = next(m["unit"] for m in report["measures"] if m["key"] == measure)
    panels, tables, left_out, references = [], [], [], []
    for breakdown in BREAKDOWNS:
        part = report["breakdowns"][breakdown]
        reference = part["reference"]
        if reference:
            references.append(f"{t(f'equity.dim.{breakdown}')}: {_group_name(reference, lang)}")
        drawn, rows = [], []
        for group in part["groups"]:
            cell = group["measures"][measure]
            name = _group_name(group["group"], lang)
            if not cell["suppressed"] and not (cell["children"] or 0) > 0:
                continue  # nobody in the group: it says nothing
            di = cell.get("disparity") or {}
            index, low, high = (_finite(di.get(x)) for x in ("index", "low", "high"))
            is_reference = group["group"] == reference
            if cell["suppressed"]:
                left_out.append(f"{name} ({t('outcomes.leftout.suppressed')})")
            elif index is None and not is_reference:
                left_out.append(f"{name} ({t('outcomes.leftout.noindex')})")
            elif not is_reference and index is not None:
                drawn.append(Interval(group["group"], name, index, low, high))
            rows.append(
                {
                    "name": name,
                    "reference": is_reference,
                    "value": _figure(unit, cell, lang, k),
                    "children": cell["children"],
                    "index": format_number(index, lang, 2) if index is not None else "—",
                    "interval": (
                        f"{format_number(low, lang, 2)} – {format_number(high, lang, 2)}"
                        if low is not None and high is not None
                        else "—"
                    ),
                    "suppressed": cell["suppressed"],
                }
            )
        panels.append(Panel(breakdown, t(f"equity.dim.{breakdown}"), tuple(drawn)))
        tables.append({"breakdown": breakdown, "title": t(f"equity.dim.{breakdown}"), "rows": rows})
    title = t("outcomes.disparity.chart", measure=_measure_name(measure, lang))
    reference_text = t("outcomes.disparity.references", groups="; ".join(references) or "—")
    svg = interval_chart(
        "disparity", title, t("outcomes.axis.index"), reference_text, tuple(panels)
    )
    return {
        "title": title,
        "svg": Markup(svg),
        "tables": tables,
        "left_out": left_out,
        "references": reference_text,
    }


def _reports(request: Request) -> OutcomeReportCache:
    cache: OutcomeReportCache = request.app.state.outcome_reports
    return cache


@router.get("/outcomes", response_class=HTMLResponse)
def outcomes_page(request: Request) -> Response:
    """The measures of a period, their trends and their disparities by group."""
    from outcomes import OutcomeInputError

    who = gate(request, "outcomes")
    if isinstance(who, Response):
        return who
    lang = page_lang(request)
    query = read_query(request.query_params, lang, DISPARITY_MEASURES)
    choices = [(m, _measure_name(m, lang)) for m in DISPARITY_MEASURES]
    if query.errors:
        return render(request, "outcomes.html", who, 422, query=query, measures=choices)
    try:
        report = _reports(request).report(query.start, query.end).to_json()
    except (OutcomeInputError, ValueError) as exc:
        # the records cannot give this period (e.g. nothing recorded yet): say why
        query.errors.append(translate("outcomes.bad.records", lang, detail=str(exc)))
        return render(request, "outcomes.html", who, 422, query=query, measures=choices)
    trend_years = report["trends"]["years"]
    return render(
        request,
        "outcomes.html",
        who,
        query=query,
        measures=choices,
        report=report,
        period=report["period"],
        overall=_overall(report, lang),
        trends=[_trend_chart(report, c, keys, lang) for c, keys in TREND_CHARTS]
        if trend_years
        else [],
        disparity=_disparity(report, query.measure, lang),
        years=trend_years,
    )


# -- the latest plan's equity audit ----------------------------------------------------------


def latest_plan(session: Session) -> dict[str, Any] | None:
    """The most recently finished plan job that is a plan (not a greedy baseline), as
    ``GET /v1/plans/{id}`` answers it; None before any."""
    from api.services.plan_jobs import job_json
    from data.models import PlanJob

    # ids and parameters only (small), newest first; the one job wanted is then read whole
    rows = session.execute(
        select(col(PlanJob.id), col(PlanJob.params))
        .where(col(PlanJob.status) == "done")
        .order_by(col(PlanJob.finished_at).desc().nulls_last(), col(PlanJob.created_at).desc())
    ).all()
    chosen = next((job_id for job_id, params in rows if not (params or {}).get("baseline")), None)
    job = session.get(PlanJob, chosen) if chosen is not None else None
    return job_json(job) if job is not None else None


def _equity_chart(
    audit: dict[str, Any], measure: str, lang: str, t: Callable[..., str]
) -> dict[str, Any]:
    from api.pages.charts import Pair, PairPanel, paired_dot_chart

    panels, left_out = [], []
    for dimension in audit["dimensions"]:
        pairs = []
        for row in audit["rows"]:
            if row["dimension"] != dimension:
                continue
            name = _group_name(row["group"], lang)
            if row["suppressed"]:
                left_out.append(f"{name} ({t('outcomes.leftout.suppressed')})")
                continue
            baseline = row["baseline"] or {}
            pairs.append(Pair(row["group"], name, row[measure], baseline.get(measure)))
        panels.append(PairPanel(dimension, t(f"equity.dim.{dimension}"), tuple(pairs)))
    title = t("outcomes.equity.chart", measure=t(f"equity.m.{measure}"))
    names = (t("equity.plan"), t("equity.baseline") if audit["baseline"] else None)
    svg = paired_dot_chart("equity", title, t(f"equity.m.{measure}"), names, tuple(panels))
    return {"title": title, "svg": Markup(svg), "left_out": left_out}


@router.get("/outcomes/equity", response_class=HTMLResponse)
def outcomes_equity_page(request: Request, engine: EngineDep) -> Response:
    """The latest finished plan's equity audit beside today's practice, with a chart."""
    from api.services.equity import MEASURES, plan_children, plan_equity, planning_date

    who = gate(request, "equity")
    if isinstance(who, Response):
        return who
    lang = page_lang(request)
    query = read_query(request.query_params, lang, MEASURES)
    for unused in ("from", "to", "year"):
        if query.raw[unused]:  # a period means nothing here: the plan has its own date
            query.errors.append(translate("outcomes.bad.unused", lang, field=unused))
    measure = query.measure if query.raw["measure"] else MEASURES[0]
    choices = [(m, translate(f"equity.m.{m}", lang)) for m in MEASURES]
    context: dict[str, Any] = {"query": query, "measures": choices, "measure": measure}
    if query.errors:
        return render(request, "outcomes_equity.html", who, 422, **context)
    with Session(engine) as session:
        plan = latest_plan(session)
        audit = None
        if plan is not None:
            audit = plan_equity(
                session,
                plan["result"] or {},
                as_of=planning_date(plan),
                threshold=get_policy(request).suppression_threshold,
            )
    if plan is None or audit is None:
        return render(request, "outcomes_equity.html", who, plan=None, **context)
    children = plan_children(plan["result"] or {})
    audit_read(engine, who, "plan_equity", "plan", children, f"plan {plan['id']}")

    def t(key: str, **fields: object) -> str:
        return translate(key, lang, **fields)

    return render(
        request,
        "outcomes_equity.html",
        who,
        plan=plan,
        equity=audit,
        equity_measures=MEASURES,
        chart=_equity_chart(audit, measure, lang, t),
        **context,
    )
