"""What the calls teach the ranking: rule ``declined``, rule ``on_hold``, factor ``acceptance``."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest

from matching import Decline, Home, InputError, factor_named
from tests.helpers.town import REMOVAL

if TYPE_CHECKING:
    from tests.helpers.town import Town


def _factor(town: Town, home: Home, name: str = "acceptance") -> tuple[float, str]:
    result = town.rank([town.child()], [home])
    found = next(f for f in result.candidates[0].factors if f.name == name)
    return found.value, str(found.reason)


def test_a_home_that_declined_the_child_is_excluded_and_a_near_miss(town: Town) -> None:
    """H1, nearest, declined C1 on 20 February: it is not proposed again, is counted under
    ``declined`` and listed among the near misses with the day and the reason."""
    child = town.child(declined=frozenset({Decline("H1", date(2026, 2, 20), "no_capacity_now")}))
    homes = [town.home("H1", km=0.5), town.home("H2", km=3.0)]
    result = town.rank([child], homes)
    assert [c.home_id for c in result.candidates] == ["H2"]
    assert result.excluded["declined"] == 1
    miss = next(m for m in result.near_misses if m.home_id == "H1")
    assert miss.rule == "declined"
    assert str(miss.detail) == "declined on 20 February: no capacity now"


def test_a_decline_for_another_child_does_not_exclude(town: Town) -> None:
    """H1 declined C2, not C1: C1 still gets H1 first."""
    child = town.child("C1")
    other = town.child("C2", declined=frozenset({Decline("H1", date(2026, 2, 20), "distance")}))
    homes = [town.home("H1", km=0.5), town.home("H2", km=3.0)]
    assert town.rank([child], homes).candidates[0].home_id == "H1"
    assert [c.home_id for c in town.rank([other], homes).candidates] == ["H2"]


def test_a_sibling_decline_is_said_for_that_child(town: Town) -> None:
    """In a group, the decline of one sibling keeps the home from the whole group only as far
    as that child goes, and the near miss names the child."""
    c1 = town.child("C1", sibling_group="G")
    c2 = town.child(
        "C2",
        sibling_group="G",
        declined=frozenset({Decline("H1", date(2025, 12, 1), "sibling_group_size")}),
    )
    homes = [town.home("H1", km=0.5, free_beds=2, capacity=2)]
    result = town.rank([c1, c2], homes)
    assert all(not c.takes_all_siblings for c in result.candidates)
    miss = next(m for m in result.near_misses if m.home_id == "H1")
    assert str(miss.detail) == "C2: declined on 1 December 2025: sibling group size"


def test_no_capacity_now_puts_the_home_on_hold_for_every_child(town: Town) -> None:
    """A home that said "no room now" 5 days ago is on hold (14 days) for every child; 20 days
    ago it is back; with the hold switched off it is never held."""
    held = town.home("H1", km=0.5, no_capacity_on=town.as_of - timedelta(days=5))
    free = town.home("H2", km=3.0)
    result = town.rank([town.child()], [held, free])
    assert [c.home_id for c in result.candidates] == ["H2"]
    assert result.excluded["on_hold"] == 1
    miss = next(m for m in result.near_misses if m.home_id == "H1")
    assert str(miss.detail) == "said it had no room on 24 February; on hold until 10 March"
    back = dataclasses.replace(held, no_capacity_on=town.as_of - timedelta(days=20))
    assert town.rank([town.child()], [back, free]).candidates[0].home_id == "H1"
    off = dataclasses.replace(town.policy, no_capacity_hold_days=0)
    assert town.rank([town.child()], [held, free], policy=off).candidates[0].home_id == "H1"


def test_the_child_who_was_declined_sees_the_decline_not_the_hold(town: Town) -> None:
    """For the child it declined, a held home is explained by the decline (one reason per home)."""
    said = town.as_of - timedelta(days=2)
    child = town.child(declined=frozenset({Decline("H1", said, "no_capacity_now")}))
    held = town.home("H1", km=0.5, no_capacity_on=said)
    result = town.rank([child], [held, town.home("H2", km=3.0)])
    assert result.excluded["declined"] == 1 and result.excluded["on_hold"] == 0
    assert [m.rule for m in result.near_misses if m.home_id == "H1"] == ["declined"]


@pytest.mark.parametrize(
    ("calls", "accepted", "value", "reason"),
    [
        (0, 0, 0.5, "no calls on record"),
        (1, 0, 2 / 5, "did not accept the one call on record"),
        (1, 1, 3 / 5, "accepted the one call on record"),
        (5, 4, 6 / 9, "accepted 4 of its last 5 calls"),
        (10, 0, 2 / 14, "accepted 0 of its last 10 calls"),
    ],
)
def test_acceptance_is_the_calls_with_a_prior(
    town: Town, calls: int, accepted: int, value: float, reason: str
) -> None:
    """(accepted + 4 x 0.5) / (calls + 4): one call says little, ten say a lot."""
    home = town.home("H1", calls=calls, calls_accepted=accepted)
    got, said = _factor(town, home)
    assert got == pytest.approx(value)
    assert said == reason


def test_acceptance_orders_otherwise_equal_homes(town: Town) -> None:
    """Of two homes alike but for their answers, the one that says yes comes first."""
    homes = [
        town.home("H1", km=1.0, calls=10, calls_accepted=1),
        town.home("H2", km=1.0, calls=5, calls_accepted=4),
    ]
    assert [c.home_id for c in town.rank([town.child()], homes).candidates] == ["H2", "H1"]
    assert factor_named("acceptance").label == "Says yes when called"


def test_the_offer_inputs_are_checked() -> None:
    """A decline with a code outside the list, more accepted calls than calls: InputError."""
    with pytest.raises(InputError, match="Decline H1: reason: expected one of no_capacity_now"):
        Decline("H1", date(2026, 1, 1), "busy")
    with pytest.raises(InputError, match="Home H1: calls_accepted: expected a whole number"):
        Home(
            id="H1",
            kind="foster",
            location=REMOVAL,
            capacity=1,
            free_beds=1,
            calls=2,
            calls_accepted=3,
        )
