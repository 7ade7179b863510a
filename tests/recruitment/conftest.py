"""Hand-built histories for the recruitment engine: tiny areas with answers known by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

from recruitment import RecruitmentInputs, RecruitmentPolicy, load_recruitment_policy
from recruitment.tables import empty_table

AS_OF = date(2026, 1, 1)


def days_back(years: float) -> date:
    """The day ``years`` (of 365.25 days) before AS_OF."""
    return AS_OF - timedelta(days=round(years * 365.25))


def steady_entries(
    community: str, per_year: int, years: int = 5, stay_years: float | None = 0.5, **cells: Any
) -> list[dict[str, Any]]:
    """Entries spread evenly over ``years``, each staying ``stay_years`` (None: still in care)."""
    rows = []
    for j in range(years):
        for i in range(per_year):
            back = j + (i + 0.5) / per_year
            removed = days_back(back)
            discharged = None
            if stay_years is not None and back > stay_years:
                discharged = removed + timedelta(days=round(stay_years * 365.25))
            rows.append(
                {
                    "community": community,
                    "removed_on": removed,
                    "discharged_on": discharged,
                    "age": cells.get("age", 8),
                    "group_size": cells.get("group_size", 1),
                    "needs": cells.get("needs", ""),
                    "language": cells.get("language", "en"),
                }
            )
    return rows


def communities(*specs: tuple[str, int | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"id": cid, "name": f"Area {cid}", "child_population": pop} for cid, pop in specs]
    )


def home(community: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "community": community,
        "kind": "foster",
        "status": "active",
        "capacity": 2,
        "free_beds": 1,
        "age_min": 0,
        "age_max": 17,
        "max_siblings": 2,
        "capabilities": "",
        "languages": "en",
        "licensed_on": days_back(2.5),
        "closed_on": None,
    }
    row.update(values)
    return row


def build(
    episodes: list[dict[str, Any]],
    areas: pd.DataFrame,
    homes: list[dict[str, Any]] | None = None,
    **tables: Any,
) -> RecruitmentInputs:
    empty_homes = pd.DataFrame([home("x")]).iloc[0:0]
    return RecruitmentInputs.build(
        communities=areas,
        episodes=pd.DataFrame(episodes) if episodes else empty_table("episodes"),
        homes=pd.DataFrame(homes) if homes else empty_homes,
        as_of=tables.pop("as_of", AS_OF),
        **tables,
    )


@pytest.fixture
def plain_policy() -> RecruitmentPolicy:
    """The shipped policy with scenario shares that keep the arithmetic visible."""
    return replace(
        load_recruitment_policy(),
        family_share=1.0,
        kin_share=0.0,
        own_community_target=1.0,
        suppression_threshold=0,
        max_trend_factor=1.5,
    )
