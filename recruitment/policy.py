"""The recruitment policy: horizon, scenario shares, shrinkage, suppression and segments.

The policy is a TOML file; ``recruitment/policy.toml`` ships the defaults and documents every
key. An agency's file may override any subset of them. Everything is validated on load, and a
problem names the file and the key::

    policy.toml: scenario.kin_share: expected a number in [0, 1], got 1.5

:class:`RecruitmentPolicy` values can also be made in code, usually with
``dataclasses.replace`` on :func:`load_recruitment_policy`'s result; they are validated the
same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from core.policy_file import (
    Check,
    PolicyError,
    choice,
    number,
    shipped,
    shown,
    whole,
    with_overrides,
)
from recruitment.segments import NEEDS, is_segment_value

__all__ = ["PROJECTIONS", "PolicyError", "RecruitmentPolicy", "load_recruitment_policy"]

# how the census at the horizon is projected (recruitment.demand): the children in care today
# and the entries to come, or entries x mean stay (Little's law)
PROJECTIONS = ("stock_flow", "steady_state")


def _needs_order(value: Any) -> tuple[str, ...]:
    ok = isinstance(value, list | tuple) and all(v in NEEDS for v in value)
    if not ok or len(set(value)) != len(value) or set(value) != set(NEEDS):
        raise ValueError(
            f"expected every need once, in order of priority ({', '.join(NEEDS)}), "
            f"got {shown(value)}"
        )
    return tuple(value)


def _interests(value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a table of interest = [segment values], got {shown(value)}")
    out: dict[str, tuple[str, ...]] = {}
    for interest, segments in value.items():
        if not isinstance(segments, list | tuple) or not all(
            isinstance(s, str) and is_segment_value(s) for s in segments
        ):
            raise ValueError(
                f"{interest}: expected a list of segment values such as "
                f'"age:13-17" or "needs:medical", got {shown(segments)}'
            )
        out[str(interest)] = tuple(segments)
    return out


def _affinity(value: Any) -> dict[str, dict[str, float]]:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a table of segment = {{kind = 0..1}}, got {shown(value)}")
    share = number(0.0, 1.0)
    out: dict[str, dict[str, float]] = {}
    for segment, kinds in value.items():
        if not is_segment_value(str(segment)):
            raise ValueError(f'{segment}: not a segment value such as "age:13-17"')
        if not isinstance(kinds, Mapping):
            raise ValueError(f"{segment}: expected a table of kind = 0..1, got {shown(kinds)}")
        try:
            out[str(segment)] = {str(k): share(v) for k, v in kinds.items()}
        except ValueError as exc:
            raise ValueError(f"{segment}: {exc}") from None
    return out


_SHARE = number(0.0, 1.0)
_OPEN_SHARE = number(0.0, 1.0, above=True)
_POSITIVE = number(0.0, above=True)

# the file's keys: dotted TOML key -> (field, check)
_KEYS: dict[str, tuple[str, Check]] = {
    "projection.horizon_months": ("horizon_months", whole(1)),
    "projection.method": ("projection", choice(*PROJECTIONS)),
    "projection.history_years": ("history_years", whole(1)),
    "projection.half_life_years": ("half_life_years", _POSITIVE),
    "projection.max_trend_factor": ("max_trend_factor", number(1.0)),
    "stay.restrict_years": ("restrict_years", _POSITIVE),
    "stay.cohort_years": ("cohort_years", whole(1)),
    "stay.min_entries": ("min_entries", whole(1)),
    "scenario.family_share": ("family_share", _SHARE),
    "scenario.kin_share": ("kin_share", number(0.0, 1.0)),
    "scenario.own_community_target": ("own_community_target", _SHARE),
    "scenario.service_level": ("service_level", _OPEN_SHARE),
    "scenario.interval": ("interval", _OPEN_SHARE),
    "scenario.usable_share": ("usable_share", number(0.0, 1.0, above=True)),
    "scenario.choice_factor": ("choice_factor", number(1.0)),
    "shrinkage.min_prior_child_years": ("min_prior_child_years", _POSITIVE),
    "shrinkage.max_prior_child_years": ("max_prior_child_years", _POSITIVE),
    "shrinkage.mix_prior_entries": ("mix_prior_entries", number(0.0)),
    "supply.tenure_years": ("tenure_years", whole(1)),
    "segments.needs_order": ("needs_order", _needs_order),
    "segments.interests": ("interests", _interests),
    "outreach.max_partners": ("max_partners", whole(0)),
    "outreach.neighbour_weight": ("neighbour_weight", _SHARE),
    "outreach.language_weight": ("language_weight", number(0.0)),
    "outreach.kind_affinity": ("kind_affinity", _affinity),
    "privacy.suppression_threshold": ("suppression_threshold", whole(0)),
}


@dataclass(frozen=True, kw_only=True)
class RecruitmentPolicy:
    """A validated recruitment policy; ``recruitment/policy.toml`` says what each value does.

    Attributes
    ----------
    horizon_months
        Months projected ahead (>= 1).
    projection
        ``"stock_flow"``: the census at the horizon is the children in care on ``as_of``
        still in care then plus the entries to come still in care then; ``"steady_state"``:
        entries per year x mean stay (Little's law).
    history_years, half_life_years, max_trend_factor
        Years of entries used; the half-life of an entry's weight; the cap on the trend.
    restrict_years, cohort_years, min_entries
        Kaplan-Meier restriction (years), entry-cohort window (years), the smallest age band
        given its own stay.
    family_share, kin_share, own_community_target
        Scenario shares: children needing a family setting, placed with kin, placed in their
        own community.
    service_level, interval
        Poisson percentile sized to; central probability of the reported intervals.
    usable_share, choice_factor
        Share of homes active and accepting (u); choice factor (m >= 1).
    min_prior_child_years, max_prior_child_years, mix_prior_entries
        Empirical Bayes bounds on the prior strength of the entry rate; prior of the mix.
    tenure_years
        Tenure years with their own closure hazard (the last band is open-ended).
    needs_order, interests
        Priority of needs for the needs segment; applicant interests -> segment values.
    max_partners, neighbour_weight, language_weight, kind_affinity
        Outreach ranking.
    suppression_threshold
        Published counts of children from 1 to this number are suppressed (0: none).
    source
        Where the policy came from (the file, or ``<code>``), for messages.
    """

    horizon_months: int
    projection: str
    history_years: int
    half_life_years: float
    max_trend_factor: float
    restrict_years: float
    cohort_years: int
    min_entries: int
    family_share: float
    kin_share: float
    own_community_target: float
    service_level: float
    interval: float
    usable_share: float
    choice_factor: float
    min_prior_child_years: float
    max_prior_child_years: float
    mix_prior_entries: float
    tenure_years: int
    needs_order: tuple[str, ...]
    interests: Mapping[str, tuple[str, ...]]
    max_partners: int
    neighbour_weight: float
    language_weight: float
    kind_affinity: Mapping[str, Mapping[str, float]]
    suppression_threshold: int
    source: str = "<code>"

    def __post_init__(self) -> None:
        for key, (name, check) in _KEYS.items():
            try:
                object.__setattr__(self, name, check(getattr(self, name)))
            except ValueError as exc:
                raise PolicyError(f"RecruitmentPolicy.{name} ({key}): {exc}") from None
        if self.min_prior_child_years > self.max_prior_child_years:
            raise PolicyError(
                f"{self.source}: shrinkage.min_prior_child_years ({self.min_prior_child_years:g})"
                f" must not exceed shrinkage.max_prior_child_years "
                f"({self.max_prior_child_years:g})"
            )

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain values (for reports and ``--json``)."""
        out = asdict(self)
        out["needs_order"] = list(self.needs_order)
        out["interests"] = {k: list(v) for k, v in self.interests.items()}
        return out


@cache
def _defaults() -> dict[str, Any]:
    return shipped("recruitment", _KEYS)


def load_recruitment_policy(path: str | Path | None = None) -> RecruitmentPolicy:
    """Load a recruitment policy file over the shipped defaults, validating every key.

    Parameters
    ----------
    path
        A TOML file; keys it leaves out keep the shipped default. None: the shipped defaults
        (``recruitment/policy.toml``).

    Raises
    ------
    PolicyError
        The file is missing or not TOML, a key is unknown, or a value is out of range; the
        message names the file and the dotted key.
    """
    values, source = with_overrides(_defaults(), path, _KEYS)
    return RecruitmentPolicy(
        source=source, **{name: values[key] for key, (name, _check) in _KEYS.items()}
    )
