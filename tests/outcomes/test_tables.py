"""The input contract: validation names the frame and column; race/ethnicity is derived."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from outcomes import OutcomeInputError, OutcomeTables, race_ethnicity
from outcomes.tables import AGE_BANDS, RACE_CATEGORIES, age_band
from tests.helpers.outcomes import History


def rebuilt(
    history: History, frame: str, change: Callable[[pd.DataFrame], pd.DataFrame]
) -> OutcomeTables:
    """The history's tables with one frame changed by ``change(frame) -> frame``."""
    tables = history.tables()
    parts = {
        "children": tables.children,
        "episodes": tables.episodes,
        "placements": tables.placements,
        "communities": tables.communities,
    }
    parts[frame] = change(parts[frame].copy())
    return OutcomeTables(**parts)


@pytest.fixture
def small(history: History) -> History:
    """One child, one stay, one placement."""
    history.child("C1").episode("C1", 0, 100, "reunification")
    history.placement("C1", "foster_home", 0, 100, home="H1", community="A")
    return history


def test_missing_column_is_named(small: History) -> None:
    """A frame without a contract column is refused with the frame and column named."""
    with pytest.raises(OutcomeInputError, match="placements: missing column 'started_on'"):
        rebuilt(small, "placements", lambda f: f.drop(columns="started_on"))


def test_unknown_code_is_named_with_the_choices(small: History) -> None:
    """A setting outside the AFCARS list names the value, the row and the choices."""

    def bad(frame: pd.DataFrame) -> pd.DataFrame:
        frame["setting"] = "castle"
        return frame

    with pytest.raises(
        OutcomeInputError,
        match=r"column 'setting': unknown value 'castle' at row 0; expected one of pre_adoptive",
    ):
        rebuilt(small, "placements", bad)


def test_discharge_before_removal_is_refused(small: History) -> None:
    """An episode that ends before it starts is refused."""

    def bad(frame: pd.DataFrame) -> pd.DataFrame:
        frame["discharged_on"] = pd.to_datetime(["2019-01-01"])
        return frame

    with pytest.raises(
        OutcomeInputError, match="episodes: column 'discharged_on' is before 'removed_on'"
    ):
        rebuilt(small, "episodes", bad)


def test_unknown_child_and_bad_date_are_refused(small: History) -> None:
    """Episodes of a child not in children, and a date that is not a date, are refused."""

    def stranger(frame: pd.DataFrame) -> pd.DataFrame:
        frame["child_id"] = "NOBODY"
        return frame

    with pytest.raises(OutcomeInputError, match="'NOBODY' at row 0 is not in children"):
        rebuilt(small, "episodes", stranger)

    def not_a_date(frame: pd.DataFrame) -> pd.DataFrame:
        frame["birth_date"] = ["soon"]
        return frame

    with pytest.raises(
        OutcomeInputError, match="children: column 'birth_date' holds a value that is not a date"
    ):
        rebuilt(small, "children", not_a_date)


def test_discharged_episode_needs_a_reason(small: History) -> None:
    """A discharge without a reason is refused (permanency could not be told)."""

    def no_reason(frame: pd.DataFrame) -> pd.DataFrame:
        frame["discharge_reason"] = None
        return frame

    with pytest.raises(OutcomeInputError, match="'discharge_reason' is empty at row 0"):
        rebuilt(small, "episodes", no_reason)


def test_race_ethnicity_follows_the_afcars_order() -> None:
    """Hispanic first, then two or more races, then the single race, else unknown."""
    history = History()
    history.child("H", race=("black",), hispanic="yes")
    history.child("M", race=("black", "white"), hispanic="no")
    history.child("S", race=("aian",), hispanic="unknown")
    history.child("U", race=("unknown",), hispanic=None)
    history.child("N", race=(), hispanic="no")
    children = history.child("Z").tables().children.iloc[:5]
    codes = race_ethnicity(children)
    assert [RACE_CATEGORIES[c] for c in codes] == [
        "hispanic",
        "two_or_more",
        "aian",
        "unknown",
        "unknown",
    ]


def test_age_bands_follow_the_outcome_bands() -> None:
    """0 is under_1, 1-5, 6-12, 13-17; 18 and over fall past the last band."""
    ages = [0, 1, 5, 6, 12, 13, 17, 18, 20]
    assert age_band(ages).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert len(AGE_BANDS) == 4
