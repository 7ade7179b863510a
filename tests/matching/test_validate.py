"""validate: every planted violation is found, and a clean placement has none."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from matching import Child, Home, Violation, validate
from tests.helpers.town import Town

TRIBE = "Oneida Nation"


def kinds(
    town: Town, children: list[Child], homes: list[Home], placement: dict[str, str]
) -> list[Violation]:
    return validate(children, town.snapshot(homes), town.communities, town.policy, placement)


def test_a_clean_placement_has_no_violation(town: Town) -> None:
    """One child in a one-bed home that takes her: nothing to report."""
    assert kinds(town, [town.child()], [town.home("H1")], {"C1": "H1"}) == []


def test_over_capacity(town: Town) -> None:
    """Two children in a home with one free bed."""
    children = [town.child("C1"), town.child("C2")]
    (v,) = kinds(town, children, [town.home("H1")], {"C1": "H1", "C2": "H1"})
    assert v.kind == "capacity" and v.child_ids == ("C1", "C2") and v.home_id == "H1"
    assert "1 free bed" in v.message


def test_a_violation_as_json(town: Town) -> None:
    """The plan's JSON (CLI `plan --json`, plan jobs) names the children, the home and why."""
    children = [town.child("C1"), town.child("C2")]
    (v,) = kinds(town, children, [town.home("H1")], {"C1": "H1", "C2": "H1"})
    assert v.to_json() == {
        "kind": "capacity",
        "children": ["C1", "C2"],
        "home_id": "H1",
        "message": v.message,
    }


@pytest.mark.parametrize(
    ("child", "home", "kind"),
    [
        ({"age": 15}, {"age_min": 0, "age_max": 5}, "age_range"),
        ({"sex": "male"}, {"accepts_sex": "female"}, "sex"),
        ({"needs": frozenset({"medical"})}, {}, "needs"),
        ({"excluded_homes": frozenset({"H1"})}, {}, "excluded_home"),
        ({}, {"km": 40.0}, "radius"),
        ({}, {"status": "on_hold"}, "inactive"),
        ({}, {"kind": "kin", "kin_of": frozenset({"C9"})}, "kin_of_others"),
    ],
)
def test_each_child_rule(
    town: Town, child: dict[str, Any], home: dict[str, Any], kind: str
) -> None:
    """A child placed in a home that a hard rule forbids is reported under that rule."""
    found = kinds(town, [town.child(**child)], [town.home("H1", **home)], {"C1": "H1"})
    assert [v.kind for v in found] == [kind]


def test_the_radius_does_not_apply_to_kin(town: Town) -> None:
    """A kin home 40 km away is no radius violation."""
    home = town.home("H1", km=40.0, kind="kin", kin_of=frozenset({"C1"}))
    assert kinds(town, [town.child()], [home], {"C1": "H1"}) == []


def test_kin_first(town: Town) -> None:
    """A child in a foster home while the aunt's home, named for her, had a free bed."""
    homes = [town.home("H1"), town.home("H-aunt", km=30.0, kind="kin", kin_of=frozenset({"C1"}))]
    (v,) = kinds(town, [town.child()], homes, {"C1": "H1"})
    assert v.kind == "kin_first" and "H-aunt" in v.message


def test_separation(town: Town) -> None:
    """Two children with a safety separation in the same home."""
    children = [town.child("C1", separate_from=frozenset({"C2"})), town.child("C2")]
    (v,) = kinds(town, children, [town.home("H1", free_beds=2)], {"C1": "H1", "C2": "H1"})
    assert v.kind == "separation" and v.child_ids == ("C1", "C2")


def test_icwa_order(town: Town) -> None:
    """A child under ICWA in an ordinary home while the tribe's home had a free bed."""
    children = [town.child(icwa="yes", tribe=TRIBE)]
    homes = [town.home("H-near"), town.home("H-tribe", km=10.0, tribe=TRIBE, tribe_licensed=True)]
    (v,) = kinds(town, children, homes, {"C1": "H-near"})
    assert v.kind == "icwa_order" and "H-tribe" in v.message


def test_icwa_order_allows_a_lower_tier_when_the_higher_is_full(town: Town) -> None:
    """The tribe's home taken by another child: the ordinary home is no violation."""
    children = [town.child(icwa="yes", tribe=TRIBE), town.child("C2")]
    homes = [town.home("H-near"), town.home("H-tribe", km=10.0, tribe=TRIBE, tribe_licensed=True)]
    assert kinds(town, children, homes, {"C1": "H-near", "C2": "H-tribe"}) == []


def test_a_sibling_group_split_while_a_home_could_take_it_whole(town: Town) -> None:
    """A pair split over two homes while a two-bed home stood empty."""
    children = [town.child("S1", sibling_group="G"), town.child("S2", sibling_group="G")]
    homes = [town.home("H1"), town.home("H2"), town.home("H-two", free_beds=2)]
    (v,) = kinds(town, children, homes, {"S1": "H1", "S2": "H2"})
    assert v.kind == "siblings_split" and v.home_id == "H-two"


def test_a_split_is_fine_when_no_home_can_take_the_group(town: Town) -> None:
    """A pair split over two one-bed homes, no bigger home: no violation."""
    children = [town.child("S1", sibling_group="G"), town.child("S2", sibling_group="G")]
    homes = [town.home("H1"), town.home("H2")]
    assert kinds(town, children, homes, {"S1": "H1", "S2": "H2"}) == []


def test_sibling_limit(town: Town) -> None:
    """Two siblings in a home that takes at most one sibling."""
    children = [town.child("S1", sibling_group="G"), town.child("S2", sibling_group="G")]
    homes = [town.home("H1", free_beds=2, max_siblings=1)]
    assert [v.kind for v in kinds(town, children, homes, {"S1": "H1", "S2": "H1"})] == [
        "max_siblings"
    ]


def test_every_kind_at_once(town: Town) -> None:
    """Several planted violations are all reported together."""
    children = [
        town.child("C1", age=15, separate_from=frozenset({"C2"})),
        town.child("C2"),
    ]
    homes = [town.home("H1", age_min=0, age_max=5)]
    found = {v.kind for v in kinds(town, children, homes, {"C1": "H1", "C2": "H1"})}
    assert found == {"capacity", "age_range", "separation"}


def test_unknown_ids(town: Town) -> None:
    """A child who is not waiting and a home that does not exist are both named."""
    found = kinds(town, [town.child()], [town.home("H1")], {"C1": "H9", "C7": "H1"})
    assert {v.kind for v in found} == {"unknown_home", "unknown_child"}


def test_validate_never_imports_the_solver() -> None:
    """validate.py imports neither ortools nor the modules that load it (plan, greedy)."""
    import matching.validate as module

    tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {
        m for m in imported if m.startswith(("ortools", "matching.plan", "matching.greedy"))
    }
