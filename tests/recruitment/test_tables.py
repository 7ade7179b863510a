"""The input contract: tables are validated once, and a bad one names its table and column."""

from __future__ import annotations

import pandas as pd
import pytest

from recruitment import TableError
from tests.helpers.recruitment import build, communities, home, steady_entries


def test_missing_column_is_named() -> None:
    """A table without a required column says which one, and the expected columns."""
    episodes = pd.DataFrame(steady_entries("A", 2)).drop(columns=["age"])
    with pytest.raises(TableError, match="episodes: column age is missing; expected community"):
        build(episodes.to_dict("records"), communities(("A", 100)))


def test_bad_values_name_the_column_and_row() -> None:
    """A value of the wrong kind names the table, column and first bad row."""
    rows = steady_entries("A", 3)
    rows[2]["group_size"] = 0
    with pytest.raises(TableError, match=r"episodes: column group_size .*1 or more"):
        build(rows, communities(("A", 100)))
    rows[2]["group_size"] = "two"
    with pytest.raises(
        TableError, match=r"episodes: column group_size \(row 2\): expected a whole number"
    ):
        build(rows, communities(("A", 100)))
    rows = steady_entries("A", 3)
    rows[1]["removed_on"] = "yesterday"
    with pytest.raises(TableError, match="episodes: column removed_on: expected dates"):
        build(rows, communities(("A", 100)))


def test_unknown_community_and_duplicate_ids_are_refused() -> None:
    """Rows must name known communities; community ids are unique."""
    with pytest.raises(TableError, match=r"homes: column community .*unknown community 'Q'"):
        build(steady_entries("A", 1), communities(("A", 100)), [home("Q")])
    with pytest.raises(TableError, match=r"communities: column id .*duplicate id 'A'"):
        build([], communities(("A", 100), ("A", 5)))


def test_race_is_refused() -> None:
    """Recruitment never receives race or ethnicity: such a column is an error."""
    rows = steady_entries("A", 2)
    for row in rows:
        row["race"] = "white"
    with pytest.raises(TableError, match="race and ethnicity are never used"):
        build(rows, communities(("A", 100)))


def test_unknown_applicant_stage() -> None:
    """An applicant stage outside the pipeline is refused with the allowed stages."""
    applicants = pd.DataFrame(
        [
            {
                "community": "A",
                "stage": "dreaming",
                "stage_on": "2025-01-01",
                "interests": "",
                "languages": "",
            }
        ]
    )
    with pytest.raises(TableError, match=r"applicants: column stage .*expected one of inquiry"):
        build([], communities(("A", 100)), applicants=applicants)


def test_rows_outside_every_community_are_kept_out_of_community_figures() -> None:
    """An empty community is allowed (outside every polygon) and counted nowhere."""
    rows = [*steady_entries("A", 2), dict(steady_entries("A", 1)[0], community=None)]
    inputs = build(rows, communities(("A", 100)))
    assert inputs.community_codes(inputs.episodes["community"]).tolist()[-1] == -1
