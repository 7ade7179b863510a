"""The equity audit of a placement plan: its effects by race/ethnicity, sex and age band.

Matching never reads race (MEPA, docs/matching-rules.md): the engine's input has no field for it. A
plan's effects can still differ by race wherever homes and removals are segregated, so each
plan is audited here, outside the engine, from the plan's JSON and the records, beside the
greedy baseline (today's practice) when the plan carries one.

Three steps, each its own function:

- :func:`read_equity_records` reads the waiting children's race, Hispanic origin, sex, birth
  date and sibling group, the removal community of the stay open on the planning date, and the
  communities of the homes named in the plan (bulk selects, no query per child);
- :func:`equity_audit` computes the table from the plan's JSON and those records (no database:
  tests build the records by hand);
- :func:`plan_equity` does both for a session.

The groups are the outcome engine's (:func:`outcomes.race_ethnicity`, :data:`AGE_BANDS` plus
``18-21`` for young adults in extended care, the sexes), and so are the disparity helpers
(:func:`outcomes.ratio_of_proportions`, :func:`outcomes.ratio_of_means`). ``docs/equity.md``
explains the measures for a supervisor.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlmodel import Session, col

from api.services.matching import age_on
from api.services.outcomes import read_children
from core.codes import SEXES
from data.models import Episode, Home
from outcomes import race_ethnicity, ratio_of_means, ratio_of_proportions
from outcomes.tables import AGE_BANDS, RACE_CATEGORIES, age_band

__all__ = [
    "DIMENSIONS",
    "GROUPS",
    "MEASURES",
    "EquityRecords",
    "carried_baseline",
    "equity_audit",
    "plan_children",
    "plan_equity",
    "planning_date",
    "read_equity_records",
]

DIMENSIONS = ("race", "sex", "age")
ADULT_BAND = "18-21"  # waiting young adults in extended care: no outcome band holds them
GROUPS: dict[str, tuple[str, ...]] = {
    "race": RACE_CATEGORIES,
    "sex": SEXES,
    "age": (*AGE_BANDS, ADULT_BAND),
}
MEASURES = (
    "placed_pct",
    "own_community_pct",
    "mean_distance_km",
    "siblings_whole_pct",
    "kin_pct",
)
_DIGITS = {"mean_distance_km": 2}  # percentages keep 1 decimal, distances 2
_RATIO_DIGITS = 3


@dataclass(frozen=True)
class EquityRecords:
    """What the audit reads from the records, for the children and homes of one plan.

    Attributes
    ----------
    children
        Indexed by child id; columns ``race``, ``sex``, ``age`` (group labels of
        :data:`GROUPS`), ``sibling_group_id`` and ``removal_community_id`` (str or None).
    home_communities
        Home id -> the home's community id (or None); used only for assignments that do not
        say ``own_community`` themselves (plans stored before that key).
    """

    children: pd.DataFrame
    home_communities: Mapping[str, str | None]


# -- reading the records ----------------------------------------------------------------------


def plan_children(plan: Mapping[str, Any]) -> list[str]:
    """The waiting children of a plan: every assigned child, then every unplaced one."""
    return [a["child_id"] for a in plan.get("assignments", [])] + [
        u["child_id"] for u in plan.get("unplaced", [])
    ]


def planning_date(job: Mapping[str, Any]) -> date:
    """A plan job's as-of date; else the day its job started (the runner's "today").

    ``job`` is the job as ``GET /v1/plans/{id}`` answers it
    (:func:`api.services.plan_jobs.job_json`).
    """
    params = job.get("params") or {}
    if params.get("as_of"):
        return date.fromisoformat(str(params["as_of"]))
    moment = job.get("started_at") or job["created_at"]
    return datetime.fromisoformat(moment).date()


def carried_baseline(plan: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The baseline assignments a plan carries, or None when it carries no baseline.

    A cp-sat plan carries its baseline's summary (``baseline``) and placements
    (``baseline_assignments``). A greedy plan, or a plan stored before those keys, has no
    baseline summary; its empty ``baseline_assignments`` list means "no baseline", not "a
    baseline that placed nobody".
    """
    rows = plan.get("baseline_assignments")
    if rows is None or (not rows and plan.get("baseline") is None):
        return None
    return list(rows)


def _plan_homes(plan: Mapping[str, Any]) -> set[str]:
    rows = [*plan.get("assignments", []), *(carried_baseline(plan) or [])]
    return {a["home_id"] for a in rows}


def _removal_communities(
    session: Session, child_ids: Sequence[str], as_of: date
) -> dict[str, str | None]:
    """Per child, the removal community of the stay open on ``as_of`` (the latest one)."""
    rows = session.execute(
        select(col(Episode.child_id), col(Episode.removal_community_id), col(Episode.discharged_on))
        .where(col(Episode.child_id).in_(child_ids), col(Episode.removed_on) <= as_of)
        .order_by(col(Episode.child_id), col(Episode.removed_on))
    ).all()
    out: dict[str, str | None] = {}
    for child_id, community, discharged in rows:
        # a stay discharged since the plan was made still was the open one on its date
        if discharged is None or discharged > as_of:
            out[child_id] = community
    return out


def read_equity_records(
    session: Session, child_ids: Sequence[str], home_ids: Collection[str], as_of: date
) -> EquityRecords:
    """The records the audit needs for these children and homes, as of the planning date.

    Race and Hispanic origin are read here for disparity monitoring only; they never reach
    the matching engine. A child id without a record is left out (the audit counts them).
    """
    frame = read_children(session, child_ids)
    ages = [age_on(b, as_of) for b in frame["birth_date"]]
    bands = (*AGE_BANDS, ADULT_BAND)
    removal = _removal_communities(session, list(frame["child_id"]), as_of)
    children = pd.DataFrame(
        {
            "race": [RACE_CATEGORIES[c] for c in race_ethnicity(frame)],
            "sex": [s if s in SEXES else "unknown" for s in frame["sex"]],
            "age": [bands[min(b, len(bands) - 1)] for b in age_band(ages)],
            "sibling_group_id": frame["sibling_group_id"].astype(object).tolist(),
            "removal_community_id": [removal.get(c) for c in frame["child_id"]],
        },
        index=pd.Index(frame["child_id"].astype(object), name="child_id"),
    )
    homes = dict(
        session.execute(
            select(col(Home.id), col(Home.community_id)).where(col(Home.id).in_(sorted(home_ids)))
        ).all()
    )
    return EquityRecords(children=children, home_communities=homes)


# -- the audit --------------------------------------------------------------------------------


def _outcomes(
    assignments: Sequence[Mapping[str, Any]], records: EquityRecords, waiting: pd.Index
) -> pd.DataFrame:
    """Per waiting child: placed, home, own community, distance, kin, sibling group whole."""
    out = pd.DataFrame(
        {
            "placed": False,
            "home_id": pd.Series([None] * len(waiting), index=waiting, dtype=object),
            "own": False,
            "km": np.nan,
            "kin": False,
        },
        index=waiting,
    )
    removal = records.children["removal_community_id"]
    for a in assignments:
        child_id = a["child_id"]
        if child_id not in out.index:
            continue
        own = a.get("own_community")
        if own is None:  # a plan stored before assignments said it: the engine's definition
            home_community = records.home_communities.get(a["home_id"])
            own = home_community is not None and home_community == removal.get(child_id)
        out.loc[child_id, ["placed", "home_id", "own", "km", "kin"]] = [
            True,
            a["home_id"],
            bool(own),
            float(a["distance_km"]),
            bool(a.get("kin", False)),
        ]
    group = records.children["sibling_group_id"].reindex(waiting)
    size = group.map(group.value_counts())
    out["in_group"] = group.notna() & (size >= 2)
    # a group is whole when every waiting member is placed, all in the same home
    by_group = out[out["in_group"]].groupby(group[out["in_group"]])
    whole = by_group["placed"].all() & (by_group["home_id"].nunique() == 1)
    out["whole"] = out["in_group"] & group.isin(whole.index[whole.to_numpy(bool)])
    return out.astype({"placed": bool, "own": bool, "kin": bool, "km": float})


def _stats(outcomes: pd.DataFrame, labels: pd.Series, order: Sequence[str]) -> pd.DataFrame:
    """The counts behind every measure, one row per group present, in ``order``."""
    placed = outcomes["placed"]
    frame = outcomes.assign(
        own=outcomes["own"] & placed, kin=outcomes["kin"] & placed, km=outcomes["km"].where(placed)
    )
    grouped = frame.groupby(labels)
    stats = pd.DataFrame(
        {
            "children": grouped.size(),
            "placed": grouped["placed"].sum(),
            "own": grouped["own"].sum(),
            "kin": grouped["kin"].sum(),
            "km_mean": grouped["km"].mean(),
            "km_sd": grouped["km"].std(ddof=1),
            "km_n": grouped["km"].count(),
            "sib": grouped["in_group"].sum(),
            "whole": grouped["whole"].sum(),
        }
    )
    return stats.reindex([g for g in order if g in stats.index]).astype(float)


def _pct(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (100.0 * numerator / denominator).where(denominator > 0)


def _figures(stats: pd.DataFrame) -> pd.DataFrame:
    """The five measures of each row of ``stats``."""
    return pd.DataFrame(
        {
            "placed_pct": _pct(stats["placed"], stats["children"]),
            "own_community_pct": _pct(stats["own"], stats["placed"]),
            "mean_distance_km": stats["km_mean"],
            "siblings_whole_pct": _pct(stats["whole"], stats["sib"]),
            "kin_pct": _pct(stats["kin"], stats["placed"]),
        },
        index=stats.index,
    )


def _ratios(stats: pd.DataFrame, reference: str) -> dict[str, tuple[Any, Any, Any]]:
    """Each measure's ratio to the reference group, with its 95% interval (arrays)."""
    r = stats.loc[reference]
    return {
        "placed_pct": ratio_of_proportions(
            stats["placed"], stats["children"], r["placed"], r["children"]
        ),
        "own_community_pct": ratio_of_proportions(
            stats["own"], stats["placed"], r["own"], r["placed"]
        ),
        "mean_distance_km": ratio_of_means(
            stats["km_mean"], stats["km_sd"], stats["km_n"], r["km_mean"], r["km_sd"], r["km_n"]
        ),
        "siblings_whole_pct": ratio_of_proportions(
            stats["whole"], stats["sib"], r["whole"], r["sib"]
        ),
        "kin_pct": ratio_of_proportions(stats["kin"], stats["placed"], r["kin"], r["placed"]),
    }


def _reference(stats: pd.DataFrame) -> str | None:
    """The largest group, "unknown" aside; a tie goes to the first group in label order."""
    known = stats[stats.index != "unknown"]
    if known.empty:
        return None
    return str(known["children"].idxmax())


def _suppressed(children: pd.Series, threshold: int) -> dict[str, str | None]:
    """Groups of 1 to ``threshold`` children, and their complement when only one is.

    With one small group hidden, the overall figures minus the others would give it away;
    so the next smallest group is hidden too (as the outcome report does).
    """
    small = (children >= 1) & (children <= threshold)
    reason: dict[str, str | None] = {str(g): "small count" if s else None for g, s in small.items()}
    if int(small.sum()) == 1 and len(children) > 1:
        victim = children[~small].sort_values(kind="stable").index[0]
        reason[str(victim)] = "complementary"
    return reason


def _number(value: Any, digits: int) -> float | None:
    value = float(value)
    return round(value, digits) if np.isfinite(value) else None


def _measures(
    figures: pd.Series, ratios: dict[str, tuple[Any, Any, Any]] | None, at: int, own_row: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {m: _number(figures[m], _DIGITS.get(m, 1)) for m in MEASURES}
    ratio: dict[str, list[float | None]] = {}
    if ratios is not None:
        for m, (value, low, high) in ratios.items():
            if own_row:  # the reference against itself: 1 by definition, no interval
                value_ = 1.0 if np.isfinite(value[at]) else None
                ratio[m] = [value_, None, None]
            else:
                ratio[m] = [_number(v[at], _RATIO_DIGITS) for v in (value, low, high)]
    out["ratio"] = ratio
    return out


def _empty_measures() -> dict[str, Any]:
    return {**dict.fromkeys(MEASURES), "ratio": {}}


def _overall(stats: pd.DataFrame, threshold: int) -> dict[str, Any]:
    row = stats.iloc[0] if len(stats) else pd.Series(0.0, index=stats.columns)
    children = int(row["children"])
    suppressed = 1 <= children <= threshold
    figures = _figures(stats).iloc[0] if len(stats) else pd.Series(np.nan, index=list(MEASURES))
    out: dict[str, Any] = {
        "children": None if suppressed else children,
        "placed": None if suppressed else int(row["placed"]),
        "sibling_children": None if suppressed else int(row["sib"]),
        "suppressed": suppressed,
    }
    for m in MEASURES:
        out[m] = None if suppressed else _number(figures[m], _DIGITS.get(m, 1))
    return out


def _spread(cells: Sequence[Mapping[str, Any] | None], measure: str) -> float | None:
    """Max minus min of a measure over the shown (unsuppressed) cells that have it."""
    values: list[float] = [c[measure] for c in cells if c is not None and c[measure] is not None]
    if len(values) < 2:
        return None
    return round(max(values) - min(values), _DIGITS.get(measure, 1))


def equity_audit(
    plan: Mapping[str, Any],
    records: EquityRecords,
    *,
    threshold: int,
    baseline_assignments: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The equity table of a plan, beside its baseline, small groups suppressed.

    Parameters
    ----------
    plan
        The plan's JSON (``PlanResult.to_json()``, or a plan job's ``result``).
    records
        From :func:`read_equity_records` (or built by hand).
    threshold
        Groups of 1 to ``threshold`` children are suppressed (the policy's
        ``privacy.suppression_threshold``).
    baseline_assignments
        The baseline's assignments, when the caller has them apart from the plan; default:
        the plan's own ``baseline_assignments``. Without either, ``baseline`` is null.

    Returns
    -------
    dict
        ``{dimensions, rows, reference, plan, baseline, spread, suppression_threshold,
        children_without_records}`` (see ``docs/equity.md``).
    """
    if baseline_assignments is None:
        baseline_assignments = carried_baseline(plan)
    ids = plan_children(plan)
    waiting = pd.Index([c for c in dict.fromkeys(ids) if c in records.children.index], dtype=object)
    children = records.children.reindex(waiting)
    placements = {"plan": _outcomes(plan.get("assignments", []), records, waiting)}
    if baseline_assignments is not None:
        placements["baseline"] = _outcomes(baseline_assignments, records, waiting)

    everyone = pd.Series("all", index=waiting)
    overall = {k: _overall(_stats(v, everyone, ["all"]), threshold) for k, v in placements.items()}
    rows: list[dict[str, Any]] = []
    references: dict[str, str | None] = {}
    spread: dict[str, dict[str, dict[str, float | None]]] = {}
    for dimension in DIMENSIONS:
        stats = {
            k: _stats(v, children[dimension], GROUPS[dimension]) for k, v in placements.items()
        }
        counts = stats["plan"]["children"]
        hidden = _suppressed(counts, threshold)
        reference = _reference(stats["plan"])
        references[dimension] = reference
        usable = reference is not None and hidden[reference] is None
        figures = {k: _figures(st) for k, st in stats.items()}
        ratios = {
            k: _ratios(st, reference) if usable and reference else None for k, st in stats.items()
        }
        shown: dict[str, list[dict[str, Any] | None]] = {k: [] for k in placements}
        for at, group in enumerate(counts.index):
            row: dict[str, Any] = {"dimension": dimension, "group": group}
            suppressed = hidden[group] is not None
            row["children"] = None if suppressed else int(counts[group])
            for kind in stats:
                if suppressed:
                    cell = _empty_measures()
                else:
                    own_row = group == reference
                    cell = _measures(figures[kind].loc[group], ratios[kind], at, own_row)
                shown[kind].append(None if suppressed else cell)
                if kind == "plan":
                    row.update(cell)
                else:
                    row["baseline"] = cell
            row.setdefault("baseline", None)
            row["suppressed"] = suppressed
            row["suppressed_reason"] = hidden[group]
            rows.append(row)
        spread[dimension] = {
            m: {
                "plan": _spread(shown["plan"], m),
                "baseline": _spread(shown["baseline"], m) if "baseline" in shown else None,
            }
            for m in MEASURES
        }
    return {
        "dimensions": list(DIMENSIONS),
        "rows": rows,
        "reference": references,
        "plan": {"method": plan.get("method"), **overall["plan"]},
        "baseline": {"method": "greedy", **overall["baseline"]} if "baseline" in overall else None,
        "spread": spread,
        "suppression_threshold": threshold,
        "children_without_records": len(dict.fromkeys(ids)) - len(waiting),
    }


def plan_equity(
    session: Session,
    plan: Mapping[str, Any],
    *,
    as_of: date,
    threshold: int,
    baseline_assignments: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Read the records a plan needs and audit it (see :func:`equity_audit`).

    ``as_of`` is the planning date: ages and the open stay are taken on it.
    """
    homes = _plan_homes(plan) | {a["home_id"] for a in baseline_assignments or []}
    records = read_equity_records(session, plan_children(plan), homes, as_of)
    audit = equity_audit(
        plan, records, threshold=threshold, baseline_assignments=baseline_assignments
    )
    return {"as_of": as_of.isoformat(), **audit}
