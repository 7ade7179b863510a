"""Pure analytics: the Family-to-Family outcome measures and their disparities (issue 7).

Frames in (:class:`OutcomeTables`, see :mod:`outcomes.tables` for the column contract),
:class:`OutcomeReport` out (:func:`evaluate`). The package never touches the database: the
service layer (``api/services/outcomes.py``) builds the frames.
"""

from core.survival import KaplanMeier, kaplan_meier
from outcomes.definitions import MEASURES, Measure
from outcomes.disparity import (
    disproportionality_index,
    rate_ratio,
    ratio_of_means,
    ratio_of_proportions,
    risk_difference,
)
from outcomes.report import OutcomeReport, default_period, evaluate
from outcomes.settings import BREAKDOWNS, OutcomeSettings, load_settings
from outcomes.tables import OutcomeInputError, OutcomeTables, race_ethnicity

__all__ = [
    "BREAKDOWNS",
    "MEASURES",
    "KaplanMeier",
    "Measure",
    "OutcomeInputError",
    "OutcomeReport",
    "OutcomeSettings",
    "OutcomeTables",
    "default_period",
    "disproportionality_index",
    "evaluate",
    "kaplan_meier",
    "load_settings",
    "race_ethnicity",
    "rate_ratio",
    "ratio_of_means",
    "ratio_of_proportions",
    "risk_difference",
]
