"""The code lists of the records: one definition, read by the import formats, the engines
and the outcome tables alike (docs and README list them for readers)."""

from __future__ import annotations

__all__ = [
    "ACCEPTS_SEX",
    "APPLICANT_STAGES",
    "CAPABILITIES",
    "CONGREGATE_SETTINGS",
    "DECLINE_REASONS",
    "DISCHARGE_REASONS",
    "FAMILY_SETTINGS",
    "HOME_KINDS",
    "HOME_STATUSES",
    "ICWA",
    "NEEDS",
    "OFFER_OUTCOMES",
    "PARTNER_KINDS",
    "PLACEMENT_SETTINGS",
    "RACES",
    "SEXES",
    "YES_NO_UNKNOWN",
]

HOME_KINDS: tuple[str, ...] = ("kin", "foster", "therapeutic", "pre_adoptive")
HOME_STATUSES: tuple[str, ...] = ("active", "on_hold", "closed")
SEXES: tuple[str, ...] = ("female", "male", "unknown")
ACCEPTS_SEX: tuple[str, ...] = ("any", "female", "male")
NEEDS: tuple[str, ...] = ("medical", "behavioral", "developmental", "therapeutic")
CAPABILITIES: tuple[str, ...] = (*NEEDS, "infant")  # what a home can care for
RACES: tuple[str, ...] = ("aian", "asian", "black", "nhpi", "white", "unknown")
YES_NO_UNKNOWN: tuple[str, ...] = ("yes", "no", "unknown")
ICWA: tuple[str, ...] = ("yes", "no", "reason_to_know")
PLACEMENT_SETTINGS: tuple[str, ...] = (
    "pre_adoptive",
    "kin_home",
    "foster_home",
    "group_home",
    "institution",
    "independent_living",
    "runaway",
    "trial_home_visit",
    "shelter",
)
FAMILY_SETTINGS: tuple[str, ...] = ("pre_adoptive", "kin_home", "foster_home")
CONGREGATE_SETTINGS: tuple[str, ...] = ("group_home", "institution", "shelter")
DISCHARGE_REASONS: tuple[str, ...] = (
    "reunification",
    "relative",
    "adoption",
    "guardianship",
    "emancipation",
    "transfer",
    "runaway",
    "death",
)
APPLICANT_STAGES: tuple[str, ...] = (
    "inquiry",
    "application",
    "training",
    "home_study",
    "licensed",
    "withdrawn",
)
PARTNER_KINDS: tuple[str, ...] = (
    "faith",
    "school",
    "community_centre",
    "health",
    "cultural_association",
    "other",
)

# a call to a family about a child (an offer): how it ended, and why a family said no
OFFER_OUTCOMES: tuple[str, ...] = ("offered", "accepted", "declined", "no_answer")
DECLINE_REASONS: tuple[str, ...] = (
    "no_capacity_now",
    "child_needs",
    "age_or_sex",
    "sibling_group_size",
    "family_circumstances",
    "distance",
    "other",
)
