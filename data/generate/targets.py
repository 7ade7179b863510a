"""The numbers that shape the sample county: sizes, national figures and invented shares.

Each national figure says where it comes from. Figures marked (check) were not confirmed
against the primary document; shares marked invented are plausible guesses, tuned so that
the agency as a whole meets the national figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from data.generate.codes import (
    NEED_BEHAVIORAL,
    NEED_DEVELOPMENTAL,
    NEED_MEDICAL,
    NEED_THERAPEUTIC,
    R_ADOPTION,
    R_GUARDIANSHIP,
    R_RELATIVE,
    R_REUNIFICATION,
    R_TRANSFER,
)

DEFAULT_AS_OF = date(2026, 10, 31)  # "today" inside the synthetic data: fixed for reproducibility

# -- the size of the agency ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScaleTargets:
    """The size of an agency: children in care and open (active or on hold) homes on as_of."""

    in_care: int
    open_homes: int
    # children in care per kin home open on as_of, measured by running the model: it sets how
    # many non-kin homes to recruit so that the open homes (kin + non-kin) meet the target
    children_per_open_kin_home: float = 6.2


SCALES: dict[str, ScaleTargets] = {
    # a large urban county, and a large state, on the same 77 communities
    "county": ScaleTargets(in_care=1_500, open_homes=1_000),
    "state": ScaleTargets(in_care=50_000, open_homes=30_000),
}

WINDOW_YEARS = 5  # history kept before as_of (recruitment backtests and outcomes need 5 years)
BURN_IN_YEARS = 6  # simulated before the window so that census and homes are at steady state
HOME_PREHISTORY_YEARS = 15  # homes recruited before the simulation starts (initial stock)

# -- removals ------------------------------------------------------------------------------

# Entries per year per child in care. The AFCARS Report #30 (US Children's Bureau), FY2022:
# 186,602 entries / 368,530 in care. With the census held at the target, this is 1 / mean
# stay: the stay model below is tuned so that the mean stay is 1.8 years (Little's law on
# the AFCARS Report #27, FY2019: 423,997 in care / 251,359 entries, about 1.7 years).
ENTRIES_PER_CHILD_IN_CARE = 0.55
# Entries per 1,000 children 0-17 per year: FY2022 entries / about 73 million US children
# (Census estimate; check). Sets the invented child population of the communities.
ENTRY_RATE_PER_1000 = 2.6

# Ages at entry (single years 0..17) of the youngest child of a removed family. Shaped on the
# national entry ages, under-1s about 20% of entries in 2021 (check), then a dip through
# the school ages and a teenage bump (AFCARS age_in_care FY2012); the youngest child is drawn
# a little younger than entries as a whole because older siblings are added on top.
YOUNGEST_AGE_WEIGHTS = np.array(
    [40.0, 6.5, 6, 5.5, 5, 4.5, 3.8, 3.5, 3.3, 3.1, 3.1, 3.2, 3.6, 7.0, 8.5, 9.0, 8.5, 6.0]
)
NEWBORN_SHARE_OF_INFANTS = 0.40  # infants removed in their first days (at birth, in hospital)
MALE_SHARE = 0.52  # the AFCARS Report #20, FY2012, children in care: male 52%, female 48%
SEX_UNKNOWN_SHARE = 0.001

# Sibling groups. About two thirds of children in care have a sibling in care (Child
# Welfare Information Gateway bulletin "Sibling Issues in Foster Care and Adoption");
# removals by family size 1..6 chosen to give that share with the siblings who enter later
# and the teenagers who leave at 18.
FAMILY_SIZE_WEIGHTS = np.array([0.52, 0.23, 0.12, 0.07, 0.04, 0.02])
SIBLING_GAP_YEARS = (1.0, 2.0, 0.8)  # birth spacing: minimum + gamma(shape, scale), years
LATER_SIBLING_SHARE = 0.16  # families where a sibling (usually newborn) enters later
LATER_SIBLING_DELAY_DAYS = (30, 540)
SEPARATION_SHARE = 0.04  # groups with a recorded safety separation between two siblings

# -- exits ---------------------------------------------------------------------------------

# Discharge reasons (positions in core.codes.DISCHARGE_REASONS) by the youngest child's
# age band (0-5, 6-12, 13-17). Nearly half of exits are to reunification (Annie E. Casey
# Foundation, foster care facts for 2021); adoption, guardianship and relatives follow the
# shape of AFCARS exits (FY2021: adoption ~25%, guardianship ~11%, relatives ~6%; check).
# Emancipation is not drawn: it happens when a child turns 18 in care. Runaway and death are
# drawn per child (below).
FAMILY_REASON_BY_AGE_BAND = np.array(
    [
        # reunif, relative, adoption, guardianship, -, transfer, -, -
        [0.48, 0.07, 0.32, 0.11, 0, 0.02, 0, 0],
        [0.55, 0.08, 0.18, 0.16, 0, 0.03, 0, 0],
        [0.66, 0.09, 0.04, 0.17, 0, 0.04, 0, 0],
    ]
)
# Length of stay by reason: lognormal (median days, sigma). Reunification is quickest,
# adoption slowest; all medians are multiplied by STAY_SCALE, tuned so that the mean stay is
# ~1.8 years (ENTRIES_PER_CHILD_IN_CARE).
STAY_BY_REASON = {
    R_REUNIFICATION: (300.0, 0.85),
    R_RELATIVE: (420.0, 0.75),
    R_ADOPTION: (1000.0, 0.40),
    R_GUARDIANSHIP: (700.0, 0.50),
    R_TRANSFER: (240.0, 0.90),
}
STAY_SCALE = 1.15
RUNAWAY_EXIT_SHARE_TEENS = 0.05  # of children 14+ at entry: leave care on the run
DEATH_SHARE = 0.001
EMANCIPATION_AGE = 18  # care ends on the 18th birthday (discharge reason "emancipation")

# Exit phases. Trial home visits are ~6% and pre-adoptive homes ~4% of children in care,
# supervised independent living ~1% (the AFCARS Report #20, FY2012, placement settings).
THV_SHARE_OF_REUNIFICATIONS = 0.75
THV_DAYS = (30, 240)
PRE_ADOPTIVE_SHARE_OF_ADOPTIONS = 0.90
PRE_ADOPTIVE_DAYS = (180, 420)
SETTLED_DAYS_BEFORE_PERMANENCY = 120  # no more moves while guardianship/relative is arranged
SIL_SHARE_OF_EMANCIPATIONS = 0.60
SIL_DAYS = (120, 420)
RUNAWAY_EXIT_DAYS = (14, 150)

# Re-entry: nationally ~5.6% re-enter within 12 months (the federal Child and Family
# Services Reviews' re-entry indicator, national performance; check); a few more return later.
REENTRY_WITHIN_YEAR = {R_REUNIFICATION: 0.075, R_RELATIVE: 0.04, R_GUARDIANSHIP: 0.03}
REENTRY_LATER = 0.03

# -- placements ----------------------------------------------------------------------------

# Relatives ~28% and non-relative foster homes ~47% of children in care (the AFCARS Report
# #20, FY2012): kin about a third of family placements. Kin placements are steadier.
KIN_AT_ENTRY_SHARE = 0.36  # removals where a relative takes the children at once
KIN_FOUND_LATER_SHARE = 0.15  # placement moves that go to a newly found relative
INITIAL_SHELTER_SHARE = 0.50  # children without kin who spend their first days in a shelter
INITIAL_SHELTER_DAYS = (7, 120)  # assessment before the first family placement
UNRECORDED_WAIT_SHARE = 0.35  # of those: no placement recorded yet while they wait
EMERGENCY_SHELTER_SHARE = 0.30  # after a breakdown: a few days in a shelter first
# mean days between moves of a sibling unit, by setting (moves ~4 per 1,000 days in care;
# the Child and Family Services Reviews' placement stability indicator, national performance
# ~4.5 moves per 1,000 days; check)
MOVE_MEAN_DAYS = {"kin_home": 1500.0, "foster_home": 380.0, "therapeutic": 360.0}
SAME_DAY_DISRUPTION_SHARE = 0.01  # a placement that breaks down the day it starts
DISRUPTION_SHARE_OF_MOVES = 0.45  # unplanned breakdowns among moves ("disruption")
# Congregate care: group homes ~6% and institutions ~9% of children in care (the AFCARS
# Report #20, FY2012), mostly teenagers with behavioural needs. The chance that a child
# needing a placement (at removal, after a breakdown, back from the run) goes to group care,
# by age and needs, is invented to give that share.
CONGREGATE_CHANCE = {
    "teen_behavioral": 0.85,
    "teen_other_needs": 0.50,
    "teen": 0.30,
    "child_behavioral_or_therapeutic": 0.35,
}
STEP_UP_MEAN_DAYS = 240.0  # children 6+ with behavioural needs in family homes
STEP_DOWN_MEAN_DAYS = 1200.0
INSTITUTION_SHARE_OF_CONGREGATE = 0.55
RUN_MEAN_DAYS_TEEN = 1200.0  # a runaway spell per teenager in care (behavioural: faster)
RUN_MEAN_DAYS_TEEN_BEHAVIORAL = 400.0
RUN_SPELL_DAYS = (3.0, 45.0)  # minimum + exponential mean
TEEN_AGE = 13
WAIT_RETRY_DAYS = (3, 12)
WAIT_CITYWIDE_AFTER_DAYS = 14  # search the whole city once a child has waited this long
WAIT_GROUP_HOME_AFTER_DAYS = 45  # teenagers still waiting then go to a group home
TEEN_NO_HOME_TO_GROUP_HOME = 0.5

# -- homes ---------------------------------------------------------------------------------

# Foster-home retention (ASPE/RTI, Gibbs et al. 2005, "Understanding Foster Parenting: Using
# Administrative Data to Explore Retention"): 47-62% of new foster parents leave within a
# year of their first placement; at least one home in five closes each year. Tenure: within
# the first year with this probability, else 1 year plus an exponential with a 20% yearly
# hazard. A few points above 50% because closing homes first finish their current placements.
HOME_FIRST_YEAR_CLOSURE = 0.52
HOME_YEARLY_CLOSURE_AFTER = 0.20
HOME_CLOSE_AT_ONCE_SHARE = 0.25  # closing homes with children: close at once, moving them
HOME_DRAIN_DAYS = (30, 120)  # else: no new children, close when empty or after this long
ON_HOLD_SHARE = 0.03  # active homes without children put on hold on as_of
NONKIN_KIND_WEIGHTS = {"foster": 0.70, "therapeutic": 0.09, "pre_adoptive": 0.21}
CAPACITY_WEIGHTS = np.array([0.28, 0.34, 0.20, 0.10, 0.05, 0.03])  # beds 1..6
# age ranges a home takes: few take teenagers (Annie E. Casey Foundation's Foster Home
# Estimator: teens and large sibling groups are the usual gaps)
AGE_RANGES = ((0, 5), (0, 8), (0, 11), (0, 17), (5, 17), (11, 17))
AGE_RANGE_WEIGHTS = np.array([0.24, 0.12, 0.27, 0.20, 0.09, 0.08])

# -- applicants ----------------------------------------------------------------------------

# Applicants: ~12% of inquiries reach a licence (one state's recruitment pipeline: 446
# homes approved of 3,600 inquiries).
APPLICANT_STEPS = (  # (stage, share of the previous stage that reaches it, days to reach it)
    ("application", 0.36, (7, 60)),
    ("training", 0.75, (14, 60)),
    ("home_study", 0.80, (30, 90)),
    ("licensed", 0.58, (30, 120)),
)
APPLICANT_YEARS = 2
APPLICANT_WITHDRAW_DAYS = (14, 120)  # a dropout is recorded as withdrawn this long after

# -- who the children and families are -----------------------------------------------------

# probability of each need by age band at first entry (0-5, 6-12, 13-17); invented shapes:
# behavioural needs rise steeply with age
NEED_RATES = {
    NEED_MEDICAL: (0.10, 0.06, 0.06),
    NEED_BEHAVIORAL: (0.02, 0.22, 0.55),
    NEED_DEVELOPMENTAL: (0.10, 0.12, 0.08),
    NEED_THERAPEUTIC: (0.02, 0.08, 0.14),
}
RELIGION_BY_LANGUAGE = {  # invented; ordered as RELIGIONS
    "en": (0.30, 0.50, 0.08, 0.06, 0.02, 0.02, 0.02),
    "es": (0.75, 0.25, 0, 0, 0, 0, 0),
    "pl": (0.95, 0.05, 0, 0, 0, 0, 0),
    "zh": (0.20, 0.30, 0, 0, 0, 0.50, 0),
    "ar": (0.10, 0, 0.80, 0, 0.10, 0, 0),
    "ur": (0, 0, 0.95, 0, 0, 0, 0.05),
    "vi": (0.40, 0, 0, 0, 0, 0.60, 0),
    "ko": (0.20, 0.80, 0, 0, 0, 0, 0),
    "tl": (0.90, 0.10, 0, 0, 0, 0, 0),
    "so": (0, 0, 1.0, 0, 0, 0, 0),
    "fr": (0.50, 0, 0.50, 0, 0, 0, 0),
    "ru": (0, 0, 0, 0.40, 0.60, 0, 0),
    "ase": (0.30, 0.50, 0.08, 0.06, 0.02, 0.02, 0.02),
}
CHILD_RELIGION_RECORDED = 0.35
HOME_RELIGION_RECORDED = 0.55
ICWA_SHARE = 0.015  # families with an ICWA "yes" or "reason to know" (invented, ~1-2%)
DEAF_SHARE = 0.0025
HOME_ASL_SHARE = 0.006
HOME_TRIBE_SHARE = 0.005

# Race/ethnicity categories of families, weighted at removal by national disproportionality:
# in care (the AFCARS Report #21, FY2013: white 42%, black 24%, Hispanic 22%, two or more
# 6%) against the child population (Census, roughly white 50%, black 14%, Hispanic 25%,
# Asian 5%; check). One weight per category of codes.RACE_CATEGORIES.
RACE_REMOVAL_WEIGHT = np.array([1.7, 0.9, 0.85, 0.2, 1.4])
# race flags (the import format's race codes) of each category; "hispanic" also sets hispanic=yes
RACE_FLAGS = {
    "black": (("black", 0.97), ("black;white", 0.03)),
    "white": (("white", 0.97), ("unknown", 0.03)),
    "asian": (("asian", 0.95), ("asian;white", 0.05)),
    "hispanic": (
        ("white", 0.55),
        ("unknown", 0.25),
        ("black", 0.07),
        ("aian", 0.03),
        ("aian;white", 0.04),
        ("black;white", 0.06),
    ),
    "other": (
        ("black;white", 0.45),
        ("asian;white", 0.10),
        ("aian", 0.08),
        ("aian;white", 0.08),
        ("nhpi", 0.05),
        ("asian;black", 0.04),
        ("unknown", 0.20),
    ),
}
ICWA_RACE_FLAGS = (("aian", 0.6), ("aian;white", 0.25), ("aian;black", 0.15))
# languages a category's families may speak at home (the table gives the shares)
LANGUAGES_OF_CATEGORY = {
    "hispanic": ("es",),
    "asian": ("zh", "vi", "ko", "tl", "ur"),
    "white": ("pl", "ru", "ar"),
    "black": ("so", "fr"),
    "other": (),
}
SPANISH_SHARE_OF_HISPANIC = 0.40  # Hispanic families who speak Spanish at home (invented)
# Non-kin homes speak a community's languages less often than its families: the language
# gap the recruitment analytics should find.
HOME_LANGUAGE_FACTOR = 0.45
