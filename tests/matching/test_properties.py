"""Properties over generated instances, checked against a slow, obviously correct per-home oracle."""

from __future__ import annotations

import dataclasses
import itertools
import math
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from geo import LatLon, haversine_km
from matching import RULES, Child, Communities, Home, HomeSnapshot, Policy, load_policy, rank

AS_OF = date(2026, 3, 1)
CENTRE = LatLon(41.85, -87.65)
COMMUNITIES = Communities({"A": "Alpha", "B": "Beta", "C": "Gamma"}, {"A": ["B"]})
TRIBES = ("Oneida Nation", "Ho-Chunk Nation")
LANGUAGES = ("en", "es", "pl")
CHILD_IDS = ("C1", "C2", "C3")
MAX_AGE = 21

# -- generated instances ---------------------------------------------------------------------

offsets = st.floats(min_value=-0.25, max_value=0.25, allow_nan=False)  # about +-28 km
points = st.builds(lambda a, b: LatLon(CENTRE.lat + a, CENTRE.lon + b), offsets, offsets)
communities = st.sampled_from(["A", "B", "C", None])


@st.composite
def homes(draw: st.DrawFn, index: int) -> Home:
    # weighted towards homes that can take someone, so that most instances have candidates
    capacity = draw(st.sampled_from([0, 1, 1, 2, 2, 3, 4]))
    age_min = draw(st.sampled_from([None, None, 0, 5, 11, 18]))
    lowest = age_min or 0
    age_max = draw(st.sampled_from([None, None, max(lowest, 17), max(lowest, 8), max(lowest, 12)]))
    tribe = draw(st.sampled_from([None, None, *TRIBES]))
    return Home(
        id=f"H{index}",
        kind=draw(
            st.sampled_from(["kin", "foster", "foster", "foster", "therapeutic", "pre_adoptive"])
        ),
        status=draw(st.sampled_from(["active"] * 6 + ["on_hold", "closed"])),
        location=draw(points),
        community=draw(communities),
        capacity=capacity,
        free_beds=draw(st.sampled_from([0, capacity, capacity, max(capacity - 1, 0)])),
        age_min=age_min,
        age_max=age_max,
        accepts_sex=draw(st.sampled_from([None, "any", "any", "female", "male"])),
        max_siblings=draw(st.none() | st.integers(1, 3)),
        capabilities=draw(
            st.frozensets(
                st.sampled_from(
                    ["medical", "behavioral", "developmental", "therapeutic", "infant"]
                ),
                min_size=2,
            )
        ),
        languages=tuple(draw(st.lists(st.sampled_from(LANGUAGES), unique=True, max_size=2))),
        religion=draw(st.none() | st.sampled_from(["catholic", "muslim"])),
        cultural_offers=draw(st.frozensets(st.sampled_from(["halal diet", "Deaf/ASL"]))),
        tribe=tribe,
        tribe_licensed=tribe is not None and draw(st.booleans()),
        kin_of=draw(st.frozensets(st.sampled_from([*CHILD_IDS, "C9"]), max_size=2)),
        licensed=draw(st.sampled_from([True, True, True, False])),
        placements_last_year=draw(st.integers(0, 4)),
        last_placed_on=draw(
            st.none() | st.integers(0, 2000).map(lambda d: AS_OF - timedelta(days=d))
        ),
    )


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Child], list[Home], Policy]:
    size = draw(st.integers(1, 3))
    ids = CHILD_IDS[:size]
    n_homes = draw(st.integers(0, 10))
    home_list = [draw(homes(i)) for i in range(n_homes)]
    home_ids = [h.id for h in home_list]
    shared_removal = draw(points)
    children = []
    for child_id in ids:
        removal = shared_removal if draw(st.booleans()) else draw(points)
        children.append(
            Child(
                id=child_id,
                age=draw(st.integers(0, 17) | st.integers(18, 21)),
                sex=draw(st.sampled_from(["female", "male", "female", "male", "unknown"])),
                removal=removal,
                removal_community=draw(communities),
                languages=tuple(
                    draw(st.lists(st.sampled_from(LANGUAGES), unique=True, max_size=2))
                ),
                religion=draw(st.none() | st.sampled_from(["catholic", "muslim"])),
                cultural_needs=draw(st.frozensets(st.sampled_from(["halal diet", "Deaf/ASL"]))),
                tribe=draw(st.none() | st.sampled_from(TRIBES)),
                icwa=draw(st.sampled_from([None, "no", "yes", "yes", "reason_to_know"])),
                needs=draw(
                    st.frozensets(
                        st.sampled_from(["medical", "behavioral", "developmental", "therapeutic"]),
                        max_size=1,
                    )
                ),
                separate_from=draw(
                    st.frozensets(st.sampled_from([c for c in ids if c != child_id]))
                )
                if size > 1 and draw(st.integers(0, 3)) == 0
                else frozenset(),
                excluded_homes=draw(st.frozensets(st.sampled_from(home_ids), max_size=1))
                if home_ids
                else frozenset(),
                school=draw(st.none() | points),
            )
        )
    policy = dataclasses.replace(
        load_policy(),
        radius_km=draw(st.sampled_from([10.0, 25.0, 40.0])),
        jurisdiction=draw(st.sampled_from(["us", "us", "generic"])),
        kin_homes_only_for_their_kin=draw(st.booleans()),
    )
    return children, home_list, policy


# -- the oracle: one home, one child at a time, in plain Python --------------------------------


def km(a: LatLon, b: LatLon) -> float:
    return float(haversine_km(a.lat, a.lon, b.lat, b.lon))


def kin_of_request(home: Home, children: list[Child]) -> bool:
    return any(c.id in home.kin_of for c in children)


def child_checks(
    child: Child, home: Home, children: list[Child], policy: Policy
) -> dict[str, bool]:
    """Every per-child rule for one child at one home, by rule name."""
    kin = kin_of_request(home, children)
    low = home.age_min if home.age_min is not None else 0
    high = home.age_max if home.age_max is not None else MAX_AGE
    return {
        "inactive": home.status == "active" and (home.licensed or kin),
        "kin_of_others": not policy.kin_homes_only_for_their_kin or home.kind != "kin" or kin,
        "excluded_home": home.id not in child.excluded_homes,
        "sex": home.accepts_sex in (None, "any") or home.accepts_sex == child.sex,
        "age_range": low <= child.age <= high and (child.age >= 1 or "infant" in home.capabilities),
        "needs": child.needs <= home.capabilities,
        "radius": kin or km(child.removal, home.location) <= policy.radius_km,
    }


def may_take(
    child: Child, home: Home, children: list[Child], policy: Policy, homes: list[Home]
) -> bool:
    """Every per-child rule, and the child's own ICWA order among ``homes``."""
    return all(child_checks(child, home, children, policy).values()) and icwa_ok(
        child, home, children, policy, homes
    )


def has_room(home: Home) -> bool:
    return home.free_beds >= 1 and (home.max_siblings is None or home.max_siblings >= 1)


def best_tier(child: Child, children: list[Child], policy: Policy, homes: list[Home]) -> int | None:
    """The best tier among the homes that may take this child on their own, or None."""
    if not policy.icwa or child.icwa not in ("yes", "reason_to_know"):
        return None
    tiers = [
        tier(child, h)
        for h in homes
        if has_room(h) and all(child_checks(child, h, children, policy).values())
    ]
    return min(tiers, default=None)


def icwa_ok(
    child: Child, home: Home, children: list[Child], policy: Policy, homes: list[Home]
) -> bool:
    """A child under ICWA is proposed only homes of her best tier."""
    best = best_tier(child, children, policy, homes)
    return best is None or tier(child, home) == best


def separated(a: Child, b: Child) -> bool:
    return b.id in a.separate_from or a.id in b.separate_from


def can_take(
    group: tuple[Child, ...], home: Home, children: list[Child], policy: Policy, homes: list[Home]
) -> bool:
    """Whether the home may take exactly these children together."""
    limit = home.max_siblings if home.max_siblings is not None else math.inf
    return (
        len(group) >= 1
        and len(group) <= home.free_beds
        and len(group) <= limit
        and all(may_take(c, home, children, policy, homes) for c in group)
        and not any(separated(a, b) for a, b in itertools.combinations(group, 2))
    )


def best_part(
    home: Home, children: list[Child], policy: Policy, homes: list[Home]
) -> tuple[Child, ...]:
    """The largest group the home can take; then most children under ICWA; then most kin;
    then the first in id order."""
    ordered = sorted(children, key=lambda c: c.id)
    for size in range(len(ordered), 0, -1):
        fits = [
            g
            for g in itertools.combinations(ordered, size)
            if can_take(g, home, children, policy, homes)
        ]
        if fits:
            return max(
                fits,
                key=lambda g: (
                    sum(best_tier(c, children, policy, homes) is not None for c in g),
                    sum(c.id in home.kin_of for c in g),
                    -fits.index(g),
                ),
            )
    return ()


def tier(child: Child, home: Home) -> int:
    if child.id in home.kin_of:
        return 1
    if home.tribe is not None and home.tribe == child.tribe and home.tribe_licensed:
        return 2
    return 3 if home.tribe is not None else 4


def group_tier(group: tuple[Child, ...], home: Home, policy: Policy) -> int:
    icwa = [c for c in group if c.icwa in ("yes", "reason_to_know")]
    return max((tier(c, home) for c in icwa), default=0) if policy.icwa else 0


def first_removing_rule(
    home: Home, children: list[Child], policy: Policy, homes: list[Home]
) -> str | None:
    """The first rule, in order, after which the home can take none of the children."""
    alive = set(range(len(children)))
    for rule in RULES:
        if rule.name == "no_free_bed" and home.free_beds < 1:
            return rule.name
        for i in list(alive):
            checks = child_checks(children[i], home, children, policy)
            checks["icwa_order"] = icwa_ok(children[i], home, children, policy, homes)
            if not checks.get(rule.name, True):
                alive.discard(i)
        if not alive:
            return rule.name
    return None


# -- the properties ---------------------------------------------------------------------------


def run(children: list[Child], home_list: list[Home], policy: Policy) -> Any:
    snapshot = HomeSnapshot(home_list, as_of=AS_OF)
    return rank(children, snapshot, COMMUNITIES, policy, limit=100)


@settings(max_examples=200, deadline=None)
@given(instances())
def test_every_candidate_passes_every_rule_as_the_oracle_checks_it(
    instance: tuple[list[Child], list[Home], Policy],
) -> None:
    """Each candidate takes exactly the oracle's best part, and that part passes every rule."""
    children, home_list, policy = instance
    result = run(children, home_list, policy)
    by_id = {h.id: h for h in home_list}
    for candidate in result.candidates:
        home = by_id[candidate.home_id]
        part = best_part(home, children, policy, home_list)
        assert candidate.children == tuple(c.id for c in part)
        assert can_take(part, home, children, policy, home_list)
        assert candidate.takes_all_siblings == (len(part) == len(children))
        assert candidate.icwa_tier == (group_tier(part, home, policy) or None)
        assert candidate.kin == kin_of_request(home, children)
        farthest = max(km(c.removal, home.location) for c in part)
        assert candidate.distance_km == round(farthest, 1)


@settings(max_examples=200, deadline=None)
@given(instances())
def test_the_eligible_homes_and_exclusion_counts_match_the_oracle(
    instance: tuple[list[Child], list[Home], Policy],
) -> None:
    """Eligible = homes taking some child, each ICWA child at her best tier; each removal is
    counted once, under the first rule."""
    children, home_list, policy = instance
    result = run(children, home_list, policy)
    counts = dict.fromkeys((r.name for r in RULES), 0)
    eligible = set()
    for home in home_list:
        rule = first_removing_rule(home, children, policy, home_list)
        if rule is None:
            assert best_part(home, children, policy, home_list), home.id
            eligible.add(home.id)
        else:
            counts[rule] += 1
    bests = [best_tier(c, children, policy, home_list) for c in children]
    assert {c.home_id for c in result.candidates} == eligible
    assert result.eligible_homes == len(eligible)
    assert dict(result.excluded) == counts
    assert sum(result.excluded.values()) == len(home_list) - result.eligible_homes
    assert result.icwa_tier == max((t for t in bests if t is not None), default=None)


@settings(max_examples=120, deadline=None)
@given(instances())
def test_scores_are_in_0_1_and_the_order_is_kin_then_whole_then_score_then_id(
    instance: tuple[list[Child], list[Home], Policy],
) -> None:
    """Scores and factor values lie in [0, 1]; candidates are sorted by the documented keys."""
    result = run(*instance)
    for candidate in result.candidates:
        assert 0.0 <= candidate.score <= 1.0
        for f in candidate.factors:
            assert 0.0 <= f.value <= 1.0
            assert math.isclose(f.contribution, f.value * f.weight)
            assert f.reason
    keys = [(not c.kin, not c.takes_all_siblings, -c.score, c.home_id) for c in result.candidates]
    assert keys == sorted(keys)
    assert [c.rank for c in result.candidates] == list(range(1, len(result.candidates) + 1))


@settings(max_examples=60, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_results_are_deterministic_whatever_the_input_order(
    instance: tuple[list[Child], list[Home], Policy], shuffle: Any
) -> None:
    """The same instance, with children and homes shuffled, gives the same JSON."""
    children, home_list, policy = instance
    first = run(children, home_list, policy).to_json()
    assert run(children, home_list, policy).to_json() == first
    shuffle.shuffle(children)
    shuffle.shuffle(home_list)
    assert run(children, home_list, policy).to_json() == first
