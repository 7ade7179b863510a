"""The input contract: plain tables (pandas DataFrames), validated once when built.

Every table is one row per record; lists are ``;``-joined strings (``"en;es"``); dates are
anything :func:`pandas.to_datetime` reads (``datetime.date``, ISO text, ``datetime64``);
``community`` is a community id or empty (outside every community: such rows are left out of
the community figures). No table carries a child's id or race/ethnicity: recruitment works on
aggregates only, and a column named ``race``, ``ethnicity`` or ``hispanic`` is refused.

=============  =====================================================================
table          columns (optional in brackets)
=============  =====================================================================
communities    id, name, child_population (children 0-17; empty: unknown)
episodes       community (of the removal address), removed_on, discharged_on (empty:
               still in care), age (whole years at removal), group_size (children of the
               sibling group removed together, >= 1), needs (``;`` list), language
               (primary language code; empty: unknown)
homes          community, kind (kin, foster, therapeutic, pre_adoptive), status (active,
               on_hold, closed), capacity, free_beds, age_min, age_max, max_siblings,
               capabilities, languages, licensed_on, closed_on, [last_accepted_on: the
               last day the home said yes, a placement started or an offer accepted]
applicants     community, stage (inquiry, application, training, home_study, licensed,
               withdrawn), stage_on, interests, languages, [withdrawn_from: the last stage
               reached before withdrawing]
partners       id, name, kind, community, languages, [contact: how to reach the organisation]
unmet          community, age, group_size, needs, language, rule (the hard rule that
               removed the most homes), children (how many)
=============  =====================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

__all__ = [
    "APPLICANT_STAGES",
    "COLUMNS",
    "PIPELINE_STAGES",
    "RecruitmentInputs",
    "TableError",
    "empty_table",
]

APPLICANT_STAGES = ("inquiry", "application", "training", "home_study", "licensed", "withdrawn")
PIPELINE_STAGES = APPLICANT_STAGES[:5]  # in order; "licensed" is the end
_FORBIDDEN = ("race", "ethnicity", "hispanic")

# column kinds: id/text (str), count (whole >= 0, may be empty when "?" ends it), date, list
COLUMNS: dict[str, dict[str, str]] = {
    "communities": {"id": "id", "name": "text", "child_population": "count?"},
    "episodes": {
        "community": "id?",
        "removed_on": "date",
        "discharged_on": "date?",
        "age": "count",
        "group_size": "count",
        "needs": "list",
        "language": "text?",
    },
    "homes": {
        "community": "id?",
        "kind": "text",
        "status": "text",
        "capacity": "count",
        "free_beds": "count?",
        "age_min": "count?",
        "age_max": "count?",
        "max_siblings": "count?",
        "capabilities": "list",
        "languages": "list",
        "licensed_on": "date?",
        "closed_on": "date?",
        "last_accepted_on": "date?",
    },
    "applicants": {
        "community": "id?",
        "stage": "text",
        "stage_on": "date",
        "interests": "list",
        "languages": "list",
        "withdrawn_from": "text?",
    },
    "partners": {
        "id": "id",
        "name": "text",
        "kind": "text",
        "community": "id?",
        "languages": "list",
        "contact": "text?",
    },
    "unmet": {
        "community": "id?",
        "age": "count",
        "group_size": "count",
        "needs": "list",
        "language": "text?",
        "rule": "text",
        "children": "count",
    },
}
_OPTIONAL_COLUMNS = {
    ("applicants", "withdrawn_from"),
    ("partners", "contact"),
    ("homes", "last_accepted_on"),
}


class TableError(ValueError):
    """An input table that breaks the contract; the message names the table and column."""


def empty_table(name: str) -> pd.DataFrame:
    """An empty table with the columns of ``name`` (for inputs an agency does not have)."""
    return pd.DataFrame({column: pd.Series([], dtype=object) for column in COLUMNS[name]})


def _fail(table: str, column: str, message: str, rows: pd.Series | None = None) -> TableError:
    where = ""
    if rows is not None and rows.any():
        first = rows.to_numpy().nonzero()[0][0]
        where = f" (row {first})"
    return TableError(f"{table}: column {column}{where}: {message}")


def _clean(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with the contract's columns, typed; raises naming the bad column."""
    if not isinstance(frame, pd.DataFrame):
        raise TableError(f"{table}: expected a pandas DataFrame, got {type(frame).__name__}")
    forbidden = [c for c in frame.columns if str(c).lower() in _FORBIDDEN]
    if forbidden:
        raise TableError(
            f"{table}: column {forbidden[0]}: race and ethnicity are never used in recruitment; "
            "drop the column"
        )
    spec = COLUMNS[table]
    missing = [c for c in spec if c not in frame.columns and (table, c) not in _OPTIONAL_COLUMNS]
    if missing:
        raise TableError(f"{table}: column {missing[0]} is missing; expected {', '.join(spec)}")
    out: dict[str, pd.Series] = {}
    n = len(frame)
    for column, kind in spec.items():
        optional = kind.endswith("?")
        kind = kind.rstrip("?")
        raw = frame[column] if column in frame.columns else pd.Series([None] * n, dtype=object)
        raw = raw.reset_index(drop=True)
        empty = raw.isna() | (raw.astype("str").str.strip() == "")
        if kind in ("id", "text"):
            if not optional and empty.any():
                raise _fail(table, column, "empty; a value is required", empty)
            out[column] = raw.astype("str").str.strip().where(~empty, None).astype("str")
        elif kind == "list":
            out[column] = raw.where(~empty, "").astype("str").str.replace(" ", "", regex=False)
        elif kind == "count":
            numbers = pd.to_numeric(raw.where(~empty, None), errors="coerce")
            bad = (numbers.isna() & ~empty) | (numbers < 0) | (numbers.notna() & (numbers % 1 != 0))
            if bad.any():
                raise _fail(table, column, "expected a whole number >= 0", bad.fillna(True))
            if not optional and numbers.isna().any():
                raise _fail(table, column, "empty; a whole number is required", numbers.isna())
            out[column] = numbers.astype("float64")
        else:  # date
            try:
                dates = pd.to_datetime(raw.where(~empty, None), errors="raise")
            except (ValueError, TypeError) as exc:
                raise _fail(table, column, f"expected dates (YYYY-MM-DD): {exc}") from None
            if not optional and dates.isna().any():
                raise _fail(table, column, "empty; a date is required", dates.isna())
            out[column] = dates.astype("datetime64[ns]")
    return pd.DataFrame(out)


@dataclass(frozen=True)
class RecruitmentInputs:
    """Everything the engine needs, validated.

    Build with :meth:`build`; the tables keep only the contract's columns, typed (dates as
    ``datetime64[ns]``, counts as floats with NaN for empty, text as strings).

    Attributes
    ----------
    communities, episodes, homes, applicants, partners, unmet
        The tables of the module docstring.
    neighbours
        Community id -> ids of the communities touching it.
    as_of
        The day the figures are for: later records are ignored.
    """

    communities: pd.DataFrame
    episodes: pd.DataFrame
    homes: pd.DataFrame
    applicants: pd.DataFrame
    partners: pd.DataFrame
    unmet: pd.DataFrame
    neighbours: Mapping[str, frozenset[str]]
    as_of: date
    codes: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        communities: pd.DataFrame,
        episodes: pd.DataFrame,
        homes: pd.DataFrame,
        as_of: date,
        applicants: pd.DataFrame | None = None,
        partners: pd.DataFrame | None = None,
        unmet: pd.DataFrame | None = None,
        neighbours: Mapping[str, frozenset[str]] | None = None,
    ) -> RecruitmentInputs:
        """Validate and type the tables.

        Raises
        ------
        TableError
            A missing column, a value of the wrong kind, a duplicate community id, an unknown
            community, an unknown applicant stage; the message names table and column.
        """
        if not isinstance(as_of, date):
            raise TableError(f"as_of: expected a date, got {as_of!r}")
        tables = {
            "communities": _clean("communities", communities),
            "episodes": _clean("episodes", episodes),
            "homes": _clean("homes", homes),
            "applicants": _clean(
                "applicants", empty_table("applicants") if applicants is None else applicants
            ),
            "partners": _clean(
                "partners", empty_table("partners") if partners is None else partners
            ),
            "unmet": _clean("unmet", empty_table("unmet") if unmet is None else unmet),
        }
        ids = tables["communities"]["id"]
        duplicated = ids.duplicated()
        if duplicated.any():
            raise _fail(
                "communities", "id", f"duplicate id {ids[duplicated].iloc[0]!r}", duplicated
            )
        known = set(ids)
        for name in ("episodes", "homes", "applicants", "partners", "unmet"):
            community = tables[name]["community"]
            unknown = community.notna() & ~community.isin(known)
            if unknown.any():
                raise _fail(
                    name, "community", f"unknown community {community[unknown].iloc[0]!r}", unknown
                )
        stages = tables["applicants"]["stage"]
        bad = ~stages.isin(APPLICANT_STAGES)
        if bad.any():
            raise _fail(
                "applicants",
                "stage",
                f"unknown stage {stages[bad].iloc[0]!r}; "
                f"expected one of {', '.join(APPLICANT_STAGES)}",
                bad,
            )
        withdrawn_from = tables["applicants"]["withdrawn_from"]
        bad = withdrawn_from.notna() & ~withdrawn_from.isin(PIPELINE_STAGES[:4])
        if bad.any():
            raise _fail(
                "applicants",
                "withdrawn_from",
                f"expected one of {', '.join(PIPELINE_STAGES[:4])} or empty",
                bad,
            )
        size = tables["episodes"]["group_size"]
        if (size < 1).any():
            raise _fail("episodes", "group_size", "expected 1 or more", size < 1)
        nb: dict[str, frozenset[str]] = {c: frozenset() for c in ids}
        for community, others in (neighbours or {}).items():
            if community in nb:
                nb[community] = frozenset(o for o in others if o in known and o != community)
        codes = {c: i for i, c in enumerate(ids)}
        return cls(
            communities=tables["communities"],
            episodes=tables["episodes"],
            homes=tables["homes"],
            applicants=tables["applicants"],
            partners=tables["partners"],
            unmet=tables["unmet"],
            neighbours=nb,
            as_of=as_of,
            codes=codes,
        )

    @property
    def n_communities(self) -> int:
        return len(self.communities)

    def community_codes(self, column: pd.Series) -> np.ndarray:
        """Index of each row's community in ``communities`` (-1 outside every community)."""
        codes: np.ndarray = column.map(self.codes).fillna(-1).to_numpy(dtype=np.int64)
        return codes
