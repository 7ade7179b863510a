"""The matching policy: weights, search radius, curve shapes and the jurisdiction profile.

The policy is a TOML file; ``matching/policy.toml`` ships the defaults and documents every
key. An agency's file may override any subset of them. Everything is validated on load, and
a problem names the file and the key::

    policy.toml: weights.language: expected a number >= 0, got "high"

:class:`Policy` values can also be made in code, usually with ``dataclasses.replace`` on
:func:`load_policy`'s result; they are validated the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, Literal

from core.policy_file import (
    Check,
    OpenTables,
    PolicyError,
    boolean,
    choice,
    number,
    shipped,
    whole,
    with_overrides,
)

__all__ = ["JURISDICTIONS", "Policy", "PolicyError", "Weights", "load_policy"]

JURISDICTIONS = ("us", "generic")
Jurisdiction = Literal["us", "generic"]
PLAN_FIRST = ("children_placed", "sibling_groups_whole")
PlanFirst = Literal["children_placed", "sibling_groups_whole"]


_WEIGHT = number(0.0)
_POSITIVE = number(0.0, above=True)
_SHARE = number(0.0, 1.0)

# what one child can gain from being in a home of its own rather than with its siblings:
# the split penalty must be at least their weights together
SPLIT_FLOOR_FACTORS = ("same_community", "distance", "school")

# the file's keys: dotted TOML key -> (Policy field, check)
_KEYS: dict[str, tuple[str, Check]] = {
    "jurisdiction": ("jurisdiction", choice(*JURISDICTIONS)),
    "search.radius_km": ("radius_km", _POSITIVE),
    "search.kin_homes_only_for_their_kin": ("kin_homes_only_for_their_kin", boolean),
    "shape.distance_half_km": ("distance_half_km", _POSITIVE),
    "shape.school_half_km": ("school_half_km", _POSITIVE),
    "shape.language_partial": ("language_partial", _SHARE),
    "shape.neighbour_partial": ("neighbour_partial", _SHARE),
    "shape.freshness_half_life_days": ("freshness_half_life_days", _POSITIVE),
    "shape.load_spreading": ("load_spreading", _WEIGHT),
    "plan.split_penalty": ("split_penalty", _WEIGHT),
    "plan.first": ("plan_first", choice(*PLAN_FIRST)),
    "plan.waiting_priority": ("waiting_priority", _WEIGHT),
    "plan.waiting_priority_cap_years": ("waiting_priority_cap_years", _POSITIVE),
    "plan.far_penalty": ("far_penalty", _WEIGHT),
    "plan.far_km": ("far_km", _POSITIVE),
    "privacy.suppression_threshold": ("suppression_threshold", whole(0)),
    "offers.no_capacity_hold_days": ("no_capacity_hold_days", whole(0)),
    "offers.acceptance_prior_calls": ("acceptance_prior_calls", _POSITIVE),
    "offers.acceptance_prior_rate": ("acceptance_prior_rate", _SHARE),
}


@dataclass(frozen=True, kw_only=True)
class Weights:
    """How much each scoring factor counts (>= 0; 0 switches a factor off).

    The field names are the factor names of :mod:`matching.factors`.
    """

    kinship: float
    siblings_together: float
    same_community: float
    distance: float
    school: float
    language: float
    faith_culture: float
    age_fit: float
    capacity_fit: float
    freshness: float
    load_spreading: float
    acceptance: float = 1.0

    def __post_init__(self) -> None:
        for f in fields(self):
            try:
                object.__setattr__(self, f.name, _WEIGHT(getattr(self, f.name)))
            except ValueError as exc:
                raise PolicyError(f"Weights.{f.name}: {exc}") from None

    def of(self, factor: str) -> float:
        """The weight of a factor by name (``KeyError`` for an unknown factor)."""
        if factor not in self.names():
            raise KeyError(f"no weight for factor {factor!r}")
        value: float = getattr(self, factor)
        return value

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The factor names, in the order of the policy file."""
        return _WEIGHT_NAMES


# asked for every factor of every request: dataclasses.fields() is slow enough to show
_WEIGHT_NAMES = tuple(f.name for f in fields(Weights))


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A validated matching policy; see ``matching/policy.toml`` for what each value does.

    Attributes
    ----------
    jurisdiction
        ``us`` (MEPA and the ICWA preference order) or ``generic`` (no ICWA order).
    radius_km
        Search radius around the removal address; kin homes are exempt.
    kin_homes_only_for_their_kin
        A ``kin`` home is proposed only for the children it is named for.
    weights
        The weight of every scoring factor.
    distance_half_km, school_half_km
        Distances at which the distance and school factors halve.
    language_partial, neighbour_partial
        Credit (0..1) for another of the child's languages; for a neighbouring community.
    freshness_half_life_days
        Days after which the freshness factor halves.
    load_spreading
        Load-spreading strength ``s``: that factor is ``exp(-s * placements last year)``.
    split_penalty
        Cost of splitting a sibling group per extra home, in score points (placement plan).
        At least :data:`SPLIT_FLOOR_FACTORS`' weights together: an extra home costs more
        than anything one child gains from a nearer or same-community home.
    waiting_priority, waiting_priority_cap_years
        Score points per year a child has waited, counted when the child is placed, up to
        the cap: the longest-waiting first among near-equal choices (placement plan).
    far_penalty, far_km
        Score points lost per (10 km beyond ``far_km``) squared, in the plan only, for a
        home that is not kin: a far placement costs more the farther it is, so the plan
        does not buy small gains near home for some children with long trips for others
        (a race-neutral equity correction).
    plan_first
        What the placement plan maximises first, before the score: ``children_placed``
        (docs/matching.md, "How the plan is made"), or ``sibling_groups_whole`` then
        children placed.
    suppression_threshold
        Published counts from 1 to this number are suppressed (recruitment, outcomes).
    no_capacity_hold_days
        Days a home that declined a call with ``no_capacity_now`` is not proposed for any
        child, unless a call since confirmed it has room (0: no hold).
    acceptance_prior_calls, acceptance_prior_rate
        The Beta prior of the acceptance factor, as calls already on record for every home
        and the share of them accepted: with 4 calls at 0.5, one decline moves a home from
        0.5 to 0.4, and "accepted 4 of its last 5 calls" gives 0.67.
    source
        Where the policy came from (the file, or ``<code>``), for messages.
    """

    jurisdiction: Jurisdiction
    radius_km: float
    kin_homes_only_for_their_kin: bool
    weights: Weights
    distance_half_km: float
    school_half_km: float
    language_partial: float
    neighbour_partial: float
    freshness_half_life_days: float
    load_spreading: float
    split_penalty: float
    suppression_threshold: int
    plan_first: PlanFirst = "children_placed"
    waiting_priority: float = 2.0
    waiting_priority_cap_years: float = 3.0
    far_penalty: float = 2.0
    far_km: float = 5.0
    no_capacity_hold_days: int = 14
    acceptance_prior_calls: float = 4.0
    acceptance_prior_rate: float = 0.5
    source: str = "<code>"

    def __post_init__(self) -> None:
        for key, (name, check) in _KEYS.items():
            try:
                object.__setattr__(self, name, check(getattr(self, name)))
            except ValueError as exc:
                # the loader checked the file already: this is a value set in code
                raise PolicyError(f"Policy.{name} ({key}): {exc}") from None
        if not isinstance(self.weights, Weights):
            raise PolicyError("Policy.weights: expected a matching.Weights value")
        floor = sum(self.weights.of(name) for name in SPLIT_FLOOR_FACTORS)
        if self.split_penalty < floor:
            raise PolicyError(
                f"{self.source}: plan.split_penalty: {self.split_penalty:g} would let a split "
                "beat keeping a sibling group together: an extra home must cost at least what "
                "one child can gain from a nearer, same-community home near the school "
                f"(weights {' + '.join(SPLIT_FLOOR_FACTORS)} = {floor:g})"
            )

    @property
    def icwa(self) -> bool:
        """True when the ICWA placement preference order is a hard rule."""
        return self.jurisdiction == "us"

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain values (for reports and ``--json``)."""
        return asdict(self)


@cache
def _defaults() -> dict[str, Any]:
    return shipped("matching", _KEYS, _open_tables())


def _open_tables() -> OpenTables:
    return {"weights": (Weights.names(), "factor", _WEIGHT)}


def load_policy(path: str | Path | None = None) -> Policy:
    """Load a policy file over the shipped defaults, validating every key.

    Parameters
    ----------
    path
        A TOML policy file; keys it leaves out keep the shipped default. None: the shipped
        defaults (``matching/policy.toml``).

    Returns
    -------
    Policy
        The validated policy; ``source`` names the file.

    Raises
    ------
    PolicyError
        The file is missing or not TOML, a key is unknown, or a value is out of range; the
        message names the file and the dotted key.
    """
    values, source = with_overrides(_defaults(), path, _KEYS, _open_tables())
    weights = Weights(**{w: values[f"weights.{w}"] for w in Weights.names()})
    return Policy(
        weights=weights,
        source=source,
        **{name: values[key] for key, (name, _check) in _KEYS.items()},
    )
