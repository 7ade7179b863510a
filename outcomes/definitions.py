"""The outcome measures: each one's name, unit, direction, disparity kind and definition.

:mod:`outcomes.measures` computes them; this module says what they are (README, "Outcomes").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["BY_KEY", "MEASURES", "Measure", "measure"]

Kind = Literal["population_rate", "proportion", "event_rate", "days_share", "median", "survival"]


@dataclass(frozen=True)
class Measure:
    """One outcome measure.

    Attributes
    ----------
    key
        Stable identifier used in JSON and CSV.
    name
        What people read.
    unit
        ``per 1,000 children``, ``%``, ``days``, ``km`` or ``per 1,000 days``.
    kind
        How numerator and denominator relate, which fixes the disparity formula: proportions
        use the ratio of proportions and the risk difference, rates per day the Poisson rate
        ratio; medians have no disparity index (length of stay uses the exit-rate ratio).
    lower_is_better
        True for re-entry, moves, congregate care, length of stay and distance.
    definition
        Numerator, denominator and exclusions in one sentence.
    """

    key: str
    name: str
    unit: str
    kind: Kind
    lower_is_better: bool | None
    definition: str


MEASURES: tuple[Measure, ...] = (
    Measure(
        "entries_per_1000",
        "Entries per 1,000 children",
        "per 1,000 children",
        "population_rate",
        None,
        "children 0-17 entering care in the period (first entry; stays under 8 days excluded) "
        "per 1,000 children 0-17 of the population",
    ),
    Measure(
        "own_community_first",
        "First placement in own community",
        "%",
        "proportion",
        False,
        "entries whose first placement with an address (a family home) is in the community "
        "of the removal address, over entries with such a placement",
    ),
    Measure(
        "distance_first_km",
        "Median distance of first placement",
        "km",
        "median",
        True,
        "median distance from the removal address to the first placement with an address",
    ),
    Measure(
        "own_community_current",
        "Current placement in own community",
        "%",
        "proportion",
        False,
        "children in care on the last day of the period whose placement that day has an "
        "address in the community of the removal address, over those with such a placement",
    ),
    Measure(
        "distance_current_km",
        "Median distance of current placement",
        "km",
        "median",
        True,
        "median distance from the removal address to the placement on the last day",
    ),
    Measure(
        "congregate_children",
        "Children in congregate care",
        "%",
        "proportion",
        True,
        "children in care during the period who spent any day of it in a congregate "
        "setting, over children in care during the period",
    ),
    Measure(
        "congregate_days",
        "Care days in congregate care",
        "%",
        "days_share",
        True,
        "days in a congregate setting during the period over all days in care during the "
        "period (days from the 18th birthday on excluded)",
    ),
    Measure(
        "congregate_first",
        "First placement congregate",
        "%",
        "proportion",
        True,
        "entries whose first placement is congregate, over entries with a recorded placement",
    ),
    Measure(
        "congregate_point",
        "In congregate care on the last day",
        "%",
        "proportion",
        True,
        "children in care on the last day of the period placed in a congregate setting that "
        "day, over children in care that day",
    ),
    Measure(
        "stay_median_days",
        "Median length of stay",
        "days",
        "survival",
        True,
        "Kaplan-Meier median days from removal to discharge for the entries; open stays "
        "censored on the as-of date, exits at 18 or older censored; disparity index: ratio "
        "of exit rates (exits per day in care)",
    ),
    Measure(
        "stay_restricted_mean_days",
        "Restricted mean length of stay",
        "days",
        "survival",
        True,
        "area under the Kaplan-Meier curve of the entries up to the horizon "
        "(restricted_mean_days): the mean days in care within it; disparity index: ratio of "
        "exit rates (exits per day in care)",
    ),
    Measure(
        "permanency_12m",
        "Permanency in 12 months",
        "%",
        "proportion",
        False,
        "entries discharged to reunification, relatives, adoption or guardianship within "
        "12 months (before 18; trial-home-visit days beyond 30 not counted), over entries "
        "followed for 12 months",
    ),
    Measure(
        "reunification_12m",
        "Reunification in 12 months",
        "%",
        "proportion",
        False,
        "entries discharged to reunification within 12 months (before 18; trial-home-visit "
        "days beyond 30 not counted), over entries followed for 12 months",
    ),
    Measure(
        "reentry_12m",
        "Re-entry in 12 months",
        "%",
        "proportion",
        True,
        "entries discharged within 12 months to reunification, relatives or guardianship "
        "(not adoption) who re-entered care within 12 months of the discharge, over those "
        "discharges followed for 12 months",
    ),
    Measure(
        "moves_per_1000_days",
        "Placement moves per 1,000 days",
        "per 1,000 days",
        "event_rate",
        True,
        "placement moves of the entries during the period (the first placement, trial home "
        "visits, runaway and respite are not moves) per 1,000 of their days in care in it",
    ),
    Measure(
        "siblings_all",
        "Placed with all siblings",
        "%",
        "proportion",
        False,
        "children in care on the last day with a sibling in care who live in the same home as "
        "all of their siblings in care, over children in care with a sibling in care",
    ),
    Measure(
        "siblings_some",
        "Placed with some siblings",
        "%",
        "proportion",
        False,
        "children in care on the last day with a sibling in care who live in the same home as "
        "at least one of them, over children in care with a sibling in care",
    ),
)

BY_KEY = {m.key: m for m in MEASURES}


def measure(key: str) -> Measure:
    """The measure with this key."""
    return BY_KEY[key]
