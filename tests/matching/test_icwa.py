"""The ICWA placement preference order is a rule: a lower tier only when no higher tier is eligible."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest

from matching import rule_named
from matching.request import PlacementRequest

if TYPE_CHECKING:
    from tests.helpers.town import Town

TRIBE = "Oneida Nation"
OTHER_TRIBE = "Ho-Chunk Nation"


@pytest.mark.parametrize("icwa", ["yes", "reason_to_know"])
def test_a_tribe_licensed_home_beats_a_closer_ordinary_home(town: Town, icwa: str) -> None:
    """Two homes, an ordinary one 1 km away and one licensed by the child's tribe 10 km away: only the tribe's is proposed."""
    child = town.child(icwa=icwa, tribe=TRIBE)
    homes = [
        town.home("H-near", km=1.0),
        town.home("H-tribe", km=10.0, tribe=TRIBE, tribe_licensed=True),
    ]
    result = town.rank([child], homes)
    assert [c.home_id for c in result.candidates] == ["H-tribe"]
    assert result.candidates[0].icwa_tier == 2
    assert result.icwa_tier == 2
    assert result.excluded["icwa_order"] == 1


def test_extended_family_is_tier_one(town: Town) -> None:
    """A kin home 30 km away (radius exempt) beats a tribe-licensed home next door."""
    child = town.child(icwa="yes", tribe=TRIBE)
    homes = [
        town.home("H-tribe", km=1.0, tribe=TRIBE, tribe_licensed=True),
        town.home("H-aunt", km=30.0, kind="kin", kin_of=frozenset({"C1"})),
    ]
    result = town.rank([child], homes)
    assert [(c.home_id, c.icwa_tier) for c in result.candidates] == [("H-aunt", 1)]


def test_another_indian_home_is_tier_three(town: Town) -> None:
    """A home of another tribe, or of the child's tribe without its licence, beats an ordinary home."""
    child = town.child(icwa="yes", tribe=TRIBE)
    homes = [
        town.home("H1", km=1.0),
        town.home("H2", km=5.0, tribe=OTHER_TRIBE, tribe_licensed=True),
        town.home("H3", km=6.0, tribe=TRIBE),
    ]
    result = town.rank([child], homes)
    assert sorted((c.home_id, c.icwa_tier) for c in result.candidates) == [("H2", 3), ("H3", 3)]


def test_tier_four_only_when_no_higher_tier_is_eligible(town: Town) -> None:
    """The tribe's home is full, so the ordinary home (tier 4) is proposed and nothing is removed by ICWA."""
    child = town.child(icwa="yes", tribe=TRIBE)
    homes = [
        town.home("H-tribe", tribe=TRIBE, tribe_licensed=True, free_beds=0, capacity=2),
        town.home("H-other", km=3.0),
    ]
    result = town.rank([child], homes)
    assert [(c.home_id, c.icwa_tier) for c in result.candidates] == [("H-other", 4)]
    assert result.excluded["icwa_order"] == 0
    assert result.excluded["no_free_bed"] == 1


def test_no_tiers_for_a_child_not_under_icwa(town: Town) -> None:
    """For a child with icwa "no", homes have no tier and the order removes nothing."""
    homes = [town.home("H1"), town.home("H2", tribe=TRIBE, tribe_licensed=True)]
    result = town.rank([town.child(icwa="no", tribe=TRIBE)], homes)
    assert result.eligible_homes == 2
    assert all(c.icwa_tier is None for c in result.candidates)
    assert result.icwa_tier is None


def test_a_generic_jurisdiction_has_no_icwa_order(town: Town) -> None:
    """Outside the US profile the tier order is off: the nearer ordinary home stays."""
    child = town.child(icwa="yes", tribe=TRIBE)
    homes = [town.home("H1"), town.home("H2", km=4.0, tribe=TRIBE, tribe_licensed=True)]
    generic = dataclasses.replace(town.policy, jurisdiction="generic")
    result = town.rank([child], homes, generic)
    assert result.eligible_homes == 2 and result.excluded["icwa_order"] == 0


def test_each_icwa_child_of_a_group_is_proposed_her_own_best_tier(town: Town) -> None:
    """A home kin of one sibling only is tier 1 for her and tier 4 for the other; the tribe home
    is tier 2 for both: each is proposed in her own best tier, apart."""
    a = town.child("C1", icwa="yes", tribe=TRIBE)
    b = town.child("C2", icwa="yes", tribe=TRIBE)
    homes = [
        town.home("H-kin", kind="foster", kin_of=frozenset({"C1"}), capacity=2, free_beds=2),
        town.home("H-tribe", km=8.0, tribe=TRIBE, tribe_licensed=True, capacity=2, free_beds=2),
    ]
    result = town.rank([a, b], homes)
    assert [(c.home_id, c.icwa_tier, c.children) for c in result.candidates] == [
        ("H-kin", 1, ("C1",)),
        ("H-tribe", 2, ("C2",)),
    ]
    assert result.icwa_tier == 2 and result.icwa_best == {"C1": 1, "C2": 2}


def test_the_icwa_mask_removes_lower_tiers_among_otherwise_eligible_homes(town: Town) -> None:
    """The rule's own mask keeps failing homes (other rules remove them) and drops lower tiers."""
    child = town.child(icwa="yes", tribe=TRIBE)
    homes = [
        town.home("H1"),
        town.home("H2", tribe=TRIBE, tribe_licensed=True),
        town.home("H3", free_beds=0, capacity=1),
    ]
    mask = rule_named("icwa_order").mask(
        PlacementRequest([child]), town.snapshot(homes), town.policy
    )
    assert mask.tolist() == [False, True, True]
