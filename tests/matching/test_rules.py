"""One test per hard rule: each removes the homes it should, is counted under its name, and says why."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from matching import RULES, HardRule, rule_named
from matching.request import PlacementRequest

if TYPE_CHECKING:
    from tests.helpers.town import Town


def test_every_rule_is_a_named_hard_unit() -> None:
    """Each rule has a unique name, a readable label and kind "hard"; ICWA's order comes last."""
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    assert all(isinstance(r, HardRule) and r.kind == "hard" and r.label for r in RULES)
    assert names[-1] == "icwa_order"
    with pytest.raises(KeyError, match="no rule 'colour'"):
        rule_named("colour")


def test_home_active(town: Town) -> None:
    """An on-hold home, and a non-kin home that is not licensed, are not proposed."""
    child = town.child()
    homes = [
        town.home("H1"),
        town.home("H2", status="on_hold"),
        town.home("H3", licensed=False),
        town.home("H4", status="closed"),
    ]
    result = town.rank([child], homes)
    assert [c.home_id for c in result.candidates] == ["H1"]
    assert result.excluded["inactive"] == 3
    mask = rule_named("inactive").mask(PlacementRequest([child]), town.snapshot(homes), town.policy)
    assert mask.tolist() == [True, False, False, False]


def test_a_provisionally_approved_kin_home_is_active_for_its_child(town: Town) -> None:
    """A relative not yet licensed may take the child they are named for, shown as such."""
    child = town.child()
    kin = town.home("H1", kind="kin", licensed=False, kin_of=frozenset({"C1"}))
    result = town.rank([child], [kin])
    assert [c.home_id for c in result.candidates] == ["H1"]
    assert result.candidates[0].kin and not result.candidates[0].licensed
    assert (
        result.candidates[0].factors[0].reason
        == "kin, provisionally approved: named for this child"
    )


def test_kin_home_of_other_children(town: Town) -> None:
    """A kin home named for another child is not proposed, unless the policy allows it."""
    child = town.child()
    homes = [town.home("H1", kind="kin", kin_of=frozenset({"C9"})), town.home("H2")]
    result = town.rank([child], homes)
    assert [c.home_id for c in result.candidates] == ["H2"]
    assert result.excluded["kin_of_others"] == 1
    relaxed = dataclasses.replace(town.policy, kin_homes_only_for_their_kin=False)
    assert town.rank([child], homes, relaxed).eligible_homes == 2


def test_excluded_home(town: Town) -> None:
    """A home on the child's excluded list is not proposed."""
    child = town.child(excluded_homes=frozenset({"H1", "H-unknown"}))
    result = town.rank([child], [town.home("H1"), town.home("H2")])
    assert [c.home_id for c in result.candidates] == ["H2"]
    assert result.excluded["excluded_home"] == 1


def test_enough_free_beds(town: Town) -> None:
    """A full home is not proposed; a one-bed home takes one child of two, not both."""
    a, b = town.child("C1"), town.child("C2")
    homes = [town.home("H1", free_beds=0, capacity=2), town.home("H2", free_beds=1)]
    alone = town.rank([a], homes)
    assert alone.excluded["no_free_bed"] == 1 and alone.eligible_homes == 1
    pair = town.rank([a, b], homes)
    assert pair.whole_group_homes == 0
    assert pair.candidates[0].children == ("C1",) and not pair.candidates[0].takes_all_siblings
    assert pair.not_whole == {"no_free_bed": 1}
    mask = rule_named("no_free_bed").mask(
        PlacementRequest([a, b]), town.snapshot(homes), town.policy
    )
    assert mask.tolist() == [False, False]


def test_group_size_within_max_siblings(town: Town) -> None:
    """A home taking at most 2 siblings takes 2 of a group of 3, never all 3."""
    group = [town.child(f"C{i}") for i in (1, 2, 3)]
    home = town.home("H1", capacity=3, free_beds=3, max_siblings=2)
    result = town.rank(group, [home])
    assert result.excluded["max_siblings"] == 0  # it still takes part of the group
    assert result.candidates[0].children == ("C1", "C2")
    assert result.not_whole == {"max_siblings": 1}
    mask = rule_named("max_siblings").mask(
        PlacementRequest(group), town.snapshot([home]), town.policy
    )
    assert mask.tolist() == [False]


def test_sex_accepted(town: Town) -> None:
    """A home taking boys only is not proposed for a girl; a child of unrecorded sex needs "any"."""
    homes = [
        town.home("H1", accepts_sex="male"),
        town.home("H2", accepts_sex="female"),
        town.home("H3", accepts_sex="any"),
        town.home("H4"),
    ]
    girl = town.rank([town.child(sex="female")], homes)
    assert [c.home_id for c in girl.candidates] == ["H2", "H3", "H4"]
    assert girl.excluded["sex"] == 1
    unknown = town.rank([town.child(sex="unknown")], homes)
    assert [c.home_id for c in unknown.candidates] == ["H3", "H4"]


def test_age_within_the_homes_range(town: Town) -> None:
    """A home for ages 0-11 is not proposed for a 15-year-old; an open range takes anyone."""
    homes = [town.home("H1", age_min=0, age_max=11), town.home("H2", age_min=11), town.home("H3")]
    result = town.rank([town.child(age=15)], homes)
    assert [c.home_id for c in result.candidates] == ["H2", "H3"]
    assert result.excluded["age_range"] == 1


def test_a_baby_needs_a_home_that_takes_infants(town: Town) -> None:
    """A child under 1 goes only to a home with the infant capability, even if its range starts at 0."""
    homes = [
        town.home("H1", age_min=0, age_max=5),
        town.home("H2", age_min=0, age_max=5, capabilities=frozenset({"infant"})),
    ]
    result = town.rank([town.child(age=0)], homes)
    assert [c.home_id for c in result.candidates] == ["H2"]
    assert result.near_misses[0].detail == "does not take infants (under 1); the child is under 1"


def test_needs_within_capabilities(town: Town) -> None:
    """Every need must be covered: medical and behavioral needs both."""
    child = town.child(needs=frozenset({"medical", "behavioral"}))
    homes = [
        town.home("H1", capabilities=frozenset({"medical"})),
        town.home("H2", capabilities=frozenset({"medical", "behavioral", "infant"})),
    ]
    result = town.rank([child], homes)
    assert [c.home_id for c in result.candidates] == ["H2"]
    assert result.excluded["needs"] == 1


def test_safety_separation_inside_a_group(town: Town) -> None:
    """Two siblings who must be kept apart are never proposed to one home together, and the result says so."""
    a = town.child("C1", separate_from=frozenset({"C2"}))
    b = town.child("C2")
    homes = [town.home("H1", capacity=2, free_beds=2)]
    result = town.rank([a, b], homes)
    assert result.whole_group_homes == 0
    assert result.candidates[0].children == ("C1",)
    assert result.notes == (
        "C1 and C2 must not live together (safety separation): no home can take the whole group",
    )
    assert result.message is not None and "C1 and C2 must not live together" in result.message
    assert (
        not rule_named("separation")
        .mask(PlacementRequest([a, b]), town.snapshot(homes), town.policy)
        .any()
    )


def test_within_the_search_radius_kin_exempt(town: Town) -> None:
    """A home 26 km away is out, one at exactly 25 km is in, and a kin home 40 km away is in."""
    homes = [
        town.home("H1", km=25.0),
        town.home("H2", km=26.0),
        town.home("H3", km=40.0, kind="kin", kin_of=frozenset({"C1"})),
    ]
    result = town.rank([town.child()], homes)
    assert sorted(c.home_id for c in result.candidates) == ["H1", "H3"]
    assert result.excluded["radius"] == 1


def test_a_home_is_counted_under_the_first_rule_that_removes_it(town: Town) -> None:
    """An on-hold, full, far home counts once, under "inactive"; the counts add up."""
    homes = [
        town.home("H1", status="on_hold", free_beds=0, capacity=2, km=80.0),
        town.home("H2", free_beds=0, capacity=2, km=80.0),
        town.home("H3", km=80.0),
        town.home("H4"),
    ]
    result = town.rank([town.child()], homes)
    assert {k: v for k, v in result.excluded.items() if v} == {
        "inactive": 1,
        "no_free_bed": 1,
        "radius": 1,
    }
    assert sum(result.excluded.values()) == result.homes - result.eligible_homes
    assert list(result.excluded) == [rule.name for rule in RULES]


def test_a_rule_mask_takes_the_children_themselves(town: Town) -> None:
    """rule.mask accepts a list of children as well as a PlacementRequest."""
    homes = [town.home("H1", accepts_sex="male"), town.home("H2")]
    mask = rule_named("sex").mask([town.child()], town.snapshot(homes), town.policy)
    assert mask.tolist() == [False, True]
