"""The placement plan: tiny named instances, brute-force optima, and properties."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from matching import (
    Child,
    Context,
    Home,
    Pairing,
    PlacementRequest,
    PlanResult,
    greedy,
    plan,
    score,
    validate,
)
from matching.candidates import build_table, far_cost, integer_points
from matching.model import build_model
from matching.moves import improved
from tests.helpers.town import Town, random_instance

TRIBE = "Oneida Nation"


def run(town: Town, children: Sequence[Child], homes: Sequence[Home], **kw: Any) -> PlanResult:
    """Plan for the children over the homes under the town's policy."""
    return plan(children, town.snapshot(homes), town.communities, town.policy, **kw)


def homes_of(result: PlanResult) -> dict[str, str]:
    return result.placement()


# -- tiny named instances -----------------------------------------------------------------------


def test_two_children_two_homes_the_plan_places_both_where_greedy_places_one(town: Town) -> None:
    """H1 takes any age and is nearest, H2 only teenagers: the teenager waiting first must not take H1."""
    teen = town.child("C1", age=14, waiting_since=date(2026, 1, 1))
    young = town.child("C2", age=8, waiting_since=date(2026, 2, 1))
    homes = [town.home("H1", km=1.0), town.home("H2", km=2.0, age_min=12, age_max=17)]
    result = run(town, [teen, young], homes)
    assert homes_of(result) == {"C1": "H2", "C2": "H1"}
    assert result.status == "optimal" and result.gap == 0.0
    baseline = greedy([teen, young], town.snapshot(homes), town.communities, town.policy)
    assert homes_of(baseline) == {"C1": "H1"}
    assert [u.child_id for u in baseline.unplaced] == ["C2"]
    assert baseline.unplaced[0].reasons == ("its only eligible home, H1 (1.0 km), went to C1",)


def test_two_children_one_bed_the_better_match_gets_it(town: Town) -> None:
    """One bed and two children: it goes to the child who speaks the family's language."""
    speaks = town.child("C1", languages=("es",))
    other = town.child("C2", languages=("pl",))
    homes = [town.home("H1", languages=("es",))]
    result = run(town, [speaks, other], homes)
    assert homes_of(result) == {"C1": "H1"}
    assert result.summary_figures["placed"] == 1


def test_a_sibling_group_is_kept_whole_where_greedy_splits_it(town: Town) -> None:
    """A single child waiting first takes the nearest (two-bed) home under greedy, splitting the pair."""
    first = town.child("X", waiting_since=date(2026, 1, 1))
    a = town.child("S1", sibling_group="G", waiting_since=date(2026, 2, 1))
    b = town.child("S2", sibling_group="G", waiting_since=date(2026, 2, 1))
    homes = [
        town.home("H-big", km=1.0, free_beds=2),
        town.home("H1", km=2.0),
        town.home("H2", km=2.5),
    ]
    result = run(town, [first, a, b], homes)
    assert homes_of(result)["S1"] == homes_of(result)["S2"] == "H-big"
    assert result.summary_figures["sibling_groups_whole"] == 1
    baseline = greedy([first, a, b], town.snapshot(homes), town.communities, town.policy)
    assert homes_of(baseline) == {"X": "H-big", "S1": "H-big", "S2": "H1"}
    assert baseline.summary_figures["sibling_groups_whole"] == 0


def test_siblings_each_with_an_aunt_stay_together_while_a_home_takes_both(town: Town) -> None:
    """Each sibling's own aunt scores more than the far foster home, but that home takes both.

    X could use a bed there too, so the split rule is not settled before solving; the first
    stage's fewest homes for sibling groups already puts them together.
    """
    a = town.child("S1", sibling_group="G")
    b = town.child("S2", sibling_group="G")
    x = town.child("X")
    homes = [
        town.home("H-far", km=20.0, community="C", free_beds=2),
        town.home("H-x", km=0.5),
        town.home("K1", km=0.5, kind="kin", kin_of=frozenset({"S1"})),
        town.home("K2", km=0.5, kind="kin", kin_of=frozenset({"S2"})),
    ]
    result = run(town, [a, b, x], homes)
    assert homes_of(result) == {"S1": "H-far", "S2": "H-far", "X": "H-x"}
    snap = town.snapshot(homes)
    assert validate([a, b, x], snap, town.communities, town.policy, result) == []


def test_out_of_time_a_split_group_is_moved_whole_into_the_home_with_room(town: Town) -> None:
    """A solution splitting the pair while H-pair has two beds is repaired by moving both there."""
    a = town.child("S1", sibling_group="G")
    b = town.child("S2", sibling_group="G")
    x = town.child("X")
    homes = [
        town.home("H-pair", km=10.0, free_beds=2),
        town.home("H1", km=1.0),
        town.home("H2", km=1.0),
    ]
    table = build_table([a, b, x], town.snapshot(homes), town.communities, town.policy)
    model = build_model(table)

    def option(child: str, home: str) -> tuple[int, int]:
        c = table.index[child]
        o = model.option_of[c][town.snapshot(homes).position(home)]
        return c, o

    split = dict([option("S1", "H1"), option("S2", "H2")])
    assert model.split_while_room(split) == [table.children[table.index["S1"]].group]
    repaired = model.repair(split)
    assert repaired is not None and model.split_while_room(repaired) == []
    assert repaired == dict([option("S1", "H-pair"), option("S2", "H-pair")])
    partial = dict([option("S1", "H1"), option("X", "H-pair")])  # H-pair has one bed left
    assert model.split_while_room(partial) == []


def test_the_start_moves_where_the_relaxation_points_and_the_rules_allow(town: Town) -> None:
    """From a lawful plan: X moves to the home the relaxation favours, the pair moves in whole,
    K stays with the aunt named for K although the relaxation points elsewhere."""
    x, k = town.child("X"), town.child("K")
    a, b = town.child("S1", sibling_group="G"), town.child("S2", sibling_group="G")
    homes = [
        town.home("H-near", km=1.0),
        town.home("H-far", km=20.0, community="C"),
        town.home("H-pair", km=2.0, free_beds=2),
        town.home("H1", km=3.0),
        town.home("H2", km=3.0),
        town.home("H-aunt", km=9.0, kind="kin", kin_of=frozenset({"K"})),
        town.home("H-other", km=0.5),
    ]
    snap = town.snapshot(homes)
    table = build_table([x, k, a, b], snap, town.communities, town.policy)
    model = build_model(table)

    def option(child: str, home: str) -> tuple[int, int]:
        c = table.index[child]
        return c, model.option_of[c][snap.position(home)]

    start = dict([option("X", "H-far"), option("K", "H-aunt")])
    start |= dict([option("S1", "H1"), option("S2", "H2")])  # split, H-pair having room
    values = np.zeros(len(model.model.proto.variables))
    values[model.place[option("X", "H-near")].index] = 1.0
    values[model.place[option("K", "H-other")].index] = 1.0
    group = table.children[table.index["S1"]].group
    values[model.whole[group, snap.position("H-pair")].index] = 1.0
    better = improved(model, start, values)
    assert better is not None
    placed = {
        table.children[c].child.id: snap.ids[int(table.children[c].positions[o])]
        for c, o in better.items()
    }
    assert placed == {"X": "H-near", "K": "H-aunt", "S1": "H-pair", "S2": "H-pair"}
    assert validate([x, k, a, b], snap, town.communities, town.policy, placed) == []


def test_one_sibling_placed_and_one_waiting_is_a_split(town: Town) -> None:
    """A home with two beds takes the pair; placing one of them alone elsewhere is a split."""
    a = town.child("S1", sibling_group="G")
    b = town.child("S2", sibling_group="G")
    homes = [town.home("H-pair", km=15.0, community="C", free_beds=2)]
    snap = town.snapshot(homes)
    found = validate([a, b], snap, town.communities, town.policy, {"S1": "H-pair"})
    assert [v.kind for v in found] == ["siblings_split"]
    assert "1 placed in 1 home, 1 waiting" in found[0].message
    assert validate([a, b], snap, town.communities, town.policy, {}) == []


def test_the_policy_chooses_more_children_placed_or_more_groups_whole(town: Town) -> None:
    """X (15) fits only H-pair: placing all three splits the pair; keeping it whole leaves X waiting.

    X waits longest, so the baseline splits the pair too (X and S1 in H-pair, S2 in H-solo,
    in the neighbouring community): its floors allow both plans.
    """
    x = town.child("X", age=15, waiting_since=date(2026, 1, 1))
    a, b = town.child("S1", sibling_group="G"), town.child("S2", sibling_group="G")
    homes = [
        town.home("H-pair", free_beds=2),
        town.home("H-solo", km=2.0, age_max=10, community="B"),
    ]
    counted = run(town, [x, a, b], homes)
    assert counted.summary_figures["placed"] == 3
    assert counted.summary_figures["sibling_groups_whole"] == 0
    town.policy = replace(town.policy, plan_first="sibling_groups_whole")
    whole = run(town, [x, a, b], homes)
    assert homes_of(whole) == {"S1": "H-pair", "S2": "H-pair"}
    assert whole.status == "optimal"
    snap = town.snapshot(homes)
    for result in (counted, whole):
        assert validate([x, a, b], snap, town.communities, town.policy, result) == []


def test_kin_first_even_far_away_and_provisionally_approved(town: Town) -> None:
    """A provisionally approved aunt 40 km away beats a licensed foster home next door."""
    child = town.child()
    homes = [
        town.home("H-near", km=0.5),
        town.home(
            "H-aunt", km=40.0, community="C", kind="kin", kin_of=frozenset({"C1"}), licensed=False
        ),
    ]
    result = run(town, [child], homes)
    assert homes_of(result) == {"C1": "H-aunt"}
    assert result.assignments[0].kin
    assert result.summary_figures["kin"] == 1


def test_icwa_order_the_tribe_home_before_a_closer_ordinary_home(town: Town) -> None:
    """A child under ICWA goes to the tribe-licensed home 10 km away, not the ordinary one at 1 km."""
    child = town.child(icwa="yes", tribe=TRIBE)
    homes = [
        town.home("H-near", km=1.0),
        town.home("H-tribe", km=10.0, tribe=TRIBE, tribe_licensed=True),
    ]
    assert homes_of(run(town, [child], homes)) == {"C1": "H-tribe"}


def test_icwa_order_a_lower_tier_only_when_no_higher_tier_is_eligible(town: Town) -> None:
    """With the tribe's home full, the ordinary home is used."""
    child = town.child(icwa="yes", tribe=TRIBE)
    homes = [
        town.home("H-near", km=1.0),
        town.home("H-tribe", km=10.0, tribe=TRIBE, tribe_licensed=True, free_beds=0, capacity=2),
    ]
    assert homes_of(run(town, [child], homes)) == {"C1": "H-near"}


def test_separated_children_never_share_a_home(town: Town) -> None:
    """Two children with a safety separation and one two-bed home: only one is placed."""
    a = town.child("C1", separate_from=frozenset({"C2"}))
    b = town.child("C2")
    result = run(town, [a, b], [town.home("H1", free_beds=2)])
    assert result.summary_figures["placed"] == 1


def test_a_separation_named_by_either_child_binds_the_model(town: Town) -> None:
    """Only the later child names the separation: the model keeps them apart all the same
    (it once read only the earlier child's list, and left the check after it to catch it)."""
    a = town.child("C1")
    b = town.child("C2", separate_from=frozenset({"C1"}))
    table = build_table(
        [a, b], town.snapshot([town.home("H1", free_beds=2)]), town.communities, town.policy
    )
    built = build_model(table)
    built.model.maximize(built.placed())
    solver = cp_model.CpSolver()
    assert solver.solve(built.model) == cp_model.OPTIMAL
    assert solver.objective_value == 1


def test_a_child_nobody_takes_gets_the_binding_rule(town: Town) -> None:
    """A 16-year-old with only homes for young children: the reason names the age rule."""
    child = town.child(age=16)
    result = run(town, [child], [town.home("H1", age_min=0, age_max=5)])
    assert not result.assignments
    (reason,) = result.unplaced[0].reasons
    assert "Age" in reason and "16" in reason


def test_the_json_has_the_placement_plan_shape(town: Town) -> None:
    """to_json has every key of the plan JSON (README, "Placement plan") and survives a JSON round trip."""
    result = run(town, [town.child()], [town.home("H1")])
    shape = json.loads(json.dumps(result.to_json()))
    assert set(shape) >= {
        "method", "status", "objective", "bound", "gap", "runtime_s", "seed",
        "assignments", "unplaced", "summary",
    }  # fmt: skip
    assert shape["method"] == "cp-sat"
    assert set(shape["assignments"][0]) >= {"child_id", "home_id", "score", "factors"}
    assert set(shape["summary"]) == {
        "children", "placed", "sibling_groups", "sibling_groups_whole",
        "own_community", "mean_distance_km", "kin", "long_waiting",
        "non_kin_mean_distance_km", "conflicts",
    }  # fmt: skip
    assert set(shape["assignments"][0]) >= {"waited_days", "good_cause_required", "own_community"}
    assert shape["baseline"]["placed"] == 1 and shape["baseline_assignments"][0]["home_id"] == "H1"
    assert shape["assignments"][0]["factors"][0]["reason"]
    assert "placed 1 of 1" in result.summary()


def test_progress_is_reported(town: Town) -> None:
    """The progress callback hears about the model and each improving solution."""
    lines: list[str] = []
    run(town, [town.child()], [town.home("H1")], progress=lines.append)
    assert lines[0].startswith("model:") and any("score" in line for line in lines)
    assert any(
        line.startswith("children placed: 1 placed (0 sibling groups split)") for line in lines
    )


# -- brute force ---------------------------------------------------------------------------------


def headline(result: PlanResult) -> tuple[int, int, int, int]:
    """Sibling groups whole, own community, kin, long-waiting placed: the floors' measures."""
    f = result.summary_figures
    return (f["sibling_groups_whole"], f["own_community"], f["kin"], f["long_waiting"]["placed"])


def brute_force(town: Town, children: list[Child], homes: list[Home]) -> tuple[int, int, int]:
    """The best (placed, kin, score points) over every assignment that validate accepts and
    that is not behind the lawful baseline on any headline measure."""
    snap = town.snapshot(homes)
    policy = town.policy
    floors = headline(greedy(children, snap, town.communities, policy))

    def ok(placement: dict[str, str]) -> bool:
        if validate(children, snap, town.communities, policy, placement):
            return False
        mine = headline(greedy_like(town, children, homes, placement))
        return all(m >= f for m, f in zip(mine, floors, strict=True))

    def may_take(child: Child, home: Home) -> bool:
        """The home is eligible for the child (one sibling alone is a split: not a reason)."""
        found = validate(children, snap, town.communities, policy, {child.id: home.id})
        return all(v.kind == "siblings_split" for v in found)

    points: dict[tuple[str, str], int] = {}
    options: list[list[str | None]] = []
    for child in children:
        mine: list[str | None] = [None]
        for home in homes:
            if may_take(child, home):
                ctx = Context(PlacementRequest([child]), snap, policy)
                positions = np.array([snap.position(home.id)], dtype=np.intp)
                pairing = Pairing(ctx, town.communities, positions, np.ones((1, 1), np.bool_))
                far = float(far_cost(pairing, policy)[0])  # the plan's equity correction
                points[child.id, home.id] = integer_points(float(score(pairing).points[0]) - far)
                mine.append(home.id)
        options.append(mine)
    penalty = integer_points(policy.split_penalty)
    best = (0, 0, 0)
    for combo in itertools.product(*options):
        placement = {c.id: h for c, h in zip(children, combo, strict=True) if h is not None}
        kin = sum(
            1
            for c in children
            if c.id in placement and c.id in snap.homes[snap.position(placement[c.id])].kin_of
        )
        total = sum(points[c, h] for c, h in placement.items())
        group_homes = {
            h for c, h in placement.items() if c in ("C0", "C1") and _grouped(children, c)
        }
        group = [c.id for c in children if c.sibling_group is not None]
        waiting = sum(1 for c in group if c not in placement)
        if group_homes:  # parts beyond the first: homes used plus members left waiting
            total -= penalty * (len(group_homes) + waiting - 1)
        if len(group) > 1 and all(c in placement for c in group) and len(group_homes) == 1:
            total += integer_points(policy.weights.siblings_together * len(group))
        key = (len(placement), kin, total)
        if key > best and ok(placement):
            best = key
    return best


def greedy_like(
    town: Town, children: list[Child], homes: list[Home], placement: dict[str, str]
) -> PlanResult:
    """A placement's figures, as the plan's result would report them."""
    from matching.plan_result import figures

    snap = town.snapshot(homes)
    table = build_table(children, snap, town.communities, town.policy)
    options = table.option_of()
    chosen = {
        table.index[c]: options[table.index[c]][snap.position(h)] for c, h in placement.items()
    }
    return PlanResult("check", "feasible", None, None, None, 0.0, 0, (), (), figures(table, chosen))


def _grouped(children: list[Child], child_id: str) -> bool:
    return any(c.id == child_id and c.sibling_group is not None for c in children)


def test_small_instances_match_the_brute_force_optimum(town: Town) -> None:
    """On 40 seeded instances (<= 5 children x 4 homes) the plan equals the proven optimum."""
    for seed in range(40):
        children, homes = random_instance(town, random.Random(seed))
        result = run(town, children, homes)
        placed, kin, points = brute_force(town, children, homes)
        assert result.status == "optimal", seed
        assert result.summary_figures["placed"] == placed, seed
        assert result.summary_figures["kin"] == kin, seed
        assert result.objective == points, seed
        assert validate(children, town.snapshot(homes), town.communities, town.policy, result) == []


# -- properties ----------------------------------------------------------------------------------


def max_placed_singles(town: Town, children: list[Child], homes: list[Home]) -> int:
    """The most single children placeable: a bipartite matching over beds (augmenting paths)."""
    snap = town.snapshot(homes)
    beds = [(h.id, b) for h in homes for b in range(h.free_beds)]
    allowed = {
        c.id: [
            i
            for i, (h, _) in enumerate(beds)
            if not validate(children, snap, town.communities, town.policy, {c.id: h})
        ]
        for c in children
    }
    owner: dict[int, str] = {}

    def augment(child_id: str, seen: set[int]) -> bool:
        for bed in allowed[child_id]:
            if bed in seen:
                continue
            seen.add(bed)
            if bed not in owner or augment(owner[bed], seen):
                owner[bed] = child_id
                return True
        return False

    return sum(augment(c.id, set()) for c in children)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(0, 10_000))
def test_the_plan_is_valid_and_places_the_most_children(town: Town, seed: int) -> None:
    """For generated single children, the plan passes validate, is not behind the baseline on
    any headline measure, and places the max-flow number unless a floor forbids it."""
    rng = random.Random(seed)
    children, homes = random_instance(town, rng)
    children = [town.child(c.id, age=c.age, sex=c.sex, needs=c.needs) for c in children]
    children += [town.child(f"D{i}", age=rng.choice([2, 9, 15])) for i in range(rng.randint(0, 3))]
    result = run(town, children, homes)
    snap = town.snapshot(homes)
    assert validate(children, snap, town.communities, town.policy, result) == []
    base = greedy(children, snap, town.communities, town.policy)
    assert all(p >= b for p, b in zip(headline(result), headline(base), strict=True))
    most = max_placed_singles(town, children, homes)
    assert base.summary_figures["placed"] <= result.summary_figures["placed"] <= most
    assert len(result.assignments) + len(result.unplaced) == len(children)


def test_same_seed_same_plan(town: Town) -> None:
    """Planning the same instance twice with the same seed gives the same assignments and figures."""
    children, homes = random_instance(town, random.Random(7))
    first, second = run(town, children, homes, seed=3), run(town, children, homes, seed=3)
    assert first.placement() == second.placement()
    assert first.objective == second.objective and first.summary_figures == second.summary_figures


def test_a_deterministic_plan_repeats_when_the_time_limit_stops_it() -> None:
    """500 children x 2,000 homes with a budget too small to prove: twice the same plan."""
    from matching import load_policy
    from matching.bench import AS_OF, plan_instance
    from matching.snapshot import HomeSnapshot

    homes, children, communities = plan_instance(2_000, 500, seed=3)
    snap, policy = HomeSnapshot(homes, as_of=AS_OF), load_policy()
    runs = [
        plan(children, snap, communities, policy, time_limit_s=0.2, seed=0, deterministic=True)
        for _ in range(2)
    ]
    assert runs[0].placement() == runs[1].placement()
    assert runs[0].objective == runs[1].objective and runs[0].bound == runs[1].bound
    assert runs[0].status == "feasible"  # stopped by the budget, not by a proof
    assert validate(children, snap, communities, policy, runs[0]) == []
