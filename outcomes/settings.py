"""The settings of the outcome measures, loaded from TOML (``outcomes/defaults.toml``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from core.codes import DISCHARGE_REASONS, PLACEMENT_SETTINGS
from core.policy_file import read_toml

__all__ = ["BREAKDOWNS", "OutcomeSettings", "load_settings"]

BREAKDOWNS = ("race", "sex", "age", "community")


@dataclass(frozen=True)
class OutcomeSettings:
    """How the measures are counted; the defaults follow the federal CFSR measures.

    Attributes
    ----------
    suppress_below
        Counts from 1 to ``suppress_below - 1`` are suppressed (11: the usual 1-10). 1 turns
        suppression off.
    unreliable_below
        Counts below this are flagged as unreliable.
    min_stay_days, adult_age
        CFSR exclusions: stays shorter than ``min_stay_days`` days and entries at
        ``adult_age`` or older; exits at ``adult_age`` or older are not permanency.
    follow_up_days
        "Within 12 months" means within this many days.
    trial_home_visit_days
        Trial-home-visit days beyond this are not counted as time to permanency.
    restricted_mean_days
        Horizon of the restricted mean length of stay (Kaplan-Meier), in days.
    congregate_settings, permanency_reasons, reentry_exit_reasons
        Placement settings that are congregate care; discharge reasons that are permanency;
        discharge reasons after which a re-entry is counted.
    not_a_move_settings, not_a_move_end_reasons
        Placements that are not moves (trial home visits, runaway, respite).
    own_community_radius_km
        A placement within this distance of the removal address also counts as own community.
    reference
        The reference group per breakdown (e.g. ``{"race": "white"}``); otherwise the largest.
    """

    suppress_below: int = 11
    unreliable_below: int = 11
    min_stay_days: int = 8
    adult_age: int = 18
    follow_up_days: int = 365
    trial_home_visit_days: int = 30
    restricted_mean_days: int = 365
    congregate_settings: tuple[str, ...] = ("group_home", "institution")
    permanency_reasons: tuple[str, ...] = ("reunification", "relative", "adoption", "guardianship")
    reentry_exit_reasons: tuple[str, ...] = ("reunification", "relative", "guardianship")
    not_a_move_settings: tuple[str, ...] = ("trial_home_visit", "runaway")
    not_a_move_end_reasons: tuple[str, ...] = ("respite",)
    own_community_radius_km: float = 0.0
    reference: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.suppress_below < 1:
            raise ValueError("suppress_below must be 1 (no suppression) or more")
        for name in ("min_stay_days", "follow_up_days", "restricted_mean_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be 1 or more")
        if self.trial_home_visit_days < 0 or self.own_community_radius_km < 0:
            raise ValueError("trial_home_visit_days and own_community_radius_km must be >= 0")
        for name in ("congregate_settings", "not_a_move_settings"):
            unknown = set(getattr(self, name)) - set(PLACEMENT_SETTINGS)
            if unknown:
                raise ValueError(f"{name}: unknown setting {sorted(unknown)[0]!r}")
        for name in ("permanency_reasons", "reentry_exit_reasons"):
            unknown = set(getattr(self, name)) - set(DISCHARGE_REASONS)
            if unknown:
                raise ValueError(f"{name}: unknown discharge reason {sorted(unknown)[0]!r}")
        unknown = set(self.reference) - set(BREAKDOWNS)
        if unknown:
            raise ValueError(
                f"reference: unknown breakdown {sorted(unknown)[0]!r}; "
                f"choose from {', '.join(BREAKDOWNS)}"
            )

    def with_changes(self, **changes: Any) -> OutcomeSettings:
        """A copy with some values changed (validated again)."""
        return replace(self, **changes)


def load_settings(path: str | Path | None = None) -> OutcomeSettings:
    """Settings from a TOML file (default: the shipped ``outcomes/defaults.toml``).

    Raises
    ------
    ValueError
        For a missing or unreadable file, an unknown key or a bad value; the message names
        the file and the key.
    """
    if path is None:
        source = "outcomes/defaults.toml"
        with as_file(files("outcomes") / "defaults.toml") as shipped:
            raw = read_toml(shipped, source)
    else:
        source = str(path)
        raw = read_toml(Path(path), source)
    known = {f.name for f in fields(OutcomeSettings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ValueError(f"{source}: unknown setting {key!r}")
        values[key] = tuple(value) if isinstance(value, list) else value
    if "reference" in values:
        values["reference"] = {str(k): str(v) for k, v in values["reference"].items()}
    try:
        return OutcomeSettings(**values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{source}: {error}") from error
