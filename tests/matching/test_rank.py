"""Ranked matches on tiny named instances: kin first, whole groups first, near misses, the §12 shape."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import TYPE_CHECKING

import pytest

from matching import InputError, PlacedSibling, RankResult

if TYPE_CHECKING:
    from tests.helpers.town import Town


def ids(result: RankResult) -> list[str]:
    return [c.home_id for c in result.candidates]


def test_kin_forty_km_away_outranks_a_foster_home_next_door(town: Town) -> None:
    """Two homes, one kin 40 km away and one foster home 1 km away speaking the child's language: kin wins."""
    child = town.child(languages=("es",))
    homes = [
        town.home("H-near", km=1.0, languages=("es",)),
        town.home("H-kin", km=40.0, kind="kin", kin_of=frozenset({"C1"}), languages=("en",)),
    ]
    result = town.rank([child], homes)
    assert ids(result) == ["H-kin", "H-near"]
    assert result.candidates[0].distance_km == 40.0
    # kin first is a band, not a weight: without the kinship weight kin scores lower, still first
    unweighted = dataclasses.replace(town.policy.weights, kinship=0.0)
    policy = dataclasses.replace(town.policy, weights=unweighted)
    result = town.rank([child], homes, policy)
    assert ids(result) == ["H-kin", "H-near"]
    assert result.candidates[0].score < result.candidates[1].score


def test_provisionally_approved_kin_still_comes_first(town: Town) -> None:
    """A relative not yet licensed outranks a licensed foster home, and is shown as provisional."""
    homes = [
        town.home("H-foster", km=0.5),
        town.home("H-gran", km=8.0, kind="kin", kin_of=frozenset({"C1"}), licensed=False),
    ]
    first = town.rank([town.child()], homes).candidates[0]
    assert (first.home_id, first.kin, first.licensed) == ("H-gran", True, False)
    assert first.to_json()["licensed"] is False


def test_a_home_for_the_whole_group_outranks_a_closer_home_for_part_of_it(town: Town) -> None:
    """Three siblings: a home 20 km away takes all three, one 1 km away takes two; the whole-group home is first."""
    group = [town.child(f"C{i}") for i in (1, 2, 3)]
    homes = [
        town.home("H-part", km=1.0, capacity=2, free_beds=2),
        town.home("H-whole", km=20.0, capacity=3, free_beds=3),
    ]
    result = town.rank(group, homes)
    assert ids(result) == ["H-whole", "H-part"]
    assert [c.takes_all_siblings for c in result.candidates] == [True, False]
    assert result.candidates[1].children == ("C1", "C2")
    assert (result.whole_group_homes, result.eligible_homes) == (1, 2)
    assert result.message is None


def test_kin_of_the_group_comes_before_non_kin_even_for_part_of_it(town: Town) -> None:
    """A grandmother with one free bed outranks a foster home taking both siblings: kin first, then whole groups."""
    group = [town.child("C1"), town.child("C2")]
    homes = [
        town.home("H-foster", capacity=2, free_beds=2),
        town.home("H-gran", kind="kin", kin_of=frozenset({"C1", "C2"})),
    ]
    result = town.rank(group, homes)
    assert ids(result) == ["H-gran", "H-foster"]
    assert [c.takes_all_siblings for c in result.candidates] == [False, True]


def test_a_split_prefers_the_children_the_home_is_kin_of(town: Town) -> None:
    """An aunt of C2 only, with one bed, takes C2 (not C1, first by id)."""
    group = [town.child("C1"), town.child("C2")]
    aunt = town.home("H-aunt", kind="kin", kin_of=frozenset({"C2"}))
    result = town.rank(group, [aunt])
    assert result.candidates[0].children == ("C2",)
    assert result.candidates[0].factors[0].reason == "kin, named for C2".replace(",", ":")


def test_a_group_that_no_home_takes_whole_is_explained(town: Town) -> None:
    """Three siblings and only two-bed homes: the message says the group would be split and what is closest."""
    group = [town.child(f"C{i}") for i in (1, 2, 3)]
    homes = [
        town.home("H1", capacity=2, free_beds=2),
        town.home("H2", capacity=3, free_beds=3, max_siblings=2),
    ]
    result = town.rank(group, homes)
    assert result.whole_group_homes == 0
    assert result.message == (
        "No home can take all 3 children together; the eligible homes take part of the group "
        '(kept from the whole group by: "Enough free beds" 1, '
        '"Sibling group within the home\'s limit" 1). Nearest near misses: '
        "1 home would take all 3 children with 1 more free bed; "
        "1 home would take all 3 children if it accepted 3 siblings."
    )
    assert [(m.home_id, m.rule, m.detail) for m in result.near_misses] == [
        ("H1", "no_free_bed", "2 free beds; the group needs 3"),
        ("H2", "max_siblings", "takes at most 2 siblings; the group has 3"),
    ]


def test_nothing_within_the_radius_names_the_radius_that_would_work(town: Town) -> None:
    """Homes at 26, 28, 30.2 and 45 km: 3 homes would qualify with a 31 km radius."""
    homes = [town.home(f"H{km}", km=km) for km in (26.0, 28.0, 30.2, 45.0)]
    result = town.rank([town.child()], homes)
    assert result.eligible_homes == 0 and result.candidates == ()
    assert result.suggestions == ("3 homes would qualify with a 31 km radius",)
    assert result.message == (
        'No home qualifies for C1: the rule "Within the search radius (kin exempt)" removed the '
        "most homes (4 of 4). Nearest near misses: 3 homes would qualify with a 31 km radius."
    )
    assert [(m.home_id, m.detail) for m in result.near_misses] == [
        ("H26.0", "26.0 km; the radius is 25 km"),
        ("H28.0", "28.0 km; the radius is 25 km"),
        ("H30.2", "30.2 km; the radius is 25 km"),
    ]


def test_near_misses_on_age_beds_and_sex_say_what_would_qualify(town: Town) -> None:
    """Two homes for 0-11 and one for 0-14 miss a 15-year-old; a full home and a boys' home miss too."""
    homes = [
        town.home("H1", age_min=0, age_max=11),
        town.home("H2", age_min=0, age_max=11),
        town.home("H3", age_min=0, age_max=14),
        town.home("H4", free_beds=0, capacity=2),
        town.home("H5", accepts_sex="male"),
        town.home("H6", age_min=0, age_max=11, accepts_sex="male"),  # two rules: no near miss
    ]
    result = town.rank([town.child(age=15)], homes)
    assert result.suggestions == (
        "1 home would qualify with a free bed",
        "1 home would qualify if it accepted female children",
        "3 homes would qualify if they accepted age 15",
    )
    assert {m.home_id for m in result.near_misses} == {"H1", "H2", "H3", "H4", "H5"}
    detail = {m.home_id: m.detail for m in result.near_misses}
    assert detail["H3"] == "takes ages 0-14; the child is 15"
    assert detail["H5"] == "accepts male children only; the child is female"
    assert detail["H4"] == "no free bed; the child needs 1"
    assert result.message is not None
    assert result.message.startswith(
        'No home qualifies for C1: the rule "Age within the home\'s range"'
    )


def test_closed_homes_are_not_named_as_the_main_reason(town: Town) -> None:
    """Many closed homes and one far home: the message names the radius, not "Home active"."""
    homes = [town.home(f"H{i}", status="closed") for i in range(5)] + [town.home("H9", km=90.0)]
    result = town.rank([town.child()], homes)
    assert result.message is not None and "search radius" in result.message
    assert result.near_misses == ()


def test_the_json_has_the_ranked_matches_shape_of_design_section_12(town: Town) -> None:
    """Every key of the §12 example is present, with the same types, and it serialises."""
    group = [town.child("C1"), town.child("C2")]
    homes = [
        town.home("H1", capacity=2, free_beds=2),
        town.home("H2", km=30.0, capacity=2, free_beds=2),
    ]
    data = json.loads(json.dumps(town.rank(group, homes).to_json()))
    assert {"children", "eligible_homes", "excluded", "near_misses", "candidates"} <= set(data)
    assert data["children"] == ["C1", "C2"]
    assert isinstance(data["eligible_homes"], int)
    assert all(isinstance(v, int) for v in data["excluded"].values())
    assert data["near_misses"][0].keys() >= {"home_id", "rule", "detail"}
    candidate = data["candidates"][0]
    assert candidate.keys() >= {
        "rank",
        "home_id",
        "score",
        "takes_all_siblings",
        "distance_km",
        "community",
        "kin",
        "icwa_tier",
        "factors",
    }
    assert (candidate["rank"], candidate["community"], candidate["icwa_tier"]) == (
        1,
        "Lower West Side",
        None,
    )
    assert 0.0 <= candidate["score"] <= 1.0
    assert candidate["factors"][0].keys() >= {"name", "value", "weight", "contribution", "reason"}


def test_the_summary_is_a_readable_table(town: Town) -> None:
    """summary() names the children, the homes, the exclusions and the near misses."""
    homes = [town.home("H1", km=2.1), town.home("H2", km=26.0), town.home("H3", status="on_hold")]
    text = town.rank([town.child()], homes).summary()
    assert text.splitlines()[0] == "Matches for C1: 1 of 3 homes eligible"
    assert "H1" in text and "Lower West Side" in text
    assert "same community: Lower West Side" in text
    assert "Excluded: Home active (licensed, or kin provisionally approved) 1" in text
    assert "H2: 26.0 km; the radius is 25 km" in text


def test_the_same_children_and_homes_in_any_order_give_the_same_result(town: Town) -> None:
    """Shuffling the children and the homes changes nothing; equal scores are ordered by home id."""
    a, b = town.child("C1"), town.child("C2")
    homes = [town.home(f"H{i}", km=2.0, capacity=2, free_beds=2) for i in (3, 1, 2)]
    first = town.rank([a, b], homes).to_json()
    second = town.rank([b, a], list(reversed(homes))).to_json()
    assert first == second
    assert [c["home_id"] for c in first["candidates"]] == ["H1", "H2", "H3"]


def test_limit_cuts_the_list_not_the_counts(town: Town) -> None:
    """limit=1 returns one candidate but counts every eligible home; a negative limit is refused."""
    homes = [town.home(f"H{i}", km=float(i)) for i in range(1, 5)]
    result = town.rank([town.child()], homes, limit=1)
    assert (len(result.candidates), result.eligible_homes) == (1, 4)
    assert town.rank([town.child()], homes, limit=0).candidates == ()
    with pytest.raises(ValueError, match="limit must be a whole number >= 0"):
        town.rank([town.child()], homes, limit=-1)


def test_an_unknown_community_is_an_input_error(town: Town) -> None:
    """A child removed in a community the engine was not told about names the child and field."""
    with pytest.raises(InputError, match="Child C1: removal_community: unknown community 'Z'"):
        town.rank([town.child(removal_community="Z")], [town.home("H1")])
    with pytest.raises(InputError, match="Home H1: community: unknown community 'Z'"):
        town.rank([town.child()], [town.home("H1", community="Z")])


def test_no_homes_at_all(town: Town) -> None:
    """An empty snapshot gives an empty, explained result."""
    result = town.rank([town.child()], [])
    assert result.eligible_homes == 0
    assert result.message == "No home qualifies for C1: there are no homes to consider."


def test_a_spanish_only_teenager_hears_what_counts_against_every_home(town: Town) -> None:
    """A Spanish-only 17-year-old and 30 homes that speak no Spanish: every candidate lists
    "does not speak Spanish" against it, in the summary's "against" column and the JSON."""
    teen = town.child(age=17, languages=("es",))
    homes = [town.home(f"H{i:02}", km=1.0 + i / 10) for i in range(30)]
    result = town.rank([teen], homes, limit=5)
    not_spoken = "does not speak Spanish, the child's first language"
    summary = result.summary()
    header = next(line for line in summary.splitlines() if line.strip().startswith("#"))
    assert header.split()[-2:] == ["why", "against"]
    rows = [line for line in summary.splitlines() if line.split()[0].isdigit()]
    assert len(rows) == 5 and all(not_spoken in row for row in rows)
    data = json.loads(json.dumps(result.to_json()))
    for candidate in data["candidates"]:
        assert not_spoken in candidate["against"]
        assert not_spoken not in candidate["for"]
        said = {m["key"] for m in candidate["against_i18n"]}
        assert "language.not_first" in said
        assert len(candidate["for_i18n"]) == len(candidate["for"])


def test_a_reason_is_for_or_against_a_home_never_both(town: Town) -> None:
    """Factors above one half speak for a home, below one half count against it, kinship's
    absence is neither, and each list names a reason once."""
    child = town.child(languages=("es",), age=15)
    far_big = town.home("H1", km=12.0, community="C", capacity=4, free_beds=4, languages=("es",))
    (candidate,) = town.rank([child], [far_big]).candidates
    against = {f.name for f in candidate.reasons_against}
    assert {f.name for f in candidate.reasons_for} == {"language", "load_spreading"}
    # distance is said inside the community's reason ("12.0 km ..., another community")
    assert against == {"same_community", "age_fit", "capacity_fit"}
    assert all(f.value < 0.5 for f in candidate.reasons_against)
    assert "kinship" not in against


def test_waiting_rows_say_days_waited_and_a_coming_18th_birthday(town: Town) -> None:
    """Turning 18 in 100 days is shown (date and days), in 200 days is not; unknown waiting
    is None; the summary says both."""
    soon = town.child(
        "C1", age=17, birth_date=date(2008, 6, 9), waiting_since=date(2025, 3, 1), sibling_group="G"
    )
    later = town.child("C2", age=17, birth_date=date(2008, 9, 17), sibling_group="G")
    result = town.rank([soon, later], [town.home("H1", capacity=2, free_beds=2)])
    rows = result.to_json()["waiting"]
    assert rows == [
        {
            "child_id": "C1",
            "waited_days": 365,
            "turns_18_on": "2026-06-09",
            "icwa": False,
            "best_icwa_tier": None,
            "best_icwa_home": None,
        },
        {
            "child_id": "C2",
            "waited_days": None,
            "turns_18_on": None,
            "icwa": False,
            "best_icwa_tier": None,
            "best_icwa_home": None,
        },
    ]
    lines = result.summary().splitlines()
    assert lines[1:3] == [
        "  C1: waiting 365 days; turns 18 on 2026-06-09 (in 100 days)",
        "  C2: waiting time not on record",
    ]


def test_a_waiting_row_gives_each_icwa_childs_best_tier_and_home(town: Town) -> None:
    """An ICWA girl and her non-ICWA brother: her row names tier 3 and the better-scoring of two
    Indian homes; his row has no tier."""
    her = town.child("C1", icwa="yes", tribe="Oneida Nation", sibling_group="G")
    him = town.child("C2", sex="male", sibling_group="G")
    homes = [
        town.home("H-far", km=9.0, capacity=2, free_beds=2, tribe="Ho-Chunk Nation"),
        town.home("H-near", km=2.0, capacity=2, free_beds=2, tribe="Ho-Chunk Nation"),
        town.home("H-plain", km=1.0, capacity=2, free_beds=2),
    ]
    result = town.rank([her, him], homes)
    her_row, his_row = result.waiting
    assert (her_row.icwa, her_row.best_icwa_tier, her_row.best_icwa_home) == (True, 3, "H-near")
    assert result.icwa_best == {"C1": her_row.best_icwa_tier}  # the tier she is proposed
    assert (his_row.icwa, his_row.best_icwa_tier, his_row.best_icwa_home) == (False, None, None)
    assert (
        "C1: waiting time not on record; ICWA: best tier 3 (H-near)"
        in town.rank([her, him], homes).summary()
    )


def test_a_full_kin_home_comes_first_among_near_misses(town: Town) -> None:
    """The grandmother's full home 40 km away is listed before four full foster homes next
    door, labelled kin, with her relationship and the sister who already lives there."""
    sister = PlacedSibling("C9", "female", "H-gran")
    child = town.child(sex="male", placed_siblings=frozenset({sister}))
    gran = town.home(
        "H-gran",
        km=40.0,
        kind="kin",
        kin_of=frozenset({"C1"}),
        kin_relationship="grandmother",
        capacity=2,
        free_beds=0,
    )
    full = [town.home(f"H{i}", km=0.5 + i, free_beds=0, capacity=1) for i in range(4)]
    result = town.rank([child], [*full, gran, town.home("H-open", km=3.0)])
    first = result.near_misses[0]
    assert (first.home_id, first.kin, first.rule) == ("H-gran", True, "no_free_bed")
    assert first.detail == "grandmother; no free bed; the child needs 1; his sister C9 lives there"
    assert [m.home_id for m in result.near_misses[1:]] == ["H0", "H1", "H2"]
    rows = result.to_json()["near_misses"]
    assert [row["kin"] for row in rows] == [True, False, False, False]
    assert "H-gran (kin): grandmother; no free bed" in result.summary()


def test_the_home_where_a_sister_lives_follows_the_kin_homes(town: Town) -> None:
    """Full homes: the aunt's (kin), the foster home where the sister lives (15 km), and four
    nearer: kin first, then the sister's home, then the three nearest others."""
    sister = PlacedSibling("C9", "female", "H-sister")
    child = town.child(sex="male", placed_siblings=frozenset({sister}))
    aunt = town.home("H-aunt", km=20.0, kind="kin", kin_of=frozenset({"C1"}), free_beds=0)
    at_sister = town.home("H-sister", km=15.0, capacity=2, free_beds=0)
    full = [town.home(f"H{i}", km=0.5 + i, free_beds=0) for i in range(4)]
    misses = town.rank([child], [*full, at_sister, aunt]).near_misses
    assert [(m.home_id, m.kin) for m in misses] == [
        ("H-aunt", True),
        ("H-sister", False),
        ("H0", False),
        ("H1", False),
        ("H2", False),
    ]
    assert misses[1].detail == "no free bed; the child needs 1; his sister C9 lives there"


def test_a_kin_home_without_a_relationship_is_called_a_kin_home(town: Town) -> None:
    """A full kin home with no recorded relationship reads "kin home; no free bed; ..."."""
    kin = town.home("H1", kind="kin", kin_of=frozenset({"C1"}), capacity=1, free_beds=0)
    (miss,) = town.rank([town.child()], [kin]).near_misses
    assert (miss.kin, miss.detail) == (True, "kin home; no free bed; the child needs 1")
