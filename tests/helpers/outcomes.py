"""Hand-built histories for the outcome measures, one line per record.

Two communities: A (10,000 children) around the removal address ``HOME_A`` and B (5,000
children) about 11 km north. Days are given as offsets from ``DAY0`` (1 January 2020) so a
test reads "removed on day 0, reunified on day 200". The records date (as-of) is day 2000
unless a test says otherwise, so every 12-month follow-up is complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypedDict

import pandas as pd

from outcomes import OutcomeSettings, OutcomeTables
from outcomes.tables import EPISODE_COLUMNS, PLACEMENT_COLUMNS

DAY0 = date(2020, 1, 1)
AS_OF = DAY0 + timedelta(days=2000)
POINTS = {"A": (41.80, -87.65), "B": (41.90, -87.65)}
POPULATION = {"A": 10_000.0, "B": 5_000.0}
NO_SUPPRESSION = OutcomeSettings(suppress_below=1)


def day(offset: int) -> date:
    """The date ``offset`` days after DAY0."""
    return DAY0 + timedelta(days=offset)


class Period(TypedDict):
    """The window of a report, as ``evaluate`` takes it."""

    start: date
    end: date
    as_of: date


# the first year (day 0 to 364), with every 12-month follow-up complete
PERIOD: Period = {"start": day(0), "end": day(364), "as_of": AS_OF}


class History:
    """Records added a line at a time; :meth:`tables` turns them into the engine's frames."""

    def __init__(self) -> None:
        self.children: list[dict[str, object]] = []
        self.episodes: list[dict[str, object]] = []
        self.placements: list[dict[str, object]] = []

    def child(
        self,
        child_id: str,
        *,
        born: date = date(2012, 6, 1),
        sex: str = "female",
        race: Sequence[str] = ("black",),
        hispanic: str | None = "no",
        group: str | None = None,
    ) -> History:
        row: dict[str, object] = {
            "child_id": child_id,
            "birth_date": born,
            "sex": sex,
            "hispanic": hispanic,
            "sibling_group_id": group,
        }
        for flag in ("aian", "asian", "black", "nhpi", "white", "unknown"):
            row[f"race_{flag}"] = flag in race
        self.children.append(row)
        return self

    def episode(
        self,
        child_id: str,
        removed: int,
        discharged: int | None = None,
        reason: str | None = None,
        *,
        community: str | None = "A",
    ) -> History:
        lat, lon = POINTS[community or "A"]
        self.episodes.append(
            {
                "child_id": child_id,
                "removed_on": day(removed),
                "discharged_on": None if discharged is None else day(discharged),
                "discharge_reason": reason,
                "removal_community_id": community,
                "removal_latitude": lat,
                "removal_longitude": lon,
            }
        )
        return self

    def placement(
        self,
        child_id: str,
        setting: str,
        start: int,
        end: int | None = None,
        *,
        home: str | None = None,
        community: str | None = None,
        end_reason: str | None = None,
    ) -> History:
        lat, lon = POINTS[community] if community else (float("nan"), float("nan"))
        self.placements.append(
            {
                "child_id": child_id,
                "setting": setting,
                "started_on": day(start),
                "ended_on": None if end is None else day(end),
                "home_id": home,
                "end_reason": end_reason,
                "latitude": lat,
                "longitude": lon,
                "community_id": community,
            }
        )
        return self

    def tables(self) -> OutcomeTables:
        children = pd.DataFrame(self.children)
        children["birth_date"] = pd.to_datetime(children["birth_date"])
        episodes = pd.DataFrame(self.episodes, columns=list(EPISODE_COLUMNS))
        for column in ("removed_on", "discharged_on"):
            episodes[column] = pd.to_datetime(episodes[column])
        placements = pd.DataFrame(self.placements, columns=list(PLACEMENT_COLUMNS))
        for column in ("started_on", "ended_on"):
            placements[column] = pd.to_datetime(placements[column])
        for column in ("latitude", "longitude"):
            placements[column] = placements[column].astype("float64")
        communities = pd.DataFrame(
            {
                "community_id": list(POINTS),
                "name": ["Alpha", "Beta"],
                "child_population": [POPULATION[c] for c in POINTS],
            }
        )
        return OutcomeTables(
            children=children, episodes=episodes, placements=placements, communities=communities
        )
