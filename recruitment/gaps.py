"""Capacity gaps per community and segment, recruitment targets and outreach partners.

For each community ``c`` and segment ``s`` (docs/recruitment.md):

1. **Census needing a non-kin family home**: ``L = census x family_share x (1 - kin_share)``,
   the census at the horizon's end projected by :mod:`recruitment.demand` (by default stock and
   flow: today's children still in care then plus the entries to come still in care then;
   or Little's law, entries/year x mean stay), then placed: ``own_community_target`` of it in
   ``c`` itself and the rest shared equally among ``c``'s neighbours (where they exist).
2. **Homes needed**: sibling groups of size ``k`` need one home per ``k`` children; the census
   is sized to the ``service_level`` percentile of Poisson(``L``); children waiting today whom
   no home qualifies for (from matching) are added; then ``x choice_factor / usable_share``.
   Capacity tiers (homes with at least 2, 3, 4 beds) count the groups that need them.
3. **Supply**: open non-kin homes that can take the segment, minus their expected closures
   over the horizon, plus the applicants in progress times their chance of a licence.
4. **Gap** = homes needed - supply, with an interval (``interval`` central probability) from
   the census's Poisson and rate uncertainty and the closures' and pipeline's variance;
   **target** = the gap rounded up (0 when there is none); **inquiries** = target / the chance
   of an inquiry ending in a licence.

Every published figure goes through small-cell suppression (:func:`suppress`).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from core.csv_cells import CsvWriter
from recruitment.demand import Demand, _cells_of, project_demand
from recruitment.outreach import Outreach
from recruitment.policy import RecruitmentPolicy, load_recruitment_policy
from recruitment.segments import AGE_BANDS, NEEDS, SIBLING_BANDS, Segment, parse_segment
from recruitment.stats import normal_quantile, poisson_quantile
from recruitment.supply import Supply, project_supply
from recruitment.tables import RecruitmentInputs

__all__ = [
    "CHILD_COLUMNS",
    "COLUMNS",
    "GapResult",
    "binding_rule",
    "compute_gaps",
    "default_segments",
    "json_value",
    "suppress",
]

FloatArray = NDArray[np.float64]
TIERS = (2, 3, 4)

# the figures counted from the homes (and the applicants' pipeline), summed for the whole area
HOME_FIGURES = (
    "homes",
    "accepting_homes",
    "not_accepting_homes",
    "free_beds",
    "closures",
    "pipeline",
)
COLUMNS = (
    "community",
    "name",
    "segment",
    "suppressed",
    "entries_history",
    "entries",
    "census",
    "need_children",
    "need_homes",
    "need_low",
    "need_high",
    *HOME_FIGURES,
    "supply",
    "gap",
    "gap_low",
    "gap_high",
    "target_homes",
    "inquiries",
    "unmet_children",
    "binding_rule",
    *(f"{what}_tier{t}" for t in TIERS for what in ("need", "homes", "gap")),
)
# figures computed from children (counts or estimates from few of them): hidden when suppressed
CHILD_COLUMNS = (
    "entries_history",
    "entries",
    "census",
    "need_children",
    "need_homes",
    "need_low",
    "need_high",
    "gap",
    "gap_low",
    "gap_high",
    "target_homes",
    "inquiries",
    "unmet_children",
    "binding_rule",
    *(f"{what}_tier{t}" for t in TIERS for what in ("need", "gap")),
)


def default_segments(demand: Demand) -> list[Segment]:
    """``all`` and every single segment value: age bands, sibling bands, needs, languages seen."""
    languages = sorted(set(demand.cells["language"]))
    return [
        Segment(),
        *(Segment(age=a) for a in AGE_BANDS),
        *(Segment(siblings=s) for s in SIBLING_BANDS),
        *(Segment(needs=n) for n in ("none", *NEEDS)),
        *(Segment(language=lang) for lang in languages),
    ]


def suppress(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The table with small cells hidden (a copy).

    A row whose children seen in the history window number 1 to ``threshold`` is suppressed:
    every figure computed from children is emptied and ``suppressed`` is True (its homes stay:
    they are not children). In other rows a count of waiting children from 1 to
    ``threshold`` is emptied on its own. A threshold of 0 suppresses nothing.
    """
    out = table.copy()
    seen = out["entries_history"].fillna(0)
    small = (seen >= 1) & (seen <= threshold)
    out["suppressed"] = small.to_numpy(dtype=bool)
    for column in CHILD_COLUMNS:
        if column == "binding_rule":
            out[column] = out[column].where(~small, None)
        else:
            out[column] = out[column].astype("float64").where(~small, np.nan)
    unmet = out["unmet_children"]
    out["unmet_children"] = unmet.where(~((unmet >= 1) & (unmet <= threshold)), np.nan)
    return out


def binding_rule(row: Mapping[str, Any]) -> str | None:
    """The rule that most often left a child waiting with no qualifying home, or None (an
    empty cell reads as NaN in a pandas string column: never print it)."""
    rule = row["binding_rule"]
    return str(rule) if isinstance(rule, str) and rule else None


def json_value(value: Any) -> Any:
    """A cell as JSON: numpy numbers as Python numbers (rounded to 2 places), NaN as null."""
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else round(float(value), 2)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


@dataclass(frozen=True)
class GapResult:
    """The gaps, suppressed for publication, with the estimates behind them.

    Attributes
    ----------
    table
        One row per community and segment (columns :data:`COLUMNS` and ``partners``), small
        cells suppressed.
    totals
        The same per segment for the whole area (``community`` is ``"all"``), suppressed.
    estimates
        City entry rate, prior strength, trend, mean stays, closure rates, conversion rates.
    as_of, horizon_months, policy
        What the figures are for, and the policy used.
    """

    table: pd.DataFrame
    totals: pd.DataFrame
    estimates: dict[str, Any]
    as_of: Any
    horizon_months: int
    policy: RecruitmentPolicy

    @property
    def segments(self) -> list[str]:
        return list(dict.fromkeys(self.totals["segment"]))

    def rows(self, segment: str = "all", community: str | None = None) -> pd.DataFrame:
        """The rows of one segment (and community), in community order."""
        key = parse_segment(segment).key
        if key not in self.segments:
            raise ValueError(
                f"segment {key!r} was not computed; computed: {', '.join(self.segments)}"
            )
        rows = self.table.loc[self.table["segment"] == key]
        if community is not None:
            rows = rows.loc[rows["community"] == community]
        return rows

    def largest(
        self, limit: int = 20, segment: str | None = None, community: str | None = None
    ) -> pd.DataFrame:
        """The largest gaps first (suppressed rows are left out: their gap is not published)."""
        rows = self.table if segment is None else self.rows(segment)
        if community is not None:
            rows = rows.loc[rows["community"] == community]
        rows = rows.loc[~rows["suppressed"] & rows["gap"].notna()]
        return rows.sort_values(
            ["gap", "community", "segment"], ascending=[False, True, True]
        ).head(limit)

    def to_json(self, segment: str | None = None, community: str | None = None) -> dict[str, Any]:
        """Plain JSON values: parameters, suppression, then the rows (all, or one segment)."""
        rows = self.table if segment is None else self.rows(segment)
        totals = self.totals
        if segment is not None:
            totals = totals.loc[totals["segment"] == parse_segment(segment).key]
        if community is not None:
            rows = rows.loc[rows["community"] == community]
        return {
            "as_of": str(self.as_of),
            "horizon_months": self.horizon_months,
            "segment": segment,
            "community": community,
            "scenario": {
                k: getattr(self.policy, k)
                for k in (
                    "family_share",
                    "kin_share",
                    "own_community_target",
                    "service_level",
                    "interval",
                    "usable_share",
                    "choice_factor",
                )
            },
            "estimates": self.estimates,
            "suppression": {
                "threshold": self.policy.suppression_threshold,
                "suppressed_rows": int(rows["suppressed"].sum()),
                "note": (
                    f"figures from 1 to {self.policy.suppression_threshold} children are not "
                    "published; suppressed rows keep only their homes"
                ),
            },
            "gaps": [{k: json_value(v) for k, v in r.items()} for r in rows.to_dict("records")],
            "totals": [{k: json_value(v) for k, v in r.items()} for r in totals.to_dict("records")],
        }

    def to_csv(self, path: str | Path | None = None, segment: str | None = None) -> str:
        """The rows as CSV (partners as ``;``-joined names); written to ``path`` when given."""
        rows = self.table if segment is None else self.rows(segment)
        buffer = io.StringIO()
        writer = CsvWriter(buffer)
        writer.writerow([*COLUMNS, "partners"])
        for record in rows.to_dict("records"):
            cells = [json_value(record[c]) for c in COLUMNS]
            partners = ";".join(p["name"] for p in record["partners"])
            writer.writerow(["" if v is None else v for v in cells] + [partners])
        text = buffer.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def summary(
        self, limit: int = 20, segment: str | None = None, community: str | None = None
    ) -> str:
        """A readable table: the largest gaps first, each with its outreach partners."""
        top = self.largest(limit, segment, community)
        lines = [
            f"Recruitment gaps as of {self.as_of}, {self.horizon_months} months ahead"
            + (f", segment {parse_segment(segment).key}" if segment else "")
            + (f", community {community}" if community else ""),
            f"(non-kin family homes; need at the {self.policy.service_level:.0%} service level; "
            f"interval {self.policy.interval:.0%})",
        ]
        if top.empty:
            lines.append("No published gap to show.")
        else:
            header = (
                "community",
                "segment",
                "need",
                "supply",
                "gap",
                "interval",
                "recruit",
                "inquiries",
            )
            body = []
            for r in top.to_dict("records"):
                body.append(
                    (
                        f"{r['name']} ({r['community']})",
                        r["segment"],
                        f"{r['need_homes']:.1f}",
                        f"{r['supply']:.1f}",
                        f"{r['gap']:+.1f}",
                        f"{r['gap_low']:.1f} to {r['gap_high']:.1f}",
                        f"{int(r['target_homes'])}",
                        "-" if pd.isna(r["inquiries"]) else f"{int(r['inquiries'])}",
                    )
                )
            widths = [max(len(str(x[i])) for x in [header, *body]) for i in range(len(header))]
            lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
            for row, r in zip(body, top.to_dict("records"), strict=True):
                lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
                if r["partners"]:
                    names = "; ".join(
                        p["name"] + ("" if p["in_community"] else " (next door)")
                        for p in r["partners"]
                    )
                    lines.append(f"    reach out: {names}")
                rule = binding_rule(r)
                if rule:
                    unmet = r["unmet_children"]
                    count = "some" if pd.isna(unmet) else str(int(unmet))
                    lines.append(f"    waiting now with no qualifying home: {count} ({rule})")
        shown = self.table if segment is None else self.rows(segment)
        if community is not None:
            shown = shown.loc[shown["community"] == community]
        hidden = int(shown["suppressed"].sum())
        if hidden:
            lines.append(
                f"{hidden} rows suppressed (1 to {self.policy.suppression_threshold} children)."
            )
        return "\n".join(lines)


class _Spread:
    """Places a community's need: ``own`` in it, the rest shared among its neighbours."""

    def __init__(self, inputs: RecruitmentInputs, own: float) -> None:
        ids = list(inputs.codes)
        src: list[int] = []
        dst: list[int] = []
        for c, community in enumerate(ids):
            for other in inputs.neighbours.get(community, ()):
                src.append(c)
                dst.append(inputs.codes[other])
        self.n = len(ids)
        self.src = np.array(src, dtype=np.int64)
        self.dst = np.array(dst, dtype=np.int64)
        degree = np.bincount(self.src, minlength=self.n).astype(np.float64)
        self.keep = np.where(degree > 0, own, 1.0)
        self.out_share = np.divide(1.0 - own, degree, out=np.zeros(self.n), where=degree > 0)

    def __call__(self, x: FloatArray) -> FloatArray:
        moved = np.bincount(
            self.dst, weights=x[self.src] * self.out_share[self.src], minlength=self.n
        )
        return np.asarray(x * self.keep + moved, dtype=np.float64)


def _unmet_cells(inputs: RecruitmentInputs, policy: RecruitmentPolicy) -> pd.DataFrame:
    unmet = inputs.unmet
    cells = _cells_of(unmet, policy)
    cells["code"] = inputs.community_codes(unmet["community"])
    cells["rule"] = unmet["rule"]
    cells["children"] = unmet["children"].to_numpy(dtype=np.float64)
    cells["age_years"] = unmet["age"].to_numpy(dtype=np.float64)
    return cells.loc[cells["code"] >= 0].reset_index(drop=True)


def _segment_table(
    segment: Segment,
    inputs: RecruitmentInputs,
    policy: RecruitmentPolicy,
    demand: Demand,
    supply: Supply,
    unmet: pd.DataFrame,
    spread: _Spread,
    outreach: Outreach,
    horizon_months: int,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    n = inputs.n_communities
    mask = demand.cell_mask(segment)
    size = demand.cells["size"].to_numpy(dtype=np.float64)[mask]
    per_year = demand.entries_per_year[:, mask]
    family = policy.family_share * (1.0 - policy.kin_share)
    census_cells = demand.census[:, mask] * family
    census = spread(census_cells.sum(axis=1))
    from_entries = spread(demand.census_from_entries[:, mask].sum(axis=1) * family)
    units = spread((census_cells / size).sum(axis=1))
    tier_units = {
        t: spread((census_cells[:, size >= t] / size[size >= t]).sum(axis=1)) for t in TIERS
    }

    # waiting children no home qualifies for: demand already unmet, where they come from
    in_segment = segment.children(
        unmet["age_years"], unmet["size"], unmet["needs"], unmet["language"]
    )
    u = unmet.loc[in_segment]
    codes = u["code"].to_numpy()
    kids = u["children"].to_numpy(dtype=np.float64)
    group = u["size"].to_numpy(dtype=np.float64)
    unmet_children = np.bincount(codes, weights=kids, minlength=n)
    unmet_units = np.bincount(codes, weights=kids / group, minlength=n)
    unmet_tier = {
        t: np.bincount(codes[group >= t], weights=(kids / group)[group >= t], minlength=n)
        for t in TIERS
    }
    binding: list[str | None] = [None] * n
    if len(u):
        by_rule = u.groupby(["code", "rule"], sort=True)["children"].sum().reset_index()
        by_rule = by_rule.sort_values(["code", "children", "rule"], ascending=[True, False, True])
        for code, rule in by_rule.drop_duplicates("code")[["code", "rule"]].itertuples(index=False):
            binding[int(code)] = str(rule)

    scale = policy.choice_factor / policy.usable_share
    need_children = poisson_quantile(policy.service_level, census)
    buffer = np.divide(need_children, census, out=np.zeros(n), where=census > 0)
    need_homes = (units * buffer + unmet_units) * scale
    z = normal_quantile(0.5 + policy.interval / 2.0)
    # Poisson noise of the census, and the entry rate's uncertainty on the part it drives
    sd_children = np.sqrt(census + from_entries**2 / np.maximum(demand.shape, 1.0))
    homes_per_child = np.divide(units, census, out=np.zeros(n), where=census > 0)
    sd_need = sd_children * homes_per_child * scale
    mean_need = (units + unmet_units) * scale
    need_low = np.maximum(mean_need - z * sd_need, unmet_units * scale)
    need_high = mean_need + z * sd_need

    figures = supply.figures(segment)
    projected = figures["homes"] - figures["closures"] + figures["pipeline"]
    gap = need_homes - projected
    sd_gap = np.sqrt(sd_need**2 + figures["variance"])
    target = np.maximum(0.0, np.ceil(np.round(gap, 1)))
    conversion = supply.inquiry_to_licence
    inquiries = np.ceil(target / conversion) if conversion > 0 else np.full(n, np.nan)

    table: dict[str, Any] = {
        "community": inputs.communities["id"].to_numpy(),
        "name": inputs.communities["name"].to_numpy(),
        "segment": segment.key,
        "suppressed": False,
        "entries_history": demand.observed[:, mask].sum(axis=1),
        "entries": per_year.sum(axis=1) * horizon_months / 12.0,
        "census": census,
        "need_children": need_children,
        "need_homes": need_homes,
        "need_low": need_low,
        "need_high": need_high,
        "homes": figures["homes"],
        "accepting_homes": figures["accepting"],
        "not_accepting_homes": figures["homes"] - figures["accepting"],
        "free_beds": figures["free_beds"],
        "closures": figures["closures"],
        "pipeline": figures["pipeline"],
        "supply": projected,
        "gap": gap,
        "gap_low": gap - z * sd_gap,
        "gap_high": gap + z * sd_gap,
        "target_homes": target,
        "inquiries": inquiries,
        "unmet_children": unmet_children,
        "binding_rule": binding,
    }
    for t in TIERS:
        tier = supply.figures(segment, min_beds=t)
        need_t = (tier_units[t] * buffer + unmet_tier[t]) * scale
        table[f"need_tier{t}"] = need_t
        table[f"homes_tier{t}"] = tier["homes"]
        table[f"gap_tier{t}"] = need_t - (tier["homes"] - tier["closures"])
    frame = pd.DataFrame(table)

    # outreach: languages of the segment's expected children in each community
    languages = outreach.languages
    cell_language = demand.cells["language"].to_numpy()[mask]
    share = np.zeros((n, len(languages)))
    for k, lang in enumerate(languages):
        share[:, k] = census_cells[:, cell_language == lang].sum(axis=1)
    spoken = share.sum(axis=1, keepdims=True)
    share = np.divide(share, spoken, out=np.zeros_like(share), where=spoken > 0)
    needing = np.flatnonzero(target > 0)
    ranked = outreach.rank(segment, share, needing)
    frame["partners"] = [ranked.get(i, []) for i in range(n)]

    # the whole area pools the census: its buffer is smaller than the communities' together
    pooled = float(census.sum())
    pooled_need = float(poisson_quantile(policy.service_level, np.array([pooled]))[0])
    pooled_buffer = pooled_need / pooled if pooled > 0 else 0.0
    area_need = (units.sum() * pooled_buffer + unmet_units.sum()) * scale
    area_mean = (units.sum() + unmet_units.sum()) * scale
    area_sd_need = float(np.sqrt(np.sum(sd_need**2)))
    area_supply = float(projected.sum())
    area_gap = area_need - area_supply
    area_sd_gap = float(np.sqrt(np.sum(sd_need**2) + np.sum(figures["variance"])))
    area_target = max(0.0, math.ceil(round(area_gap, 1)))
    totals: dict[str, Any] = {
        "community": "all",
        "name": "whole area",
        "segment": segment.key,
        "suppressed": False,
        "entries_history": float(table["entries_history"].sum()),
        "entries": float(table["entries"].sum()),
        "census": pooled,
        "need_children": pooled_need,
        "need_homes": area_need,
        "need_low": max(unmet_units.sum() * scale, area_mean - z * area_sd_need),
        "need_high": area_mean + z * area_sd_need,
        **{k: float(np.sum(table[k])) for k in HOME_FIGURES},
        "supply": area_supply,
        "gap": area_gap,
        "gap_low": area_gap - z * area_sd_gap,
        "gap_high": area_gap + z * area_sd_gap,
        "target_homes": area_target,
        "inquiries": math.ceil(area_target / conversion) if conversion > 0 else np.nan,
        "unmet_children": float(unmet_children.sum()),
        "binding_rule": None,
        "partners": [],
    }
    for t in TIERS:
        need_t = (tier_units[t].sum() * pooled_buffer + unmet_tier[t].sum()) * scale
        totals[f"need_tier{t}"] = need_t
        totals[f"homes_tier{t}"] = float(frame[f"homes_tier{t}"].sum())
        # each community's tier supply (homes less closures) is its need less its gap
        tier_supply = float((frame[f"need_tier{t}"] - frame[f"gap_tier{t}"]).sum())
        totals[f"gap_tier{t}"] = need_t - tier_supply
    return frame, totals


def compute_gaps(
    inputs: RecruitmentInputs,
    policy: RecruitmentPolicy | None = None,
    *,
    horizon_months: int | None = None,
    segments: Sequence[str | Segment] | None = None,
) -> GapResult:
    """Capacity gaps for every community and segment (see the module docstring).

    Parameters
    ----------
    inputs
        The validated tables.
    policy
        Default: the shipped ``recruitment/policy.toml``.
    horizon_months
        Months ahead (>= 1); default the policy's.
    segments
        Extra segments to compute besides ``all`` and every single segment value (e.g.
        ``"age:13-17,siblings:3+"``).

    Raises
    ------
    ValueError
        A horizon below 1 or a segment that cannot be read, with what is allowed.
    """
    policy = policy or load_recruitment_policy()
    horizon = policy.horizon_months if horizon_months is None else horizon_months
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ValueError(f"horizon_months must be a whole number of months >= 1, got {horizon!r}")
    demand = project_demand(inputs, policy, horizon)
    supply = project_supply(inputs, policy, horizon)
    wanted = default_segments(demand)
    for extra in segments or ():
        segment = parse_segment(extra) if isinstance(extra, str) else extra
        if segment not in wanted:
            wanted.append(segment)
    unmet = _unmet_cells(inputs, policy)
    spread = _Spread(inputs, policy.own_community_target)
    languages = tuple(sorted(set(demand.cells["language"])))
    outreach = Outreach.build(inputs, policy, languages)
    parts = [
        _segment_table(s, inputs, policy, demand, supply, unmet, spread, outreach, horizon)
        for s in wanted
    ]
    table = pd.concat([frame for frame, _ in parts], ignore_index=True)
    totals = pd.DataFrame([row for _, row in parts]).astype({"binding_rule": "object"})
    threshold = policy.suppression_threshold
    public = suppress(table, threshold)
    # a suppressed row names no partners: a list would tell that its hidden gap is positive
    public["partners"] = [
        [] if s else p for s, p in zip(public["suppressed"], public["partners"], strict=True)
    ]
    return GapResult(
        table=public,
        totals=suppress(totals, threshold),
        estimates={**demand.parameters, **supply.parameters},
        as_of=inputs.as_of,
        horizon_months=horizon,
        policy=policy,
    )
