"""The matching law on tiny named instances: ICWA per child, the longest-waiting first,
siblings in the fewest homes, never behind the lawful baseline, policies that would break it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from matching import PolicyError, greedy, load_policy, plan, validate
from matching.candidates import build_table, cut_table
from matching.plan_result import checked

if TYPE_CHECKING:
    from matching import Child, Home, PlanResult
    from tests.helpers.town import Town

NAVAJO = "Navajo Nation"


def run(town: Town, children: list[Child], homes: list[Home]) -> PlanResult:
    result = plan(children, town.snapshot(homes), town.communities, town.policy, time_limit_s=5)
    assert validate(children, town.snapshot(homes), town.communities, town.policy, result) == []
    return result


def homes_of(result: PlanResult) -> dict[str, str]:
    return result.placement()


def sister_and_brother(town: Town) -> list[Child]:
    """An ICWA girl (Navajo, 11) and her half-brother (9), not under ICWA, waiting together."""
    return [
        town.child("S", age=11, icwa="yes", tribe=NAVAJO, sibling_group="G"),
        town.child("B", age=9, sex="male", sibling_group="G"),
    ]


def aunt(town: Town) -> Home:
    """One bed: the brother's aunt, a home licensed by the girl's tribe (tier 2 for her)."""
    return town.home(
        "H-aunt", km=6.0, kind="kin", kin_of=frozenset({"B"}), tribe=NAVAJO, tribe_licensed=True
    )


def test_icwa_child_gets_her_tier_two_bed_and_the_pair_home_needs_good_cause(town: Town) -> None:
    """Geography 1: a two-bed ordinary home nearby would keep them together at tier 4 for her."""
    children = sister_and_brother(town)
    homes = [aunt(town), town.home("H-pair", km=2.0, capacity=2, free_beds=2)]
    result = run(town, children, homes)
    assert homes_of(result) == {"S": "H-aunt", "B": "H-pair"}
    kinds = {c.kind for c in result.conflicts}
    assert kinds == {"icwa_vs_siblings", "icwa_vs_kin"}
    assert not any(a.good_cause_required for a in result.assignments)
    ranked = town.rank(children, homes)
    assert ranked.icwa_best == {"S": 2}
    aunt_row = next(c for c in ranked.candidates if c.home_id == "H-aunt")
    assert aunt_row.children == ("S",) and aunt_row.icwa_tiers == {"S": 2}
    (alternative,) = ranked.alternatives
    assert alternative.home_id == "H-pair" and alternative.good_cause_required
    assert alternative.icwa_tiers == {"S": 4} and "good cause" in str(alternative.good_cause_reason)
    assert ranked.conflicts and "ICWA" in ranked.summary()


def test_icwa_child_gets_the_bed_when_the_brother_has_single_homes_only(town: Town) -> None:
    """Geography 2: no home takes both; the brother goes to a stranger's home, she to the aunt."""
    children = sister_and_brother(town)
    homes = [aunt(town), town.home("H1", km=1.0), town.home("H2", km=9.0, community="B")]
    result = run(town, children, homes)
    assert homes_of(result) == {"S": "H-aunt", "B": "H1"}
    assert [c.kind for c in result.conflicts] == ["icwa_vs_kin"]


def test_with_one_bed_for_both_the_icwa_child_has_it(town: Town) -> None:
    """Geography 3: the aunt's bed is the only home for either: the ICWA child takes it."""
    children = sister_and_brother(town)
    result = run(town, children, [aunt(town)])
    assert homes_of(result) == {"S": "H-aunt"}
    snap = town.snapshot([aunt(town)])
    broken = validate(children, snap, town.communities, town.policy, {"B": "H-aunt"})
    assert [v.kind for v in broken] == ["icwa_order"]


def test_each_icwa_sibling_has_her_own_tier(town: Town) -> None:
    """C1's aunt is tier 1 for her only; the tribe home is tier 2 for C2: they are proposed apart,
    and keeping them together in the tribe home is an alternative that needs good cause."""
    a = town.child("C1", icwa="yes", tribe=NAVAJO, sibling_group="G")
    b = town.child("C2", icwa="yes", tribe=NAVAJO, sibling_group="G")
    homes = [
        town.home("H-kin", kin_of=frozenset({"C1"}), capacity=2, free_beds=2),
        town.home("H-tribe", km=8.0, tribe=NAVAJO, tribe_licensed=True, capacity=2, free_beds=2),
    ]
    ranked = town.rank([a, b], homes)
    assert ranked.icwa_best == {"C1": 1, "C2": 2}
    assert [(c.home_id, c.children) for c in ranked.candidates] == [
        ("H-kin", ("C1",)),
        ("H-tribe", ("C2",)),
    ]
    # together in either home puts one of them below her tier: both need good cause
    assert sorted(x.home_id for x in ranked.alternatives) == ["H-kin", "H-tribe"]


def test_the_longest_waiting_children_get_the_therapeutic_beds(town: Town) -> None:
    """Two children who waited two years and two who came this week need the same two
    therapeutic beds; the newcomers live a few hundred metres nearer."""
    old = town.as_of - timedelta(days=730)
    new = town.as_of - timedelta(days=3)
    needs = frozenset({"therapeutic"})
    children = [
        town.child("OLD1", needs=needs, waiting_since=old, removal=town.north(0.4)),
        town.child("OLD2", needs=needs, waiting_since=old, removal=town.north(0.4)),
        town.child("NEW1", needs=needs, waiting_since=new),
        town.child("NEW2", needs=needs, waiting_since=new),
    ]
    homes = [town.home("T", km=1.0, capacity=2, free_beds=2, capabilities=needs)]
    result = run(town, children, homes)
    assert sorted(homes_of(result)) == ["OLD1", "OLD2"]
    assert result.summary_figures["long_waiting"] == {"children": 2, "placed": 2}
    assert [u.child_id for u in result.unplaced] == ["NEW1", "NEW2"]
    assert all(a.waited_days == 730 for a in result.assignments)


def test_unplaced_children_are_listed_longest_waiting_first(town: Town) -> None:
    """Nobody fits: the child who waited 400 days comes before the one who waited 10."""
    children = [
        town.child("A", waiting_since=town.as_of - timedelta(days=10)),
        town.child("Z", waiting_since=town.as_of - timedelta(days=400)),
    ]
    result = run(town, children, [town.home("H1", age_max=3)])
    assert [(u.child_id, u.waited_days) for u in result.unplaced] == [("Z", 400), ("A", 10)]


def test_five_siblings_go_to_two_homes_not_five(town: Town) -> None:
    """No home takes five: a 3-bed and a 2-bed home 3.5 km away in the next community, or five
    1-bed homes next door. The plan uses the two homes."""
    children = [town.child(f"K{i}", sibling_group="G") for i in range(5)]
    homes = [
        town.home("H3", km=3.5, community="B", capacity=3, free_beds=3),
        town.home("H2", km=3.5, community="B", capacity=2, free_beds=2),
    ] + [town.home(f"N{i}", km=0.3) for i in range(5)]
    result = run(town, children, homes)
    assert set(homes_of(result).values()) == {"H3", "H2"}


def test_a_sibling_keeps_his_own_best_homes_and_counts_them_all(town: Town) -> None:
    """A teenager and a small sister: each keeps their own five best homes (not the group's),
    every eligible home is counted, and an unplaced reason counts them all."""
    teen = town.child("T", age=16, sibling_group="G")
    small = town.child("Y", age=4, sibling_group="G")
    homes = [town.home(f"A{i:02}", km=1.0 + 0.5 * i, age_min=13) for i in range(34)]
    homes += [town.home(f"B{i:02}", km=1.5 + i, age_max=6) for i in range(8)]
    full = build_table([teen, small], town.snapshot(homes), town.communities, town.policy)
    table, _ = cut_table(full, 5, {})
    kept = {e.child.id: (len(e.positions), e.eligible) for e in table.children}
    assert kept == {"T": (5, 34), "Y": (5, 8)}
    taken = [town.child(f"X{i:02}", age=15, waiting_since=date(2020, 1, 1)) for i in range(34)]
    result = plan(
        [teen, small, *taken], town.snapshot(homes), town.communities, town.policy, keep=5
    )
    (reason,) = next(u.reasons for u in result.unplaced if u.child_id == "T")
    assert "its 34 eligible homes were given to other children" in reason


def test_the_plan_is_never_behind_the_baseline(town: Town) -> None:
    """Kin, own community, whole groups and long-waiting placed are floors from the baseline."""
    children = [
        town.child("L", waiting_since=town.as_of - timedelta(days=500)),
        town.child("K"),
        town.child("S1", sibling_group="G"),
        town.child("S2", sibling_group="G"),
    ]
    homes = [
        town.home("H-aunt", km=30.0, community="C", kind="kin", kin_of=frozenset({"K"})),
        town.home("H-pair", km=2.0, capacity=2, free_beds=2),
        town.home("H-near", km=0.5),
        town.home("H-far", km=12.0, community="B"),
    ]
    snap = town.snapshot(homes)
    base = greedy(children, snap, town.communities, town.policy)
    result = run(town, children, homes)
    for key in ("sibling_groups_whole", "own_community", "kin", "placed"):
        assert result.summary_figures[key] >= base.summary_figures[key], key
    assert result.baseline == base.summary_figures
    assert "baseline" in result.summary()


def test_a_policy_that_lets_a_split_win_is_refused(tmp_path: Path) -> None:
    """A split penalty below same community + distance + school names the file and the key."""
    path = tmp_path / "agency.toml"
    path.write_text("[plan]\nsplit_penalty = 2.0\n")
    with pytest.raises(PolicyError, match=r"agency\.toml: plan\.split_penalty: 2 would let"):
        load_policy(path)


def test_a_negative_waiting_priority_is_refused(tmp_path: Path) -> None:
    """The waiting priority is >= 0; the error names the file and the key."""
    path = tmp_path / "agency.toml"
    path.write_text("[plan]\nwaiting_priority = -1\n")
    with pytest.raises(PolicyError, match=r"agency\.toml: plan\.waiting_priority: "):
        load_policy(path)


def test_one_family_breaking_a_rule_is_taken_out_and_everyone_else_keeps_a_plan(
    town: Town,
) -> None:
    """A plan checked against records where one placement is now forbidden: that sibling
    group is taken out and reported, the other child keeps her home."""
    children = [
        town.child("A"),
        town.child("S1", sibling_group="G"),
        town.child("S2", sibling_group="G"),
    ]
    homes = [town.home("H-a", km=1.0), town.home("H-pair", km=2.0, capacity=2, free_beds=2)]
    snap = town.snapshot(homes)
    result = plan(children, snap, town.communities, town.policy, time_limit_s=5)
    assert homes_of(result) == {"A": "H-a", "S1": "H-pair", "S2": "H-pair"}
    changed = [children[0], replace(children[1], excluded_homes=frozenset({"H-pair"})), children[2]]
    fixed, remaining = checked(result, changed, snap, town.communities, town.policy)
    assert remaining == []
    assert homes_of(fixed) == {"A": "H-a"}
    (conflict,) = fixed.conflicts
    assert conflict.kind == "rule_broken" and conflict.child_ids == ("S1", "S2")
    assert "excluded" in str(conflict.message).lower() or "rule" in str(conflict.message)
    assert {u.child_id for u in fixed.unplaced} == {"S1", "S2"}
    assert fixed.summary_figures["placed"] == 1


def test_a_far_trip_for_one_child_is_not_traded_for_a_same_community_home(town: Town) -> None:
    """A (removed in A) and B (removed 10 km north, in B); H1 5 km north in A, H2 3 km south
    in C. Without the far penalty A takes H1 for the same-community points and B travels
    13 km; with it (the default) both are within 5 km."""
    a = town.child("A")
    b = town.child("B", removal=town.north(10.0), removal_community="B")
    homes = [town.home("H1", km=5.0, community="A"), town.home("H2", km=-3.0, community="C")]
    town.policy = replace(town.policy, far_penalty=0.0)
    assert homes_of(run(town, [a, b], homes)) == {"A": "H1", "B": "H2"}
    town.policy = load_policy()
    assert town.policy.far_penalty > 0
    assert homes_of(run(town, [a, b], homes)) == {"A": "H2", "B": "H1"}
