"""The matching policy: weights, search radius, curve shapes and the jurisdiction profile.

The policy is a TOML file; ``matching/policy.toml`` ships the defaults and documents every
key. An agency's file may override any subset of them. Everything is validated on load, and
a problem names the file and the key::

    policy.toml: weights.language: expected a number >= 0, got "high"

:class:`Policy` values can also be made in code, usually with ``dataclasses.replace`` on
:func:`load_policy`'s result; they are validated the same way.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

__all__ = ["JURISDICTIONS", "Policy", "PolicyError", "Weights", "load_policy"]

JURISDICTIONS = ("us", "generic")
Jurisdiction = Literal["us", "generic"]
PLAN_FIRST = ("children_placed", "sibling_groups_whole")
PlanFirst = Literal["children_placed", "sibling_groups_whole"]


class PolicyError(ValueError):
    """A policy file (or value) that cannot be used; the message names the file and key."""


def _shown(value: Any) -> str:
    """A value as TOML would spell it ("high" in quotes, true, 3.5)."""
    try:
        return json.dumps(value)
    except TypeError:
        return repr(value)


# -- value checks: each returns the value to keep, or raises ValueError("expected ...") ------


Check = Callable[[Any], Any]


def _number(low: float, *, above: bool = False, high: float | None = None) -> Check:
    bound = f"> {low:g}" if above else f">= {low:g}"
    if high is not None:
        bound = f"in [{low:g}, {high:g}]"

    def check(value: Any) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and math.isfinite(value)
        ok = ok and (value > low if above else value >= low)
        ok = ok and (high is None or value <= high)
        if not ok:
            raise ValueError(f"expected a number {bound}, got {_shown(value)}")
        return float(value)

    return check


def _whole(low: int) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"expected a whole number >= {low}, got {_shown(value)}")
        return value

    return check


def _choice(choices: tuple[str, ...]) -> Check:
    def check(value: Any) -> str:
        if value not in choices:
            expected = " or ".join(f'"{c}"' for c in choices)
            raise ValueError(f"expected {expected}, got {_shown(value)}")
        return str(value)

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {_shown(value)}")
    return value


_WEIGHT = _number(0.0)
_POSITIVE = _number(0.0, above=True)
_SHARE = _number(0.0, high=1.0)

# what one child can gain from being in a home of its own rather than with its siblings:
# the split penalty must be at least their weights together
SPLIT_FLOOR_FACTORS = ("same_community", "distance", "school")

# the file's keys: dotted TOML key -> (Policy field, check)
_KEYS: dict[str, tuple[str, Check]] = {
    "jurisdiction": ("jurisdiction", _choice(JURISDICTIONS)),
    "search.radius_km": ("radius_km", _POSITIVE),
    "search.kin_homes_only_for_their_kin": ("kin_homes_only_for_their_kin", _boolean),
    "shape.distance_half_km": ("distance_half_km", _POSITIVE),
    "shape.school_half_km": ("school_half_km", _POSITIVE),
    "shape.language_partial": ("language_partial", _SHARE),
    "shape.neighbour_partial": ("neighbour_partial", _SHARE),
    "shape.freshness_half_life_days": ("freshness_half_life_days", _POSITIVE),
    "shape.load_spreading": ("load_spreading", _WEIGHT),
    "plan.split_penalty": ("split_penalty", _WEIGHT),
    "plan.first": ("plan_first", _choice(PLAN_FIRST)),
    "plan.waiting_priority": ("waiting_priority", _WEIGHT),
    "plan.waiting_priority_cap_years": ("waiting_priority_cap_years", _POSITIVE),
    "plan.far_penalty": ("far_penalty", _WEIGHT),
    "plan.far_km": ("far_km", _POSITIVE),
    "privacy.suppression_threshold": ("suppression_threshold", _whole(0)),
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
        (DESIGN.md section 5), or ``sibling_groups_whole`` then children placed.
    suppression_threshold
        Published counts from 1 to this number are suppressed (recruitment, outcomes).
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


def _flatten(table: Mapping[str, Any], source: str, prefix: str = "") -> dict[str, Any]:
    """Dotted keys of a parsed TOML document, refusing unknown keys and misplaced tables."""
    flat: dict[str, Any] = {}
    known_tables = {k.split(".")[0] for k in _KEYS if "." in k} | {"weights"}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if not prefix and key in known_tables:
            if not isinstance(value, dict):
                raise PolicyError(f"{source}: {dotted}: expected a table [{dotted}]")
            flat.update(_flatten(value, source, f"{dotted}."))
            continue
        if dotted.startswith("weights."):
            if key not in Weights.names():
                expected = ", ".join(Weights.names())
                raise PolicyError(f"{source}: {dotted}: unknown factor; expected one of {expected}")
        elif dotted not in _KEYS:
            expected = ", ".join([*_KEYS, "weights.*"])
            raise PolicyError(f"{source}: {dotted}: unknown key; expected one of {expected}")
        flat[dotted] = value
    return flat


def _read(path: Path, source: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{source}: no such policy file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{source}: cannot read the policy file: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None


def _validated(flat: Mapping[str, Any], source: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for dotted, value in flat.items():
        check = _WEIGHT if dotted.startswith("weights.") else _KEYS[dotted][1]
        try:
            values[dotted] = check(value)
        except ValueError as exc:
            raise PolicyError(f"{source}: {dotted}: {exc}") from None
    return values


@cache
def _defaults() -> dict[str, Any]:
    shipped = resources.files("matching").joinpath("policy.toml")
    with resources.as_file(shipped) as path:
        flat = _validated(_flatten(_read(path, "policy.toml"), "policy.toml"), "policy.toml")
    missing = sorted({*_KEYS, *(f"weights.{w}" for w in Weights.names())} - set(flat))
    if missing:  # the shipped file must define every key: it is the documentation
        raise PolicyError(f"policy.toml: {missing[0]}: missing from the shipped defaults")
    return flat


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
    values = dict(_defaults())
    source = "policy.toml"
    if path is not None:
        source = str(path)
        values.update(_validated(_flatten(_read(Path(path), source), source), source))
    weights = Weights(**{w: values[f"weights.{w}"] for w in Weights.names()})
    return Policy(
        weights=weights,
        source=source,
        **{name: values[key] for key, (name, _check) in _KEYS.items()},
    )
