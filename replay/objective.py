"""The replay's objective: one number for a whole window of placements, the same for every
policy, the recorded history and the hindsight optimum (docs/replay.md, "The objective").

A child placed with a family earns the family credit (what a perfect match scores: every
factor weight at its full value), plus the engine's points for that home, minus a day's cost
for every day they waited for it; a sibling group placed whole in one home earns the plan's
"siblings together" points. Integers, in the engine's thousandths of a point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from matching import Policy, Weights
from matching.candidates import integer_points
from matching.placement import group_points
from replay.history import Arrival
from replay.world import Stay

__all__ = ["DAYS_TO_LOSE_THE_CREDIT", "day_cost", "family_credit", "objective", "stay_value"]

DAYS_TO_LOSE_THE_CREDIT = 365  # a year of waiting costs as much as the placement is worth


def family_credit(policy: Policy) -> int:
    """Integer points for placing a child with a family at all: the sum of the weights."""
    return integer_points(sum(policy.weights.of(name) for name in Weights.names()))


def day_cost(policy: Policy) -> int:
    """Integer points lost per day a child waits for the family it gets."""
    return max(1, family_credit(policy) // DAYS_TO_LOSE_THE_CREDIT)


def stay_value(stay: Stay, arrival: Arrival, policy: Policy) -> int:
    """The objective's integer points for one placement."""
    waited = (stay.on - arrival.ready_on).days
    return family_credit(policy) + integer_points(stay.points) - day_cost(policy) * waited


def whole_groups(
    arrivals: Iterable[Arrival], homes: Mapping[str, str]
) -> tuple[dict[str, list[str]], list[str]]:
    """The sibling groups of two or more children in the replay (group -> member ids), and
    the groups whose members all went to one home (``homes``: child id -> home id)."""
    groups: dict[str, list[str]] = {}
    for a in arrivals:
        if a.child.sibling_group is not None:
            groups.setdefault(a.child.sibling_group, []).append(a.id)
    groups = {g: m for g, m in groups.items() if len(m) > 1}
    whole = [
        g
        for g, members in groups.items()
        if all(m in homes for m in members) and len({homes[m] for m in members}) == 1
    ]
    return groups, whole


def objective(arrivals: Iterable[Arrival], stays: Iterable[Stay], policy: Policy) -> int:
    """The objective of a window's placements (one stay per child at most)."""
    by_id = {a.id: a for a in arrivals}
    stays = list(stays)
    total = sum(stay_value(s, by_id[s.child_id], policy) for s in stays)
    groups, whole = whole_groups(by_id.values(), {s.child_id: s.home_id for s in stays})
    return total + sum(group_points(policy, len(groups[g])) for g in whole)
