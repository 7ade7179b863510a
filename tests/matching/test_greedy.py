"""The greedy baseline: waiting order, nearest home with a free bed."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import greedy, validate
from tests.helpers.town import Town, random_instance

# what greedy promises: capacity, eligibility and separations (not kin first, the ICWA order
# under competition, nor keeping sibling groups whole: that is what the plan adds)


def test_the_longest_waiting_child_takes_the_nearest_home(town: Town) -> None:
    """Two children, two homes: the one waiting since January takes the home at 1 km."""
    early = town.child("C2", waiting_since=date(2026, 1, 5))
    late = town.child("C1", waiting_since=date(2026, 2, 1))
    homes = [town.home("H-far", km=3.0), town.home("H-near", km=1.0)]
    result = greedy([late, early], town.snapshot(homes), town.communities, town.policy)
    assert result.placement() == {"C2": "H-near", "C1": "H-far"}
    assert result.method == "greedy" and result.bound is None and result.gap is None


def test_a_sibling_group_takes_the_nearest_home_with_beds_for_all(town: Town) -> None:
    """A pair skips the nearest one-bed home for a two-bed home further away."""
    a = town.child("S1", sibling_group="G")
    b = town.child("S2", sibling_group="G")
    homes = [town.home("H-one", km=1.0), town.home("H-two", km=3.0, free_beds=2)]
    result = greedy([a, b], town.snapshot(homes), town.communities, town.policy)
    assert result.placement() == {"S1": "H-two", "S2": "H-two"}
    assert result.summary_figures["sibling_groups_whole"] == 1


def test_separated_children_are_not_put_together(town: Town) -> None:
    """The second of two separated children skips the two-bed home the first took."""
    a = town.child("C1", separate_from=frozenset({"C2"}))
    b = town.child("C2")
    homes = [town.home("H1", km=1.0, free_beds=2), town.home("H2", km=5.0)]
    result = greedy([a, b], town.snapshot(homes), town.communities, town.policy)
    assert result.placement() == {"C1": "H1", "C2": "H2"}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(0, 10_000))
def test_greedy_respects_capacity_and_eligibility(town: Town, seed: int) -> None:
    """For generated instances greedy's placement breaks no rule: it is the lawful baseline."""
    children, homes = random_instance(town, random.Random(seed))
    snap = town.snapshot(homes)
    result = greedy(children, snap, town.communities, town.policy)
    problems = validate(children, snap, town.communities, town.policy, result)
    assert problems == []
