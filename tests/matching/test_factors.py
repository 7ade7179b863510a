"""One test per scoring factor: its value in 0..1, and the reason a caseworker reads."""

from __future__ import annotations

import dataclasses
import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from geo import LatLon
from matching import (
    FACTORS,
    Candidate,
    Factor,
    FactorScore,
    InputError,
    PlacedSibling,
    Weights,
    factor_named,
    language_name,
)

if TYPE_CHECKING:
    from tests.helpers.town import Town


def factor(candidate: Candidate, name: str) -> FactorScore:
    """The named factor of a candidate."""
    return next(f for f in candidate.factors if f.name == name)


def only(town: Town, home_fields: dict[str, Any], **child_fields: Any) -> Candidate:
    """The single candidate of one child and one home."""
    result = town.rank([town.child(**child_fields)], [town.home("H1", **home_fields)])
    assert len(result.candidates) == 1
    return result.candidates[0]


def test_every_factor_is_a_weighted_soft_unit() -> None:
    """Each factor has a unique name with a weight in the policy, a label and kind "soft"."""
    names = [f.name for f in FACTORS]
    assert sorted(names) == sorted(Weights.names())
    assert all(isinstance(f, Factor) and f.kind == "soft" and f.label for f in FACTORS)
    with pytest.raises(KeyError, match="no factor 'race'"):
        factor_named("race")


def test_kinship(town: Town) -> None:
    """A kin home of the child scores 1 ("kin: named for this child"); another home 0."""
    kin = only(town, {"kind": "kin", "kin_of": frozenset({"C1"})})
    assert (factor(kin, "kinship").value, factor(kin, "kinship").reason) == (
        1.0,
        "kin: named for this child",
    )
    other = only(town, {})
    assert (factor(other, "kinship").value, factor(other, "kinship").reason) == (
        0.0,
        "not a kin home",
    )


def test_kinship_says_how_the_family_is_related(town: Town) -> None:
    """With a recorded relationship the reason reads "kin: maternal aunt, named for this child"."""
    aunt = only(
        town, {"kind": "kin", "kin_of": frozenset({"C1"}), "kin_relationship": "maternal aunt"}
    )
    assert factor(aunt, "kinship").reason == "kin: maternal aunt, named for this child"


def test_a_kin_relationship_needs_its_children(town: Town) -> None:
    """A relationship without kin_of is refused, naming the home and the field."""
    with pytest.raises(InputError, match="kin_relationship"):
        town.home("H1", kind="kin", kin_relationship="grandmother")


def test_siblings_together(town: Town) -> None:
    """Whole group 1; two of three 0.5, with the split said plainly; absent for one child."""
    group = [town.child(f"C{i}") for i in (1, 2, 3)]
    homes = [town.home("H1", capacity=3, free_beds=3), town.home("H2", capacity=2, free_beds=2)]
    whole, part = town.rank(group, homes).candidates
    assert factor(whole, "siblings_together").value == 1.0
    assert factor(whole, "siblings_together").reason == "takes all 3 siblings together"
    assert factor(part, "siblings_together").value == 0.5
    assert factor(part, "siblings_together").reason == (
        "takes 2 of the 3 siblings (C1 and C2): the group would be split"
    )
    alone = only(town, {})
    assert all(f.name != "siblings_together" for f in alone.factors)


def test_a_home_where_a_sibling_already_lives_gets_full_credit(town: Town) -> None:
    """A girl ranked alone whose brother C9 lives in H2: H2 scores 1 and says so; H1 scores 0
    and says where he lives."""
    brother = PlacedSibling("C9", "male", "H2")
    child = town.child(placed_siblings=frozenset({brother}))
    homes = [town.home("H1", km=1.0), town.home("H2", km=3.0)]
    result = town.rank([child], homes)
    assert [c.home_id for c in result.candidates] == ["H2", "H1"]
    joins, apart = result.candidates
    assert factor(joins, "siblings_together").value == 1.0
    assert factor(joins, "siblings_together").reason == "her brother C9 already lives here"
    assert factor(apart, "siblings_together").value == 0.0
    assert factor(apart, "siblings_together").reason == (
        "her brother C9 lives in another home (H2)"
    )


def test_brothers_in_one_home_are_named_together(town: Town) -> None:
    """A boy whose brothers C8 and C9 live in H9 and whose sister C7 lives in H8: "his brothers
    C8 and C9 and his sister C7 live in other homes (H8 and H9)"."""
    placed = frozenset(
        {
            PlacedSibling("C8", "male", "H9"),
            PlacedSibling("C9", "male", "H9"),
            PlacedSibling("C7", "female", "H8"),
        }
    )
    (home,) = town.rank(
        [town.child(sex="male", placed_siblings=placed)], [town.home("H1")]
    ).candidates
    assert factor(home, "siblings_together").reason == (
        "his sister C7 and his brothers C8 and C9 live in other homes (H8 and H9)"
    )
    brothers = frozenset(s for s in placed if s.sex == "male")
    (home,) = town.rank(
        [town.child(sex="male", placed_siblings=brothers)], [town.home("H1")]
    ).candidates
    assert factor(home, "siblings_together").reason == (
        "his brothers C8 and C9 live in another home (H9)"
    )


def test_a_group_joining_a_placed_sibling_hears_both(town: Town) -> None:
    """Two waiting brothers (male) and a sister C9 living in H1: H1 takes both and she lives
    there."""
    sister = frozenset({PlacedSibling("C9", "female", "H1")})
    group = [town.child(f"C{i}", sex="male", placed_siblings=sister) for i in (1, 2)]
    (home,) = town.rank(group, [town.home("H1", capacity=3, free_beds=2)]).candidates
    assert factor(home, "siblings_together").value == 1.0
    assert factor(home, "siblings_together").reason == (
        "takes all 2 siblings together; their sister C9 already lives here"
    )


@pytest.mark.parametrize(
    ("community", "value", "reason"),
    [
        ("A", 1.0, "2.1 km from the removal address, same community: Lower West Side"),
        ("B", 0.5, "2.1 km from the removal address, neighbouring community: Pilsen"),
        (
            "C",
            0.0,
            "2.1 km from the removal address, another community: Loop (removed in Lower West Side)",
        ),
        (None, 0.0, "2.1 km from the removal address, outside the agency's communities"),
    ],
)
def test_same_community(town: Town, community: str | None, value: float, reason: str) -> None:
    """Same community 1, a neighbouring one 0.5, another 0; the reason names the community."""
    candidate = only(town, {"km": 2.1, "community": community})
    assert factor(candidate, "same_community").value == value
    assert factor(candidate, "same_community").reason == reason


def test_same_community_does_not_apply_without_a_removal_community(town: Town) -> None:
    """A removal address outside every community leaves the factor out (not counted as 0)."""
    candidate = only(town, {}, removal_community=None)
    assert all(f.name != "same_community" for f in candidate.factors)


def test_distance(town: Town) -> None:
    """1 at the removal address, 0.5 at 5 km (the half distance), with the km in the reason."""
    at_door = only(town, {"km": 0.0})
    assert factor(at_door, "distance").value == pytest.approx(1.0)
    five = only(town, {"km": 5.0})
    assert factor(five, "distance").value == pytest.approx(0.5)
    assert factor(five, "distance").reason == "5.0 km from the removal address"
    assert five.distance_km == 5.0
    far_kin = only(town, {"km": 30.0, "kind": "kin", "kin_of": frozenset({"C1"})})
    assert factor(far_kin, "distance").reason == (
        "30.0 km from the removal address, beyond the 25 km radius (kin are exempt)"
    )


def test_school_continuity(town: Town) -> None:
    """1 at the school, 0.5 at 3 km from it; absent when no school is on record."""
    at_school = only(town, {"km": 2.0}, school=town.north(2.0))
    assert factor(at_school, "school").value == pytest.approx(1.0)
    three = only(town, {"km": 2.0}, school=town.north(5.0))
    assert factor(three, "school").value == pytest.approx(0.5)
    assert factor(three, "school").reason == "3.0 km from the school of origin"
    assert all(f.name != "school" for f in only(town, {}).factors)


@pytest.mark.parametrize(
    ("home_languages", "value", "reason"),
    [
        (("es",), 1.0, "speaks Spanish, the child's first language"),
        (("en",), 0.5, "speaks English, another of the child's languages (first: Spanish)"),
        (("pl",), 0.0, "does not speak the child's languages (Spanish and English)"),
    ],
)
def test_language(town: Town, home_languages: tuple[str, ...], value: float, reason: str) -> None:
    """First language 1, another of the child's languages 0.5, none 0."""
    candidate = only(town, {"languages": home_languages}, languages=("es", "en"))
    assert factor(candidate, "language").value == value
    assert factor(candidate, "language").reason == reason


def test_a_language_not_spoken_names_the_childs_only_language(town: Town) -> None:
    """A Spanish-only child in an English-speaking home: "does not speak Spanish, the child's
    first language"."""
    candidate = only(town, {"languages": ("en",)}, languages=("es",))
    assert factor(candidate, "language").value == 0.0
    assert factor(candidate, "language").reason == (
        "does not speak Spanish, the child's first language"
    )


def test_language_names_come_from_one_table() -> None:
    """Common codes have names; an unknown code is shown as the code."""
    assert language_name("ase") == "American Sign Language"
    assert language_name("so") == "Somali"
    assert language_name("qqq") == "qqq"


def test_faith_and_cultural_needs(town: Town) -> None:
    """Faith shared and one of two cultural needs offered: 2 of 3 met."""
    candidate = only(
        town,
        {"religion": "muslim", "cultural_offers": frozenset({"halal diet"})},
        religion="muslim",
        cultural_needs=frozenset({"halal diet", "Deaf/ASL"}),
    )
    assert factor(candidate, "faith_culture").value == pytest.approx(2 / 3)
    assert factor(candidate, "faith_culture").reason == (
        "shares the child's faith (muslim); offers halal diet; does not offer Deaf/ASL"
    )
    assert all(f.name != "faith_culture" for f in only(town, {}).factors)


def test_age_fit(town: Town) -> None:
    """A 15-year-old fits a home for 11-17 (6 of 7 ages close) better than one for any age (6 of 18)."""
    teen_home = only(town, {"age_min": 11, "age_max": 17}, age=15)
    assert factor(teen_home, "age_fit").value == pytest.approx(6 / 7)
    assert factor(teen_home, "age_fit").reason == "takes ages 11-17; the child is 15"
    any_age = only(town, {}, age=15)
    assert factor(any_age, "age_fit").value == pytest.approx(6 / 18)
    assert factor(any_age, "age_fit").reason == (
        "takes any age; the child is 15, far from most of those ages"
    )


def test_capacity_fit(town: Town) -> None:
    """One child in a home with 4 free beds scores 0.25 (said as a cost); 2 of 3 beds 0.67;
    a one-bed home 1."""
    big = only(town, {"capacity": 4, "free_beds": 4})
    assert factor(big, "capacity_fit").value == 0.25
    assert factor(big, "capacity_fit").reason == (
        "uses 1 of 4 free beds: a sibling group may need this home"
    )
    pair = town.rank(
        [town.child("C1"), town.child("C2")], [town.home("H1", capacity=3, free_beds=3)]
    ).candidates[0]
    assert factor(pair, "capacity_fit").reason == (
        "uses 2 of 3 free beds (keeps room for a sibling group)"
    )
    small = only(town, {})
    assert (factor(small, "capacity_fit").value, factor(small, "capacity_fit").reason) == (
        1.0,
        "uses its only free bed",
    )


def test_availability_freshness(town: Town) -> None:
    """Placed a year ago: 0.5 (the half-life); today: 1; never: 0.5, said so."""
    year = only(town, {"last_placed_on": town.as_of - timedelta(days=365)})
    assert factor(year, "freshness").value == pytest.approx(0.5)
    assert factor(year, "freshness").reason == "last took a child 11 months ago"
    today = only(town, {"last_placed_on": town.as_of})
    assert factor(today, "freshness").value == 1.0
    never = only(town, {})
    assert (factor(never, "freshness").value, factor(never, "freshness").reason) == (
        0.5,
        "no placement on record",
    )


def test_load_spreading(town: Town) -> None:
    """No placements last year: 1; two: exp(-2 x 0.35), with the count in the reason."""
    quiet = only(town, {})
    assert factor(quiet, "load_spreading").value == 1.0
    busy = only(town, {"placements_last_year": 2})
    assert factor(busy, "load_spreading").value == pytest.approx(math.exp(-0.7))
    assert factor(busy, "load_spreading").reason == "2 placements in the last year"


def test_the_score_is_the_weighted_sum_over_the_total_weight(town: Town) -> None:
    """points = sum of value x weight; score = points / total weight of the factors shown."""
    candidate = only(
        town,
        {"km": 3.0, "languages": ("en", "es")},
        languages=("es",),
        school=LatLon(41.86, -87.66),
    )
    points = sum(f.value * f.weight for f in candidate.factors)
    assert candidate.points == pytest.approx(points)
    assert candidate.score == pytest.approx(points / sum(f.weight for f in candidate.factors))
    assert all(f.contribution == pytest.approx(f.value * f.weight) for f in candidate.factors)


def test_zero_weights_switch_factors_off(town: Town) -> None:
    """With every weight 0 the score is 0, and the order falls back to home ids."""
    zero = Weights(**dict.fromkeys(Weights.names(), 0.0))
    policy = dataclasses.replace(town.policy, weights=zero)
    result = town.rank([town.child()], [town.home("H2", km=0.5), town.home("H1", km=9.0)], policy)
    assert [(c.home_id, c.score) for c in result.candidates] == [("H1", 0.0), ("H2", 0.0)]


def test_a_young_adults_home_takes_only_the_young_adult_of_a_group(town: Town) -> None:
    """A home for 18-21 takes the 19-year-old of a group with an 8-year-old; the age fit stays in 0..1."""
    group = [town.child("C1", age=19), town.child("C2", age=8)]
    home = town.home("H1", age_min=18, age_max=21, capacity=2, free_beds=2)
    candidate = town.rank(group, [home]).candidates[0]
    assert candidate.children == ("C1",)
    assert factor(candidate, "age_fit").value == 1.0  # all of 18-21 is within 3 years of 19
    assert factor(candidate, "age_fit").reason == "takes ages 18-21; the children are 19"
