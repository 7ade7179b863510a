"""Outreach: partners ranked by place, the gap's languages and how their kind reaches it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from recruitment import GapResult, RecruitmentPolicy, compute_gaps
from tests.helpers.recruitment import build, communities, steady_entries

PARTNERS = pd.DataFrame(
    [
        {
            "id": "P1",
            "name": "English church",
            "kind": "faith",
            "community": "A",
            "languages": "en",
        },
        {
            "id": "P2",
            "name": "Spanish health centre",
            "kind": "health",
            "community": "A",
            "languages": "es;en",
        },
        {
            "id": "P3",
            "name": "Spanish school next door",
            "kind": "school",
            "community": "B",
            "languages": "es",
        },
        {"id": "P4", "name": "Far away", "kind": "school", "community": "C", "languages": "es"},
        {
            "id": "P0",
            "name": "Another English church",
            "kind": "faith",
            "community": "A",
            "languages": "en",
        },
    ]
)


def _result(policy: RecruitmentPolicy, **kwargs: Any) -> GapResult:
    episodes = steady_entries("A", 40, language="es") + steady_entries(
        "A", 10, age=15, language="es"
    )
    areas = communities(("A", 2000), ("B", 2000), ("C", 2000))
    inputs = build(
        episodes, areas, partners=PARTNERS, neighbours={"A": {"B"}, "B": {"A"}}, **kwargs
    )
    return compute_gaps(inputs, policy)


def test_partners_serving_the_gaps_language_come_first(plain_policy: RecruitmentPolicy) -> None:
    """For a mostly Spanish-speaking gap, the Spanish-speaking partners lead; far ones never show."""
    names = [p["name"] for p in _result(plain_policy).rows("all").iloc[0]["partners"]]
    assert names[0] == "Spanish health centre"
    assert "Far away" not in names
    assert len(names) == plain_policy.max_partners


def test_a_neighbour_counts_less_than_the_same_partner_at_home(
    plain_policy: RecruitmentPolicy,
) -> None:
    """The school next door ranks by its discounted score and is marked as next door."""
    listed = _result(plain_policy).rows("language:es").iloc[0]["partners"]
    by_name = {p["name"]: p for p in listed}
    school = by_name["Spanish school next door"]
    assert school["in_community"] is False
    assert school["score"] < by_name["Spanish health centre"]["score"]


def test_kind_affinity_reaches_teenagers_through_schools(plain_policy: RecruitmentPolicy) -> None:
    """For teenagers, a school outranks a health centre serving the same language."""
    policy = replace(plain_policy, neighbour_weight=1.0)
    listed = [p["name"] for p in _result(policy).rows("age:13-17").iloc[0]["partners"]]
    assert listed.index("Spanish school next door") < listed.index("Spanish health centre")


def test_ties_go_to_the_partner_id(plain_policy: RecruitmentPolicy) -> None:
    """Two identical English churches are listed in id order, every time."""
    policy = replace(plain_policy, max_partners=5)
    listed = [p["id"] for p in _result(policy).rows("all").iloc[0]["partners"]]
    assert listed.index("P0") < listed.index("P1")
