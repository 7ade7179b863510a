"""Every measure on hand-built histories whose answers are worked out in the comments."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pytest

from geo.distance import haversine_km
from outcomes import OutcomeReport, evaluate
from tests.helpers.outcomes import NO_SUPPRESSION, PERIOD, POINTS, History, day


def cell(
    report: OutcomeReport, key: str, breakdown: str = "overall", group: str = "all"
) -> dict[str, Any]:
    """The cell of one measure and group as a dict."""
    rows = report.cells
    row = rows[
        (rows["measure"] == key) & (rows["breakdown"] == breakdown) & (rows["group"] == group)
    ]
    assert len(row) == 1, (key, breakdown, group)
    values: dict[str, Any] = row.iloc[0].to_dict()
    return values


def run(history: History, by: tuple[str, ...] = (), **period: date) -> OutcomeReport:
    """Evaluate without suppression over the first year (day 0 to 364)."""
    return evaluate(
        history.tables(),
        by=by,
        settings=NO_SUPPRESSION,
        trends=False,
        start=period.get("start", PERIOD["start"]),
        end=period.get("end", PERIOD["end"]),
        as_of=period.get("as_of", PERIOD["as_of"]),
    )


def test_entries_per_1000_counts_first_entries_and_skips_short_stays_and_adults(
    history: History,
) -> None:
    """Entry rate: first entry in the period per 1,000 children; 7-day stays and 18+ left out."""
    for child in ("C1", "C2", "C3", "C4", "C5", "C6"):
        history.child(child)
    history.child("ADULT", born=date(2001, 1, 1))
    history.episode("C1", 10, 100, "reunification")
    history.episode("C1", 200)  # a second entry in the period: the child counts once
    history.episode("C2", 20, community="B")
    history.episode("C3", 30, 37, "reunification")  # 7 days: excluded
    history.episode("C4", 40, 48, "reunification")  # 8 days: counted
    history.episode("C5", -50)  # entered before the period
    history.episode("C6", 400)  # entered after the period
    history.episode("ADULT", 50)  # entered at 19
    report = run(history, by=("community",))
    overall = cell(report, "entries_per_1000")
    assert overall["numerator"] == 3  # C1, C2, C4
    assert overall["denominator"] == 15_000
    assert overall["value"] == pytest.approx(3 / 15_000 * 1000)
    assert cell(report, "entries_per_1000", "community", "A")["value"] == pytest.approx(0.2)
    assert cell(report, "entries_per_1000", "community", "B")["value"] == pytest.approx(0.2)


def test_own_community_and_distance_use_the_first_placement_with_an_address(
    history: History,
) -> None:
    """First placement in own community: the shelter before the first home is skipped."""
    history.child("C1").child("C2")
    history.episode("C1", 0)
    history.placement("C1", "shelter", 0, 5)
    history.placement("C1", "foster_home", 5, None, home="H1", community="A")
    history.episode("C2", 0)
    history.placement("C2", "kin_home", 0, 100, home="H2", community="B")
    history.placement("C2", "foster_home", 100, None, home="H3", community="A")
    report = run(history)
    first = cell(report, "own_community_first")
    assert (first["numerator"], first["denominator"]) == (1, 2)
    ab = float(haversine_km(*POINTS["A"], *POINTS["B"]))
    assert cell(report, "distance_first_km")["value"] == pytest.approx(ab / 2)
    # on day 364 both children live in community A
    current = cell(report, "own_community_current")
    assert (current["numerator"], current["denominator"]) == (2, 2)
    assert cell(report, "distance_current_km")["value"] == pytest.approx(0.0)


def test_congregate_children_days_first_and_point_in_time(history: History) -> None:
    """Congregate care: share of children, of care days, of first placements and on the last day."""
    history.child("C1").child("C2")
    # C1: 100 days in a group home, then a foster home until day 200 (discharged)
    history.episode("C1", 0, 200, "reunification")
    history.placement("C1", "group_home", 0, 100)
    history.placement("C1", "foster_home", 100, 200, home="H1", community="A")
    # C2: a foster home all year, in an institution from day 300 and still there
    history.episode("C2", 0)
    history.placement("C2", "foster_home", 0, 300, home="H2", community="A")
    history.placement("C2", "institution", 300, None)
    report = run(history)
    assert cell(report, "congregate_children")["value"] == pytest.approx(100.0)
    days = cell(report, "congregate_days")
    # care days: C1 200 + C2 365; congregate: 100 + 65
    assert (days["numerator"], days["denominator"]) == (165, 565)
    first = cell(report, "congregate_first")
    assert (first["numerator"], first["denominator"]) == (1, 2)
    point = cell(report, "congregate_point")
    assert (point["numerator"], point["denominator"]) == (1, 1)


def test_shelter_is_not_congregate_by_default(history: History) -> None:
    """The issue's congregate care is group homes and institutions, not shelters."""
    history.child("C1")
    history.episode("C1", 0)
    history.placement("C1", "shelter", 0)
    report = run(history)
    assert cell(report, "congregate_first")["value"] == 0.0


def test_length_of_stay_kaplan_meier_censors_open_stays_and_exits_at_18(
    history: History,
) -> None:
    """Median and restricted mean stay by Kaplan-Meier on four entries worked by hand."""
    history.child("C1").child("C2").child("C3")
    history.child("OLD", born=date(2002, 3, 11))  # 18 on 2020-03-11 = day 70
    history.episode("C1", 0, 10, "reunification")  # exit at day 10
    history.episode("C2", 0, 30, "adoption")  # exit at day 30
    history.episode("C3", 0, 40, "guardianship")  # exit at day 40
    history.episode("OLD", 0, 70, "emancipation")  # exit on the 18th birthday: censored at 70
    settings = NO_SUPPRESSION.with_changes(restricted_mean_days=40)
    report = evaluate(history.tables(), settings=settings, trends=False, **PERIOD)
    # S: 3/4 after day 10, 3/4 * 2/3 = 1/2 after day 30 -> median 30;
    # area to 40: 10 * 1 + 20 * 0.75 + 10 * 0.5 = 30
    assert cell(report, "stay_median_days")["value"] == 30.0
    assert cell(report, "stay_restricted_mean_days")["value"] == pytest.approx(30.0)


def test_permanency_and_reunification_in_12_months(history: History) -> None:
    """Permanency: trial-home-visit days beyond 30 do not count; an exit at 18 is not permanency."""
    for child in ("A", "B", "C", "E"):
        history.child(child)
    history.child("D", born=date(2002, 7, 19))  # 18th birthday on day 200 (2020-07-19)
    history.episode("A", 0, 200, "reunification")  # yes, reunification
    history.episode("B", 0, 400, "adoption")  # no: after 12 months
    # C: trial home visit from day 300, discharged day 380: counted as day 330 -> within 12 months
    history.episode("C", 0, 380, "reunification")
    history.placement("C", "foster_home", 0, 300, home="H1", community="A")
    history.placement("C", "trial_home_visit", 300, 380)
    history.episode("D", 0, 200, "reunification")  # on the 18th birthday: not permanency
    history.episode("E", 0, 100, "guardianship")  # yes
    report = run(history)
    perm = cell(report, "permanency_12m")
    assert (perm["numerator"], perm["denominator"]) == (3, 5)  # A, C, E
    reun = cell(report, "reunification_12m")
    assert (reun["numerator"], reun["denominator"]) == (2, 5)  # A, C


def test_a_short_trial_home_visit_keeps_the_real_discharge_date(history: History) -> None:
    """A trial home visit of 30 days or fewer does not move the discharge date."""
    history.child("C")
    history.episode("C", 0, 380, "reunification")
    history.placement("C", "foster_home", 0, 355, home="H1", community="A")
    history.placement("C", "trial_home_visit", 355, 380)
    assert cell(run(history), "permanency_12m")["numerator"] == 0


def test_twelve_month_measures_leave_out_entries_not_yet_followed(history: History) -> None:
    """An entry with less than 12 months of follow-up is not in the 12-month denominators."""
    history.child("C1").child("C2")
    history.episode("C1", 0, 50, "reunification")
    history.episode("C2", 300, 320, "reunification")
    report = run(history, as_of=day(600))  # C2 is followed only until day 600 < 300 + 365
    perm = cell(report, "permanency_12m")
    assert (perm["numerator"], perm["denominator"]) == (1, 1)
    assert any("not yet been followed" in note for note in report.notes)


def test_reentry_counts_returns_within_12_months_and_never_after_adoption(
    history: History,
) -> None:
    """Re-entry: after reunification, relatives or guardianship only; adoption exits excluded."""
    for child in ("R", "ADOPTED", "G", "LATE"):
        history.child(child)
    history.episode("R", 0, 100, "reunification")
    history.episode("R", 200)  # back within 12 months: a re-entry
    history.episode("ADOPTED", 0, 150, "adoption")
    history.episode("ADOPTED", 180)  # re-entry after adoption: not in the measure
    history.episode("G", 0, 120, "guardianship")  # stays home
    history.episode("LATE", 0, 100, "relative")
    history.episode("LATE", 500)  # back after 400 days: not within 12 months
    report = run(history)
    reentry = cell(report, "reentry_12m")
    assert (reentry["numerator"], reentry["denominator"]) == (1, 3)  # R of R, G, LATE


def test_moves_per_1000_days_with_two_moves_on_one_day(history: History) -> None:
    """Moves: two moves on one day count twice; trial home visit, runaway and respite do not."""
    history.child("C")
    history.episode("C", 0, 100, "reunification")
    history.placement("C", "foster_home", 0, 10, home="H1", community="A")  # first: not a move
    history.placement("C", "foster_home", 10, 10, home="H2", community="A")  # move 1
    history.placement("C", "foster_home", 10, 20, home="H3", community="A")  # move 2, same day
    history.placement("C", "trial_home_visit", 20, 25)  # not a move
    history.placement("C", "foster_home", 25, 40, home="H3", community="A")  # back: not a move
    history.placement("C", "runaway", 40, 42)  # not a move
    history.placement("C", "foster_home", 42, 50, home="H4", community="A", end_reason="respite")
    history.placement("C", "group_home", 50, 100)  # move 3
    report = run(history)
    moves = cell(report, "moves_per_1000_days")
    assert (moves["numerator"], moves["denominator"]) == (3, 100)
    assert moves["value"] == pytest.approx(30.0)


def test_moves_stop_at_the_18th_birthday(history: History) -> None:
    """Days and moves from the 18th birthday on are not counted."""
    history.child("T", born=date(2002, 2, 20))  # 18 on day 50
    history.episode("T", 0)
    history.placement("T", "foster_home", 0, 20, home="H1", community="A")
    history.placement("T", "foster_home", 20, 60, home="H2", community="A")  # move before 18
    history.placement("T", "group_home", 60)  # after 18: not counted
    moves = cell(run(history), "moves_per_1000_days")
    assert (moves["numerator"], moves["denominator"]) == (1, 50)


def test_siblings_placed_all_and_partly_together(history: History) -> None:
    """Siblings: a group of three split 2+1 and a pair together; a lone sibling is not counted."""
    for child in ("G1a", "G1b", "G1c"):
        history.child(child, group="G1")
    for child in ("G2a", "G2b"):
        history.child(child, group="G2")
    history.child("G3a", group="G3").child("G3b", group="G3")
    for child, home in (("G1a", "H1"), ("G1b", "H1"), ("G1c", "H2"), ("G2a", "H5"), ("G2b", "H5")):
        history.episode(child, 0)
        history.placement(child, "foster_home", 0, home=home, community="A")
    history.episode("G3a", 0)
    history.placement("G3a", "foster_home", 0, home="H9", community="A")
    history.episode("G3b", 0, 100, "reunification")  # home on the last day
    report = run(history)
    together_all = cell(report, "siblings_all")
    together_some = cell(report, "siblings_some")
    assert (together_all["numerator"], together_all["denominator"]) == (2, 5)
    assert (together_some["numerator"], together_some["denominator"]) == (4, 5)


def test_breakdowns_use_age_at_entry_sex_and_derived_race(history: History) -> None:
    """By age band, sex and race: each entry falls in its group; groups sum to the overall."""
    history.child("BABY", born=date(2019, 6, 1), sex="male", race=("white",), hispanic="yes")
    history.child("KID", born=date(2015, 1, 1), race=("black", "white"))
    history.child("TEEN", born=date(2005, 1, 1), race=("asian",))
    for child in ("BABY", "KID", "TEEN"):
        history.episode(child, 10)
    report = run(history, by=("race", "sex", "age"))
    assert cell(report, "entries_per_1000", "age", "under_1")["numerator"] == 1
    assert cell(report, "entries_per_1000", "age", "1-5")["numerator"] == 1
    assert cell(report, "entries_per_1000", "age", "13-17")["numerator"] == 1
    assert cell(report, "entries_per_1000", "sex", "male")["numerator"] == 1
    assert cell(report, "entries_per_1000", "race", "hispanic")["numerator"] == 1
    assert cell(report, "entries_per_1000", "race", "two_or_more")["numerator"] == 1
    assert cell(report, "entries_per_1000", "race", "asian")["numerator"] == 1
    assert math.isnan(cell(report, "entries_per_1000", "race", "asian")["value"])  # no population


def test_a_re_entry_in_the_same_period_is_not_a_second_entry_in_the_cohort(
    history: History,
) -> None:
    """The entry cohort holds each child's first entry of the period."""
    history.child("C")
    history.episode("C", 0, 100, "reunification")
    history.episode("C", 150, 300, "reunification")
    report = run(history)
    assert cell(report, "entries_per_1000")["numerator"] == 1
    assert cell(report, "permanency_12m")["denominator"] == 1


def test_trend_gives_each_measure_by_year(history: History) -> None:
    """The trend has one row per year and measure, with that year's entries."""
    for child in ("C1", "C2", "C3"):
        history.child(child)
    history.episode("C1", 10, 100, "reunification")  # 2020
    history.episode("C2", 400, 500, "reunification")  # 2021
    history.episode("C3", 420)  # 2021
    report = evaluate(history.tables(), settings=NO_SUPPRESSION, as_of=day(800))
    entries = report.trends[report.trends["measure"] == "entries_per_1000"].set_index("year")
    assert list(entries.index) == [2020, 2021, 2022]
    assert entries.loc[2020, "numerator"] == 1
    assert entries.loc[2021, "numerator"] == 2
    assert entries.loc[2022, "numerator"] == 0


def test_empty_records_give_an_empty_report() -> None:
    """No episodes at all: every count is zero and every rate undefined, without an error."""
    report = evaluate(History().child("C").tables(), settings=NO_SUPPRESSION)
    assert cell(report, "entries_per_1000")["numerator"] == 0
    assert math.isnan(cell(report, "permanency_12m")["value"])
