"""The outcome report: every measure for a period, by group, with disparities and trends.

:func:`evaluate` is the one entry point: tables in, :class:`OutcomeReport` out. The report
holds the suppressed cells (counts 1-10 hidden by default, with everything computed from
them), prints a readable :meth:`~OutcomeReport.summary`, and serialises to the JSON of
``fostermatch outcomes --json`` (:meth:`~OutcomeReport.to_json`) and to CSV rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.csv_cells import CsvWriter
from outcomes.definitions import MEASURES, Measure, measure
from outcomes.disparity import (
    disproportionality_index,
    rate_ratio,
    ratio_of_proportions,
    risk_difference,
)
from outcomes.measures import period_cells
from outcomes.prepare import Prepared, day_number, from_day, prepare
from outcomes.settings import BREAKDOWNS, OutcomeSettings, load_settings
from outcomes.tables import OutcomeTables

__all__ = ["OutcomeReport", "default_period", "evaluate"]

_DI_COLUMNS = ("di", "di_low", "di_high", "rd", "rd_low", "rd_high", "rdi")


def default_period(as_of: date, settings: OutcomeSettings) -> tuple[date, date]:
    """The 12 months ending ``follow_up_days`` before ``as_of``.

    Every entry of that period has been followed for 12 months, so the 12-month measures
    are complete (the CFSR lags its periods for the same reason).
    """
    end = as_of - timedelta(days=settings.follow_up_days)
    return end - timedelta(days=364), end


def _choose_references(
    cells: pd.DataFrame, prep: Prepared, breakdowns: Sequence[str], settings: OutcomeSettings
) -> dict[str, str | None]:
    """Per breakdown: the configured reference, else the group with the most entries."""
    references: dict[str, str | None] = {}
    for breakdown in breakdowns:
        labels = prep.labels[breakdown]
        if breakdown in settings.reference:
            chosen = settings.reference[breakdown]
            if chosen not in labels:
                raise ValueError(
                    f"reference group {chosen!r} is not a {breakdown} group; "
                    f"choose from {', '.join(labels)}"
                )
            references[breakdown] = chosen
            continue
        rows = cells[(cells["measure"] == "entries_per_1000") & (cells["breakdown"] == breakdown)]
        rows = rows[(rows["group"] != "unknown") & (rows["numerator"] > 0)]
        if rows.empty:
            references[breakdown] = None
        else:
            # the largest group; ties go to the first label, so the choice is deterministic
            references[breakdown] = str(rows.loc[rows["numerator"].idxmax(), "group"])
    return references


def _add_disparity(cells: pd.DataFrame, references: dict[str, str | None]) -> pd.DataFrame:
    out = cells.copy()
    for column in _DI_COLUMNS:
        out[column] = np.nan
    out["reference"] = None
    for (key, breakdown), rows in out.groupby(["measure", "breakdown"], sort=False):
        reference = references.get(str(breakdown))
        if breakdown == "overall" or reference is None:
            continue
        kind = measure(str(key)).kind
        if kind == "median":
            continue
        ref = rows[rows["group"] == reference].iloc[0]
        a = rows["di_events"].to_numpy(np.float64)
        base = rows["di_base"].to_numpy(np.float64)
        c, base_r = float(ref["di_events"]), float(ref["di_base"])
        at = rows.index
        out.loc[at, "reference"] = reference
        if kind in ("proportion", "population_rate"):
            di, low, high = ratio_of_proportions(a, base, c, base_r)
        else:
            di, low, high = rate_ratio(a, base, c, base_r)
        out.loc[at, "di"], out.loc[at, "di_low"], out.loc[at, "di_high"] = di, low, high
        if kind == "proportion":
            rd, rd_low, rd_high = risk_difference(a, base, c, base_r)
            out.loc[at, "rd"], out.loc[at, "rd_low"], out.loc[at, "rd_high"] = rd, rd_low, rd_high
        if kind == "population_rate":
            known = np.isfinite(base)
            rdi = np.full(a.size, np.nan)
            if known.any():
                rdi[known] = disproportionality_index(a[known], base[known])
            out.loc[at, "rdi"] = rdi
        # the reference against itself is 1 by definition; an interval there means nothing
        own = at[(rows["group"] == reference).to_numpy()]
        out.loc[own, ["di_low", "di_high", "rd_low", "rd_high"]] = np.nan
    return out


def _suppress(cells: pd.DataFrame, settings: OutcomeSettings) -> pd.DataFrame:
    """Hide counts 1..k-1 and everything computed from them; flag unreliable counts.

    A cell is suppressed when its count of children or of events (``count``), or the number
    of children it is about (``children``), is between 1 and ``suppress_below - 1``. When a
    breakdown has exactly one such cell for a measure, the next smallest cell is suppressed
    too, so that the hidden count cannot be recovered by subtracting the others from the
    overall figure. A disparity index is hidden when its group or its reference is.
    """
    k = settings.suppress_below
    out = cells.copy()
    count = out["count"].to_numpy(np.float64)
    children = out["children"].to_numpy(np.float64)
    small = ((count >= 1) & (count < k)) | ((children >= 1) & (children < k))
    out["suppressed"] = small
    reason = np.full(len(out), None, dtype=object)
    reason[small] = "small count"
    out["suppressed_reason"] = reason
    out["unreliable"] = (count < settings.unreliable_below) | (children < settings.unreliable_below)
    for (_, breakdown), rows in out.groupby(["measure", "breakdown"], sort=False):
        if breakdown == "overall" or len(rows) < 2:
            continue
        hidden = rows["suppressed"].to_numpy(bool)
        if hidden.sum() != 1:
            continue
        candidates = rows[~hidden & (rows["children"] > 0)]
        if candidates.empty:
            continue
        victim = candidates.sort_values(["children", "count"], kind="stable").index[0]
        out.loc[victim, "suppressed"] = True
        out.loc[victim, "suppressed_reason"] = "complementary"
    if "reference" in out.columns:
        hidden_keys = set(
            zip(
                out.loc[out["suppressed"], "measure"],
                out.loc[out["suppressed"], "breakdown"],
                out.loc[out["suppressed"], "group"],
                strict=True,
            )
        )
        ref_hidden = np.array(
            [
                (m, b, r) in hidden_keys
                for m, b, r in zip(out["measure"], out["breakdown"], out["reference"], strict=True)
            ],
            dtype=bool,
        )
        hide_di = out["suppressed"].to_numpy(bool) | ref_hidden
        out.loc[hide_di, list(_DI_COLUMNS)] = np.nan
    hide = out["suppressed"].to_numpy(bool)
    out.loc[hide, ["value", "numerator", "denominator", "children", "count"]] = np.nan
    return out


def _direction(values: Sequence[float]) -> str | None:
    """ "up", "down" or "flat" from the least-squares slope of a yearly series."""
    points = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if len(points) < 2:
        return None
    x = np.array([p[0] for p in points], dtype=np.float64)
    y = np.array([p[1] for p in points], dtype=np.float64)
    slope = float(np.polyfit(x, y, 1)[0])
    scale = float(np.nanmean(np.abs(y))) or 1.0
    if abs(slope) < 0.01 * scale:  # under 1% of the level per year: no direction
        return "flat"
    return "up" if slope > 0 else "down"


def _number(value: Any, digits: int = 4) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if not math.isfinite(v) else round(v, digits)


def _count(value: Any) -> float | int | None:
    v = _number(value, 2)
    return int(v) if v is not None and v == int(v) else v


def _display(m: Measure, value: Any, suppressed: bool, k: int) -> str:
    if suppressed:
        return f"<{k}"
    if value is None or not math.isfinite(float(value)):
        return "-"
    digits = {"%": 1, "days": 0, "km": 1}.get(m.unit, 2)
    return f"{float(value):,.{digits}f}"


@dataclass(frozen=True)
class OutcomeReport:
    """Every measure for one period, overall and by group, with disparities and trends.

    Attributes
    ----------
    start, end
        The period (both days included); the point-in-time measures are taken on ``end``.
    as_of
        The date of the records: follow-up ends there.
    breakdowns
        The breakdowns besides ``overall``.
    settings
        The settings used.
    references
        The reference group of each breakdown for the disparity index.
    cells
        One row per measure x breakdown x group (suppressed cells hold NaN).
    trends
        One row per year x measure, overall.
    names
        Display names per breakdown label (community names).
    notes
        What a reader must know: exclusions, suppression, missing populations.
    """

    start: date
    end: date
    as_of: date
    breakdowns: tuple[str, ...]
    settings: OutcomeSettings
    references: dict[str, str | None]
    cells: pd.DataFrame
    trends: pd.DataFrame
    names: dict[str, dict[str, str]]
    notes: tuple[str, ...]

    # -- JSON ------------------------------------------------------------------------------

    def _cell(self, row: Any, with_disparity: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": _number(row.value),
            "numerator": _count(row.numerator),
            "denominator": _count(row.denominator),
            "children": _count(row.children),
            "suppressed": bool(row.suppressed),
            "unreliable": bool(row.unreliable),
        }
        if with_disparity and measure(row.measure).kind != "median":
            out["disparity"] = {
                "reference": row.reference,
                "index": _number(row.di),
                "low": _number(row.di_low),
                "high": _number(row.di_high),
                "risk_difference": _number(row.rd),
                "risk_difference_low": _number(row.rd_low),
                "risk_difference_high": _number(row.rd_high),
                "disproportionality": _number(row.rdi),
            }
        return out

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON-able data (the shape of ``fostermatch outcomes --json``)."""
        overall: dict[str, Any] = {}
        breakdowns: dict[str, Any] = {
            b: {"reference": self.references.get(b), "groups": {}} for b in self.breakdowns
        }
        for row in self.cells.itertuples(index=False):
            if row.breakdown == "overall":
                overall[row.measure] = self._cell(row, with_disparity=False)
                continue
            groups = breakdowns[row.breakdown]["groups"]
            group = groups.setdefault(
                row.group,
                {
                    "group": row.group,
                    "name": self.names[row.breakdown].get(row.group, row.group),
                    "measures": {},
                },
            )
            group["measures"][row.measure] = self._cell(row, with_disparity=True)
        for b in breakdowns.values():
            b["groups"] = list(b["groups"].values())
        years = sorted(int(y) for y in self.trends["year"].unique()) if len(self.trends) else []
        trend_measures: dict[str, list[dict[str, Any]]] = {m.key: [] for m in MEASURES}
        for row in self.trends.itertuples(index=False):
            cell = self._cell(row, with_disparity=False)
            trend_measures[row.measure].append({"year": int(row.year), **cell})
        direction = {
            key: _direction([c["value"] for c in series]) for key, series in trend_measures.items()
        }
        return {
            "period": {
                "from": self.start.isoformat(),
                "to": self.end.isoformat(),
                "as_of": self.as_of.isoformat(),
            },
            "suppress_below": self.settings.suppress_below,
            "measures": [
                {
                    "key": m.key,
                    "name": m.name,
                    "unit": m.unit,
                    "lower_is_better": m.lower_is_better,
                    "definition": m.definition,
                }
                for m in MEASURES
            ],
            "overall": overall,
            "breakdowns": breakdowns,
            "trends": {"years": years, "measures": trend_measures, "direction": direction},
            "notes": list(self.notes),
        }

    # -- CSV -------------------------------------------------------------------------------

    CSV_COLUMNS = (
        "section",
        "year",
        "breakdown",
        "group",
        "name",
        "measure",
        "unit",
        "value",
        "display",
        "numerator",
        "denominator",
        "children",
        "suppressed",
        "unreliable",
        "reference",
        "disparity_index",
        "disparity_low",
        "disparity_high",
        "risk_difference",
        "disproportionality",
    )

    def rows(self) -> list[dict[str, Any]]:
        """The report as flat rows (period cells, then the yearly trend), for CSV."""
        k = self.settings.suppress_below
        out: list[dict[str, Any]] = []
        for section, frame in (("period", self.cells), ("trend", self.trends)):
            for row in frame.itertuples(index=False):
                m = measure(row.measure)
                out.append(
                    {
                        "section": section,
                        "year": int(row.year) if section == "trend" else "",
                        "breakdown": row.breakdown,
                        "group": row.group,
                        "name": self.names.get(row.breakdown, {}).get(row.group, row.group),
                        "measure": m.key,
                        "unit": m.unit,
                        "value": _number(row.value),
                        "display": _display(m, row.value, bool(row.suppressed), k),
                        "numerator": _count(row.numerator),
                        "denominator": _count(row.denominator),
                        "children": _count(row.children),
                        "suppressed": bool(row.suppressed),
                        "unreliable": bool(row.unreliable),
                        "reference": getattr(row, "reference", None),
                        "disparity_index": _number(getattr(row, "di", None)),
                        "disparity_low": _number(getattr(row, "di_low", None)),
                        "disparity_high": _number(getattr(row, "di_high", None)),
                        "risk_difference": _number(getattr(row, "rd", None)),
                        "disproportionality": _number(getattr(row, "rdi", None)),
                    }
                )
        return out

    def write_csv(self, path: str | Path) -> Path:
        """Write :meth:`rows` to ``path`` (UTF-8, header row); empty cells for suppressed."""
        path = Path(path)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = CsvWriter(handle)
            writer.writerow(self.CSV_COLUMNS)
            for row in self.rows():
                writer.writerow("" if row[k] is None else row[k] for k in self.CSV_COLUMNS)
        return path

    # -- text ------------------------------------------------------------------------------

    def table(self, breakdown: str = "overall") -> pd.DataFrame:
        """Display strings, measures x groups, suppressed cells as ``<11``."""
        k = self.settings.suppress_below
        rows = self.cells[self.cells["breakdown"] == breakdown]
        names = self.names.get(breakdown, {})
        groups = list(dict.fromkeys(rows["group"]))
        data: dict[str, list[str]] = {names.get(g, g): [] for g in groups}
        for m in MEASURES:
            cells = rows[rows["measure"] == m.key].set_index("group")
            for g in groups:
                cell = cells.loc[g]
                data[names.get(g, g)].append(
                    _display(m, cell["value"], bool(cell["suppressed"]), k)
                )
        return pd.DataFrame(data, index=[_label(m) for m in MEASURES])

    def trend_table(self) -> pd.DataFrame:
        """Display strings, measures x years, overall."""
        k = self.settings.suppress_below
        years = sorted(int(y) for y in self.trends["year"].unique()) if len(self.trends) else []
        data: dict[str, list[str]] = {str(y): [] for y in years}
        for m in MEASURES:
            series = self.trends[self.trends["measure"] == m.key].set_index("year")
            for y in years:
                cell = series.loc[y]
                data[str(y)].append(_display(m, cell["value"], bool(cell["suppressed"]), k))
        return pd.DataFrame(data, index=[_label(m) for m in MEASURES])

    def disparities(self, breakdown: str) -> pd.DataFrame:
        """Disparity indices of one breakdown with their intervals (NaN where hidden)."""
        rows = self.cells[(self.cells["breakdown"] == breakdown) & self.cells["di"].notna()].copy()
        rows["name"] = [self.names[breakdown].get(g, g) for g in rows["group"]]
        return rows[["measure", "group", "name", "reference", "di", "di_low", "di_high", "rd"]]

    def summary(self) -> str:
        """A readable report: the overall figures, each breakdown, the trend, the notes."""
        k = self.settings.suppress_below
        lines = [
            f"outcomes {self.start.isoformat()} to {self.end.isoformat()} "
            f"(records as of {self.as_of.isoformat()}; counts 1-{k - 1} suppressed as <{k})",
            "",
        ]
        width = max(len(_label(m)) for m in MEASURES) + 2
        overall = self.table("overall")
        for label, value in zip(overall.index, overall.iloc[:, 0], strict=True):
            lines.append(f"  {label:<{width}} {value:>10}")
        for breakdown in self.breakdowns:
            reference = self.references.get(breakdown)
            lines += ["", f"by {breakdown} (disparity index against {reference or '-'})"]
            rows = self.cells[self.cells["breakdown"] == breakdown]
            names = self.names[breakdown]
            for m in MEASURES:
                lines.append(f"  {_label(m)}")
                for row in rows[rows["measure"] == m.key].itertuples(index=False):
                    if not row.suppressed and not (row.children or 0) > 0:
                        continue  # a group with nobody in it says nothing
                    text = _display(m, row.value, bool(row.suppressed), k)
                    di = ""
                    if math.isfinite(row.di) and row.group != reference:
                        di = f"  DI {row.di:.2f}"
                        if math.isfinite(row.di_low):
                            di += f" [{row.di_low:.2f}-{row.di_high:.2f}]"
                    flag = " (unreliable)" if row.unreliable and not row.suppressed else ""
                    lines.append(f"    {names.get(row.group, row.group):<28} {text:>10}{di}{flag}")
        if len(self.trends):
            lines += ["", "trend by year (overall)"]
            trend = self.trend_table()
            header = " " * (width + 2) + "".join(f"{y:>9}" for y in trend.columns)
            lines.append(header)
            for label, values in trend.iterrows():
                lines.append(f"  {label:<{width}}" + "".join(f"{v:>9}" for v in values))
        if self.notes:
            lines += ["", "notes:"] + [f"  - {note}" for note in self.notes]
        return "\n".join(lines)


def evaluate(
    tables: OutcomeTables,
    *,
    start: date | None = None,
    end: date | None = None,
    by: Sequence[str] = (),
    settings: OutcomeSettings | None = None,
    as_of: date | None = None,
    trends: bool = True,
) -> OutcomeReport:
    """Compute every outcome measure for a period, overall and by the chosen breakdowns.

    Parameters
    ----------
    tables
        The records (see :mod:`outcomes.tables`).
    start, end
        The period, both days included. Without either: :func:`default_period`. With only
        ``start``: up to ``as_of``. With only ``end``: the 12 months ending there.
    by
        Any of ``race``, ``sex``, ``age``, ``community``.
    settings
        Suppression, exclusions and code sets (default: ``outcomes/defaults.toml``).
    as_of
        The date of the records (default: the latest date in them).
    trends
        Also compute every measure overall for each calendar year of the history.

    Raises
    ------
    ValueError
        For an unknown breakdown, a period that ends before it starts, or a bad reference.
    """
    settings = settings or load_settings()
    unknown = [b for b in by if b not in BREAKDOWNS]
    if unknown:
        raise ValueError(f"unknown breakdown {unknown[0]!r}; choose from {', '.join(BREAKDOWNS)}")
    breakdowns = tuple(dict.fromkeys(by))
    prep = prepare(tables, settings, as_of)
    as_of_date = from_day(prep.as_of)
    if start is None and end is None:
        start, end = default_period(as_of_date, settings)
    elif start is None:
        assert end is not None
        start = end - timedelta(days=364)
    elif end is None:
        end = as_of_date
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")

    cells = period_cells(
        prep, day_number(start), day_number(end), ("overall", *breakdowns), settings
    )
    references = _choose_references(cells, prep, breakdowns, settings)
    cells = _suppress(_add_disparity(cells, references), settings)

    trend_frames = []
    if trends and prep.ep_start.size:
        first_year = from_day(int(prep.ep_start.min())).year
        for year in range(first_year, as_of_date.year + 1):
            y0 = max(day_number(date(year, 1, 1)), int(prep.ep_start.min()))
            y1 = min(day_number(date(year, 12, 31)), prep.as_of)
            yearly = period_cells(prep, y0, y1, ("overall",), settings)
            yearly.insert(0, "year", year)
            trend_frames.append(yearly)
    trend = (
        _suppress(pd.concat(trend_frames, ignore_index=True), settings)
        if trend_frames
        else pd.DataFrame(columns=["year", "measure", "breakdown", "group", "value", "suppressed"])
    )

    names = {
        b: dict(zip(prep.labels[b], prep.names[b], strict=True)) for b in ("overall", *breakdowns)
    }
    notes = _notes(prep, cells, day_number(start), day_number(end), breakdowns, settings)
    return OutcomeReport(
        start=start,
        end=min(end, as_of_date),
        as_of=as_of_date,
        breakdowns=breakdowns,
        settings=settings,
        references=references,
        cells=cells,
        trends=trend,
        names=names,
        notes=notes,
    )


def _notes(
    prep: Prepared,
    cells: pd.DataFrame,
    start: int,
    end: int,
    breakdowns: Sequence[str],
    settings: OutcomeSettings,
) -> tuple[str, ...]:
    k = settings.suppress_below
    notes = []
    if k > 1:
        notes.append(
            f"counts from 1 to {k - 1} are suppressed (null in JSON and CSV, <{k} in tables), "
            "and so is every rate, median and disparity index computed from them; where only "
            "one group of a breakdown was suppressed, the next smallest is suppressed too"
        )
    notes.append(f"counts under {settings.unreliable_below} are flagged unreliable")
    if prep.ep_start.size and from_day(prep.as_of) < date(from_day(prep.as_of).year, 12, 31):
        notes.append(
            f"the trend's last year ({from_day(prep.as_of).year}) runs only to the as-of date"
        )
    notes.append(
        f"excluded (CFSR): {int(prep.ep_short.sum())} stays shorter than "
        f"{settings.min_stay_days} days and {int(prep.ep_adult_entry.sum())} entries at "
        f"{settings.adult_age} or older, in the whole history"
    )
    entered = (prep.ep_start >= start) & (prep.ep_start <= end) & ~prep.excluded
    pending = int((entered & (prep.ep_start + settings.follow_up_days > prep.as_of)).sum())
    if pending:
        notes.append(
            f"{pending} entries of the period have not yet been followed for "
            f"{settings.follow_up_days} days and are left out of the 12-month measures"
        )
    if prep.unlinked_placements:
        notes.append(
            f"{prep.unlinked_placements} placements start outside every stay in care and are "
            "not counted"
        )
    missing = [b for b in breakdowns if b != "community" and np.isnan(prep.population[b]).all()]
    if missing:
        notes.append(
            "entries per 1,000 by " + ", ".join(missing) + " need the child population of "
            "each group, which the records do not hold; counts, shares and the other measures "
            "are given"
        )
    notes.append(
        "disparity intervals of care-day shares treat each day as independent (Poisson) and "
        "are narrower than the children behind them warrant; read them with the children's "
        "share (congregate_children)"
    )
    notes.append(
        "congregate care = " + ", ".join(settings.congregate_settings) + "; own community and "
        "distance use placements with an address (family homes)"
    )
    return tuple(notes)


def _label(measure: Measure) -> str:
    """The measure's name with its unit, unless the name already says it."""
    return measure.name if measure.unit in measure.name else f"{measure.name} ({measure.unit})"
