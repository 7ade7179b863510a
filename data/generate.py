"""The synthetic sample county: a reproducible agency that looks and behaves like a real one.

``generate(out_dir, seed=..., scale="county")`` writes one folder of the import format of
DESIGN.md section 4 (``communities.geojson``, ``homes.csv``, ``children.csv``,
``episodes.csv``, ``placements.csv``, ``applicants.csv``, ``partners.csv``) for the 77
community areas of Chicago. The same seed gives byte-identical files (with the same numpy:
every draw comes from generators spawned from one ``SeedSequence(seed)``, and nothing is
iterated in set or hash order).

How the agency is made
----------------------
1. **Geography.** The raw community areas are read with :class:`geo.CommunityIndex`. Three
   spatially smooth random fields (white noise averaged with the neighbours' values a few
   times) give each community a child density, a *removal propensity* and a *foster-home
   supply* factor; supply is drawn anti-correlated with removals, so that homes are
   concentrated away from where children come from: the mismatch that Family to Family's
   maps of removals against foster homes are drawn to reveal.
2. **Families and episodes.** Removals of sibling groups arrive as a Poisson process over a
   burn-in (``BURN_IN_YEARS``) plus the five-year window before ``as_of``, at a rate per
   community proportional to child population x removal propensity. Each episode draws
   its discharge reason (by the age of the youngest child) and length of stay (lognormal by
   reason), the children's own exits (emancipation at 18, running away, death), a trial home
   visit or a pre-adoptive placement before the exit, later-born siblings entering after the
   others, and re-entries after reunification. Families are then thinned at random so that
   the census on ``as_of`` meets the target of the scale.
3. **Homes.** Foster, therapeutic and pre-adoptive homes are recruited as a Poisson process
   with a tenure drawn so that about half close within their first year and about a fifth of
   the rest each year after (ASPE/RTI 2005); kin homes are created during the simulation for
   a specific sibling group, near the removal address or elsewhere in the city.
4. **Placements.** An event simulation (the events drawn in advance, merged with a heap of
   those that arise) places every child: with a relative when one is found, else in the best
   free family home by the hard rules the matching engine applies (free beds, ages, sex,
   needs within capabilities, sibling-group size, safety separations), looking in the own
   community first, then ring by ring outwards until a placement desk's list of homes has
   been seen, and preferring the child's language, nearness, busy homes and a capacity that
   fits; sibling groups go whole when a home can take them, else split into the fewest
   homes, and later moves try to reunite them. Children no home can take wait in a shelter
   (or, for teenagers, a group home) and are retried, further afield the longer they wait.
   Placement moves, step-ups to and step-downs from congregate care, runaway spells, home
   closures and the exit phases happen as events. Occupancy is tracked per home and a bed
   freed on a day is only reused the next day, so no home is ever over capacity, however
   the end day is counted. New homes join the placement lists in four-weekly batches.
5. **Applicants and partners**: a recruitment funnel over the last two years, and a few
   community partner organisations per community.

What is invented (and says so)
------------------------------
The community areas carry no child population: ``child_population`` is **invented**, the
area of each community times a smooth random density (lower for O'Hare, the Loop and the
other downtown areas), scaled so that the county's entry rate is about 2.6 per 1,000
children per year (the national rate); the state scale multiplies it with the caseload.
The race/ethnicity mix and the language table per community (``_NEIGHBOURHOOD_MIX``,
``_OTHER_LANGUAGES``) are **invented**, rough shapes inspired by the well-known character of
the neighbourhoods (Spanish in the south-west and north-west, Polish on the north-west side,
Chinese around Chinatown, Urdu and Russian in West Ridge ...): they are not census figures
and must not be quoted as such. Partner names and contacts (``*.example.org``) are invented.
Shares marked "invented" below (needs by age, group-care chances, applicants' interests
...) are plausible guesses tuned to the national figures. Every person is fictitious. The
national figures the model is calibrated to are the constants below, each with its source
(the files described in ``data/sample/SOURCES.md``); figures marked
(check) were not confirmed against the primary document.
"""

from __future__ import annotations

import heapq
import importlib.resources
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.csv_cells import CsvWriter
from data.formats import (
    ACCEPTS_SEX,
    CAPABILITIES,
    DISCHARGE_REASONS,
    HOME_KINDS,
    PLACEMENT_SETTINGS,
)
from geo import CommunityIndex

__all__ = ["DEFAULT_AS_OF", "SCALES", "GenerationSummary", "ScaleTargets", "generate"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DEFAULT_AS_OF = date(2026, 10, 31)  # "today" inside the synthetic data: fixed for reproducibility

# == calibration targets ==================================================================


@dataclass(frozen=True, slots=True)
class ScaleTargets:
    """The size of an agency: children in care and open (active or on hold) homes on as_of."""

    in_care: int
    open_homes: int
    # children in care per kin home open on as_of, measured by running the model: it sets how
    # many non-kin homes to recruit so that the open homes (kin + non-kin) meet the target
    children_per_open_kin_home: float = 6.2


SCALES: dict[str, ScaleTargets] = {
    # a large urban county, and a large state, on the same 77 communities (DESIGN.md §11)
    "county": ScaleTargets(in_care=1_500, open_homes=1_000),
    "state": ScaleTargets(in_care=50_000, open_homes=30_000),
}

WINDOW_YEARS = 5  # history kept before as_of (recruitment backtests and outcomes need 5 years)
BURN_IN_YEARS = 6  # simulated before the window so that census and homes are at steady state
HOME_PREHISTORY_YEARS = 15  # homes recruited before the simulation starts (initial stock)

# Entries per year per child in care. AFCARS #30, FY2022: 186,602 entries / 368,530 in care
# (SOURCES.md). With the census held at the target, this is 1 / mean stay: the stay model
# below is tuned so that the mean stay is 1.8 years (REFERENCE.md A.1: about 1.7 years).
ENTRIES_PER_CHILD_IN_CARE = 0.55
# Entries per 1,000 children 0-17 per year: FY2022 entries / about 73 million US children
# (Census estimate; check). Sets the invented child population of the communities.
ENTRY_RATE_PER_1000 = 2.6

# Ages at entry (single years 0..17) of the youngest child of a removed family. Shaped on the
# national entry ages, under-1s about 20% of entries in 2021 (SOURCES.md), then a dip through
# the school ages and a teenage bump (AFCARS age_in_care FY2012); the youngest child is drawn
# a little younger than entries as a whole because older siblings are added on top.
YOUNGEST_AGE_WEIGHTS = np.array(
    [40.0, 6.5, 6, 5.5, 5, 4.5, 3.8, 3.5, 3.3, 3.1, 3.1, 3.2, 3.6, 7.0, 8.5, 9.0, 8.5, 6.0]
)
NEWBORN_SHARE_OF_INFANTS = 0.40  # infants removed in their first days (at birth, in hospital)
MALE_SHARE = 0.52  # AFCARS #20 FY2012 sex_in_care: male 52%, female 48%
SEX_UNKNOWN_SHARE = 0.001

# Sibling groups. About two thirds of children in care have a sibling in care (CWIG
# bulletin, SOURCES.md); removals by family size 1..6 chosen to give that share with the
# siblings who enter later and the teenagers who leave at 18.
FAMILY_SIZE_WEIGHTS = np.array([0.52, 0.23, 0.12, 0.07, 0.04, 0.02])
SIBLING_GAP_YEARS = (1.0, 2.0, 0.8)  # birth spacing: minimum + gamma(shape, scale), years
LATER_SIBLING_SHARE = 0.16  # families where a sibling (usually newborn) enters later
LATER_SIBLING_DELAY_DAYS = (30, 540)
SEPARATION_SHARE = 0.04  # groups with a recorded safety separation between two siblings

# Discharge reasons (codes of §4) by the youngest child's age band (0-5, 6-12, 13-17). Nearly
# half of exits are to reunification (AECF 2021, sibling_and_foster_home_stats.csv); adoption,
# guardianship and relatives follow the shape of AFCARS exits (FY2021: adoption ~25%,
# guardianship ~11%, relatives ~6%; check). Emancipation is not drawn: it happens when a
# child turns 18 in care. Runaway and death are drawn per child (below).
REASONS = DISCHARGE_REASONS
R_REUNIFICATION, R_RELATIVE, R_ADOPTION, R_GUARDIANSHIP = (
    REASONS.index(r) for r in ("reunification", "relative", "adoption", "guardianship")
)
R_EMANCIPATION, R_TRANSFER, R_RUNAWAY, R_DEATH = (
    REASONS.index(r) for r in ("emancipation", "transfer", "runaway", "death")
)
FAMILY_REASON_BY_AGE_BAND = np.array(
    [
        # reunif, relative, adoption, guardianship, -, transfer, -, -
        [0.48, 0.07, 0.32, 0.11, 0, 0.02, 0, 0],
        [0.55, 0.08, 0.18, 0.16, 0, 0.03, 0, 0],
        [0.66, 0.09, 0.04, 0.17, 0, 0.04, 0, 0],
    ]
)
# Length of stay by reason: lognormal (median days, sigma). Reunification is quickest,
# adoption slowest (REFERENCE.md B); all medians are multiplied by STAY_SCALE, tuned so that
# the mean stay is ~1.8 years (ENTRIES_PER_CHILD_IN_CARE).
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
EMANCIPATION_AGE = 18  # care ends on the 18th birthday (DESIGN.md §4: emancipation)

# Exit phases. Trial home visits are ~6% and pre-adoptive homes ~4% of children in care,
# supervised independent living ~1% (AFCARS #20 FY2012 placement settings).
THV_SHARE_OF_REUNIFICATIONS = 0.75
THV_DAYS = (30, 240)
PRE_ADOPTIVE_SHARE_OF_ADOPTIONS = 0.90
PRE_ADOPTIVE_DAYS = (180, 420)
SETTLED_DAYS_BEFORE_PERMANENCY = 120  # no more moves while guardianship/relative is arranged
SIL_SHARE_OF_EMANCIPATIONS = 0.60
SIL_DAYS = (120, 420)
RUNAWAY_EXIT_DAYS = (14, 150)

# Re-entry: national ~5.6% re-enter within 12 months (REFERENCE.md B, check); a few more
# return later.
REENTRY_WITHIN_YEAR = {R_REUNIFICATION: 0.075, R_RELATIVE: 0.04, R_GUARDIANSHIP: 0.03}
REENTRY_LATER = 0.03

# Placements. Relatives ~28% and non-relative foster homes ~47% of children in care (AFCARS
# #20 FY2012): kin about a third of family placements. Kin placements are steadier.
KIN_AT_ENTRY_SHARE = 0.36  # removals where a relative takes the children at once
KIN_FOUND_LATER_SHARE = 0.15  # placement moves that go to a newly found relative
INITIAL_SHELTER_SHARE = 0.50  # children without kin who spend their first days in a shelter
INITIAL_SHELTER_DAYS = (7, 120)  # assessment before the first family placement
UNRECORDED_WAIT_SHARE = 0.35  # of those: no placement recorded yet while they wait
EMERGENCY_SHELTER_SHARE = 0.30  # after a breakdown: a few days in a shelter first
# mean days between moves of a sibling unit, by setting (moves ~4 per 1,000 days in care;
# national placement stability ~4.5, REFERENCE.md B, check)
MOVE_MEAN_DAYS = {"kin_home": 1500.0, "foster_home": 380.0, "therapeutic": 360.0}
SAME_DAY_DISRUPTION_SHARE = 0.01  # a placement that breaks down the day it starts
DISRUPTION_SHARE_OF_MOVES = 0.45  # unplanned breakdowns among moves ("disruption")
# Congregate care: group homes ~6% and institutions ~9% of children in care (AFCARS #20
# FY2012), mostly teenagers with behavioural needs. The chance that a child needing a
# placement (at removal, after a breakdown, back from the run) goes to group care, by age
# and needs, is invented to give that share.
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

# Foster-home retention (sibling_and_foster_home_stats.csv, ASPE/RTI 2005): 47-62% of new
# foster parents leave within a year of their first placement; at least one home in five
# closes each year. Tenure: within the first year with this probability, else 1 year plus an
# exponential with a 20% yearly hazard. A few points above 50% because closing homes first
# finish their current placements.
HOME_FIRST_YEAR_CLOSURE = 0.52
HOME_YEARLY_CLOSURE_AFTER = 0.20
HOME_CLOSE_AT_ONCE_SHARE = 0.25  # closing homes with children: close at once, moving them
HOME_DRAIN_DAYS = (30, 120)  # else: no new children, close when empty or after this long
ON_HOLD_SHARE = 0.03  # active homes without children put on hold on as_of
NONKIN_KIND_WEIGHTS = {"foster": 0.70, "therapeutic": 0.09, "pre_adoptive": 0.21}
CAPACITY_WEIGHTS = np.array([0.28, 0.34, 0.20, 0.10, 0.05, 0.03])  # beds 1..6
# age ranges a home takes: few take teenagers (Casey Foster Home Estimator: teens and large
# sibling groups are the usual gaps)
AGE_RANGES = ((0, 5), (0, 8), (0, 11), (0, 17), (5, 17), (11, 17))
AGE_RANGE_WEIGHTS = np.array([0.24, 0.12, 0.27, 0.20, 0.09, 0.08])

# Applicants: ~12% of inquiries reach a licence (REFERENCE.md A.8: 446 of 3,600).
APPLICANT_STEPS = (  # (stage, share of the previous stage that reaches it, days to reach it)
    ("application", 0.36, (7, 60)),
    ("training", 0.75, (14, 60)),
    ("home_study", 0.80, (30, 90)),
    ("licensed", 0.58, (30, 120)),
)
APPLICANT_YEARS = 2
APPLICANT_WITHDRAW_DAYS = (14, 120)  # a dropout is recorded as withdrawn this long after

# == codes ================================================================================

# the codes are the import format's; the simulation works with their positions
SETTINGS = PLACEMENT_SETTINGS
S_PRE_ADOPTIVE, S_KIN, S_FOSTER, S_GROUP, S_INSTITUTION = (
    SETTINGS.index(s)
    for s in ("pre_adoptive", "kin_home", "foster_home", "group_home", "institution")
)
S_SIL, S_RUNAWAY, S_THV, S_SHELTER = (
    SETTINGS.index(s) for s in ("independent_living", "runaway", "trial_home_visit", "shelter")
)
S_NONE = -1
FAMILY_SETTINGS = (S_PRE_ADOPTIVE, S_KIN, S_FOSTER)
CONGREGATE_SETTINGS = (S_GROUP, S_INSTITUTION)

K_KIN, K_FOSTER, K_THERAPEUTIC, K_PRE_ADOPTIVE = (
    HOME_KINDS.index(k) for k in ("kin", "foster", "therapeutic", "pre_adoptive")
)
SEXES = ("unknown", "female", "male")  # index 0 = unknown, so sex code == accepts code
NEED_MEDICAL, NEED_BEHAVIORAL, NEED_DEVELOPMENTAL, NEED_THERAPEUTIC, CAP_INFANT = 1, 2, 4, 8, 16
# probability of each need by age band at first entry (0-5, 6-12, 13-17); invented shapes:
# behavioural needs rise steeply with age
NEED_RATES = {
    NEED_MEDICAL: (0.10, 0.06, 0.06),
    NEED_BEHAVIORAL: (0.02, 0.22, 0.55),
    NEED_DEVELOPMENTAL: (0.10, 0.12, 0.08),
    NEED_THERAPEUTIC: (0.02, 0.08, 0.14),
}

LANGS = ("en", "es", "pl", "zh", "ar", "ur", "vi", "ko", "tl", "so", "fr", "ru", "ase")
L_EN, L_ES, L_ASE = 0, 1, 12
RELIGIONS = ("catholic", "protestant", "muslim", "jewish", "orthodox", "buddhist", "hindu")
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
TRIBES = (
    "Ho-Chunk Nation",
    "Menominee Indian Tribe of Wisconsin",
    "Oneida Nation",
    "Prairie Band Potawatomi Nation",
    "Navajo Nation",
    "Cherokee Nation",
    "Red Lake Band of Chippewa Indians",
)
ICWA_SHARE = 0.015  # families with an ICWA "yes" or "reason to know" (invented, ~1-2%)
DEAF_SHARE = 0.0025
HOME_ASL_SHARE = 0.006
HOME_TRIBE_SHARE = 0.005

# Race/ethnicity categories of families, weighted at removal by national disproportionality:
# in care (AFCARS #21 FY2013: white 42%, black 24%, Hispanic 22%, two or more 6%) against the
# child population (Census, roughly white 50%, black 14%, Hispanic 25%, Asian 5%; check).
RACE_CATEGORIES = ("black", "hispanic", "white", "asian", "other")
RACE_REMOVAL_WEIGHT = np.array([1.7, 0.9, 0.85, 0.2, 1.4])
# race flags (§4 codes) of each category; "hispanic" also sets hispanic=yes
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

# Invented race/ethnicity mix per community: % black, hispanic, white, asian (the rest:
# two or more races, American Indian, Pacific Islander, unknown). Rough shapes, not census.
_NEIGHBOURHOOD_MIX: dict[int, tuple[int, int, int, int]] = {
    1: (25, 20, 40, 7), 2: (10, 18, 42, 26), 3: (18, 13, 52, 13), 4: (5, 18, 62, 12),
    5: (4, 12, 76, 6), 6: (4, 8, 78, 8), 7: (5, 7, 78, 8), 8: (10, 7, 66, 15),
    9: (1, 10, 86, 2), 10: (1, 12, 82, 4), 11: (1, 25, 65, 8), 12: (1, 12, 75, 10),
    13: (5, 18, 40, 35), 14: (5, 42, 30, 20), 15: (1, 30, 62, 5), 16: (3, 40, 46, 9),
    17: (1, 28, 66, 4), 18: (3, 58, 36, 2), 19: (6, 78, 14, 1), 20: (3, 86, 9, 1),
    21: (3, 50, 42, 4), 22: (4, 40, 50, 4), 23: (38, 52, 8, 1), 24: (8, 24, 60, 6),
    25: (80, 13, 5, 1), 26: (92, 3, 3, 1), 27: (88, 5, 5, 1), 28: (25, 10, 46, 17),
    29: (86, 10, 2, 1), 30: (10, 85, 4, 0), 31: (3, 73, 20, 3), 32: (10, 8, 60, 20),
    33: (20, 6, 50, 22), 34: (15, 4, 16, 64), 35: (60, 4, 16, 18), 36: (92, 2, 3, 2),
    37: (90, 5, 3, 1), 38: (86, 3, 7, 2), 39: (66, 4, 20, 8), 40: (95, 2, 1, 1),
    41: (28, 8, 46, 16), 42: (82, 3, 10, 3), 43: (93, 3, 2, 1), 44: (97, 1, 1, 0),
    45: (96, 2, 1, 0), 46: (56, 40, 3, 0), 47: (97, 1, 1, 0), 48: (91, 5, 2, 0),
    49: (96, 2, 1, 0), 50: (80, 14, 4, 0), 51: (56, 40, 3, 0), 52: (3, 80, 16, 0),
    53: (92, 5, 2, 0), 54: (95, 3, 1, 0), 55: (3, 55, 41, 0), 56: (4, 50, 42, 3),
    57: (2, 76, 19, 2), 58: (2, 85, 6, 7), 59: (3, 58, 14, 24), 60: (4, 26, 34, 35),
    61: (32, 58, 7, 2), 62: (3, 80, 15, 1), 63: (8, 90, 1, 0), 64: (2, 50, 46, 1),
    65: (6, 86, 7, 0), 66: (44, 52, 3, 0), 67: (94, 4, 1, 0), 68: (95, 3, 1, 0),
    69: (97, 1, 1, 0), 70: (56, 31, 12, 0), 71: (97, 1, 1, 0), 72: (36, 5, 57, 1),
    73: (96, 2, 1, 0), 74: (2, 9, 87, 1), 75: (66, 3, 29, 1), 76: (3, 20, 66, 10),
    77: (15, 16, 52, 14),
}  # fmt: skip
# Invented shares (%) of families speaking a language other than English or Spanish at home.
_OTHER_LANGUAGES: dict[str, dict[int, float]] = {
    "pl": {10: 9, 11: 11, 12: 4, 15: 9, 17: 11, 18: 5, 21: 4, 56: 7, 57: 10, 64: 7, 76: 6},
    "zh": {34: 48, 60: 24, 59: 14, 33: 10, 35: 6, 3: 3},
    "ar": {66: 6, 65: 4, 63: 3, 14: 4, 2: 4, 70: 3},
    "ur": {2: 13, 1: 3, 13: 3},
    "vi": {3: 7, 77: 4, 14: 2},
    "ko": {13: 9, 14: 5, 12: 3},
    "tl": {14: 5, 13: 5, 16: 3, 4: 3, 15: 2},
    "so": {1: 3, 3: 3, 77: 2},
    "fr": {1: 3, 77: 2, 3: 2, 43: 1},
    "ru": {2: 7, 1: 3, 13: 2},
}
# child density: smooth random field, lower where people live without children (invented)
_DENSITY_ADJUSTMENT = {76: 0.15, 32: 0.35, 8: 0.5, 33: 0.6, 7: 0.7, 6: 0.7, 28: 0.8}
DENSITY_SPREAD = 0.35  # log-sd of the child density factor
REMOVAL_SPREAD = 0.80  # log-sd of the removal propensity: removals concentrate strongly
SUPPLY_SPREAD = 0.60  # log-sd of the foster-home supply factor
SUPPLY_REMOVAL_CORRELATION = -0.55  # homes are recruited away from where removals are

_DISPLAY_NAMES = {"OHARE": "O'Hare", "MCKINLEY PARK": "McKinley Park"}

# == small helpers ========================================================================

_YEAR = 365.25


def _title(raw: str) -> str:
    """Display name of a community ("NEAR WEST SIDE" -> "Near West Side")."""
    return _DISPLAY_NAMES.get(raw.strip().upper(), raw.strip().title())


def _choice(rng: np.random.Generator, weights: Sequence[float] | NDArray[Any], n: int) -> IntArray:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int64)


def _uniform_days(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> IntArray:
    return rng.integers(int(bounds[0]), int(bounds[1]) + 1, n).astype(np.int64)


def _bits(mask: int, names: Sequence[str]) -> str:
    return ";".join(name for i, name in enumerate(names) if mask >> i & 1)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# == the result ===========================================================================


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote: counts per file and the state of the agency on as_of."""

    communities: int
    homes: int
    homes_open: int  # active + on_hold on as_of
    children: int
    children_in_care: int  # with an open episode on as_of
    waiting: int  # in care with no placement or in shelter / group home / institution
    episodes: int
    placements: int
    applicants: int
    partners: int
    seed: int
    scale: str
    as_of: date

    def summary(self) -> str:
        """A few readable lines."""
        return "\n".join(
            [
                f"synthetic {self.scale} (seed {self.seed}) as of {self.as_of.isoformat()}: "
                f"{self.communities} communities",
                f"children: {self.children:,} ({self.children_in_care:,} in care, "
                f"{self.waiting:,} waiting for a family home)",
                f"homes: {self.homes:,} ({self.homes_open:,} open)",
                f"episodes: {self.episodes:,}; placements: {self.placements:,}",
                f"applicants: {self.applicants:,}; partners: {self.partners:,}",
            ]
        )


# == geography ============================================================================


@dataclass
class _Geography:
    """The communities in id order with their invented population and propensities."""

    index: CommunityIndex
    ids: list[str]
    names: list[str]
    geometries: list[Any]  # the raw GeoJSON geometry objects, copied unchanged
    neighbours: list[IntArray]
    rings: list[tuple[list[int], list[int], list[int], list[int]]]  # itself, neighbours, ...
    child_population: IntArray
    removal_weight: FloatArray  # relative removals per community (population x propensity)
    home_weight: FloatArray  # relative recruitment of non-kin homes
    mix: FloatArray  # (n, 5) race/ethnicity category shares of families (RACE_CATEGORIES)
    language_share: FloatArray  # (n, len(LANGS)) share of families speaking each language

    @property
    def n(self) -> int:
        return len(self.ids)


def _raw_communities() -> dict[str, Any]:
    path = importlib.resources.files("data.sample") / "chicago_community_areas.geojson"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _smooth_field(
    neighbours: list[IntArray], rng: np.random.Generator, rounds: int = 3
) -> FloatArray:
    """Standard-normal values per community that resemble their neighbours' values.

    White noise averaged with the neighbours' mean a few times: no matrix factorisation (as
    a Gaussian process would need), whose last bits depend on the BLAS build.
    """
    z = rng.standard_normal(len(neighbours))
    for _ in range(rounds):
        z = np.array(
            [(z[i] + z[nb].mean()) / 2 if len(nb) else z[i] for i, nb in enumerate(neighbours)]
        )
    return (z - z.mean()) / z.std()


def _build_geography(rng: np.random.Generator, targets: ScaleTargets) -> _Geography:
    raw = _raw_communities()
    features = sorted(raw["features"], key=lambda f: int(f["properties"]["area_numbe"]))
    index = CommunityIndex.from_geojson(raw, id_property="area_numbe", name_property="community")
    ids = [str(f["properties"]["area_numbe"]) for f in features]
    position = {c: i for i, c in enumerate(ids)}
    neighbours = [
        np.array(sorted(position[c] for c in index.neighbours(cid)), dtype=np.int64) for cid in ids
    ]
    rings = []
    for i in range(len(ids)):
        first = sorted(neighbours[i].tolist())
        second = sorted({int(j) for k in first for j in neighbours[k]} - {i, *first})
        rest = sorted(set(range(len(ids))) - {i, *first, *second})
        rings.append(([i], first, second, rest))
    # area in km2 from the lon/lat polygon, corrected for the shrinking of longitude degrees
    area_km2 = np.array(
        [
            index.get(c).geometry.area
            * 111.32**2
            * math.cos(math.radians(index.get(c).representative_point.lat))
            for c in ids
        ]
    )
    density = np.exp(DENSITY_SPREAD * _smooth_field(neighbours, rng))
    density *= np.array([_DENSITY_ADJUSTMENT.get(int(c), 1.0) for c in ids])
    removal = np.exp(REMOVAL_SPREAD * _smooth_field(neighbours, rng))
    supply_z = SUPPLY_REMOVAL_CORRELATION * np.log(removal) / REMOVAL_SPREAD + math.sqrt(
        1 - SUPPLY_REMOVAL_CORRELATION**2
    ) * _smooth_field(neighbours, rng)
    supply = np.exp(SUPPLY_SPREAD * supply_z)

    weight = area_km2 * density
    entries_per_year = ENTRIES_PER_CHILD_IN_CARE * targets.in_care
    total_children = entries_per_year / ENTRY_RATE_PER_1000 * 1000
    child_population = np.round(weight / weight.sum() * total_children).astype(np.int64)

    mix = np.array([_NEIGHBOURHOOD_MIX[int(c)] for c in ids], dtype=np.float64) / 100
    mix = np.column_stack([mix, np.clip(1 - mix.sum(axis=1), 0.02, None)])
    mix /= mix.sum(axis=1, keepdims=True)
    language_share = np.zeros((len(ids), len(LANGS)))
    language_share[:, L_ES] = mix[:, 1] * SPANISH_SHARE_OF_HISPANIC
    for lang, table in _OTHER_LANGUAGES.items():
        for number, share in table.items():
            language_share[position[str(number)], LANGS.index(lang)] = share / 100
    language_share[:, L_EN] = 1 - language_share.sum(axis=1)

    return _Geography(
        index=index,
        ids=ids,
        names=[_title(f["properties"]["community"]) for f in features],
        geometries=[f["geometry"] for f in features],
        neighbours=neighbours,
        rings=rings,
        child_population=child_population,
        removal_weight=child_population * removal,
        home_weight=child_population * supply,
        mix=mix,
        language_share=language_share,
    )


def _points(
    geo: _Geography, community: IntArray, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """A random point inside each given community, rounded to the 6 decimals written out.

    Rounding moves a point by at most 5 cm; a point that it pushes out of every community
    (on the lake shore or the city edge) is drawn again.
    """
    lat = np.zeros(len(community))
    lon = np.zeros(len(community))
    todo = np.arange(len(community))
    while len(todo):
        for c in np.unique(community[todo]).tolist():
            rows = todo[community[todo] == c]
            la, lo = geo.index.sample_points(geo.ids[c], len(rows), rng)
            lat[rows], lon[rows] = np.round(la, 6), np.round(lo, 6)
        found = geo.index.locate(lat[todo], lon[todo])
        todo = todo[np.array([f is None for f in found], dtype=bool)]
    return lat, lon


# == families, children and episodes ======================================================


@dataclass
class _People:
    """Families, children and episodes, as parallel numpy arrays (drawn before simulating).

    An *episode* is one removal of (some of) a family's children; a *stay* is one child's
    part of an episode, with the child's own start and discharge.
    """

    # families
    fam_comm: IntArray
    fam_category: IntArray  # RACE_CATEGORIES
    fam_lang: IntArray  # primary language of the family (LANGS)
    fam_second_en: BoolArray  # a non-English family whose children also speak English
    fam_religion: IntArray  # RELIGIONS or -1
    fam_icwa: IntArray  # 0 no, 1 yes, 2 reason to know
    fam_tribe: IntArray  # TRIBES or -1
    fam_race: list[str]
    fam_hispanic: list[str]
    # children
    child_family: IntArray
    birth: IntArray  # day of birth (simulation days)
    sex: IntArray  # SEXES
    needs: IntArray  # bit mask of NEED_*
    deaf: BoolArray
    lgbtq: BoolArray
    separate_from: IntArray  # another child of the family, or -1
    # episodes
    ep_family: IntArray
    ep_start: IntArray
    ep_discharge: IntArray  # the family's discharge day (may be after as_of)
    ep_reason: IntArray
    ep_kin: BoolArray  # a relative takes the children at removal
    ep_exit: IntArray  # X_* exit phase of the family
    ep_exit_day: IntArray
    ep_lat: FloatArray
    ep_lon: FloatArray
    ep_comm: IntArray
    ep_kin_comm: IntArray
    ep_kin_lat: FloatArray
    ep_kin_lon: FloatArray
    # stays
    st_child: IntArray
    st_episode: IntArray
    st_start: IntArray
    st_discharge: IntArray
    st_reason: IntArray
    st_exit: IntArray  # X_SIL / X_RUN or X_NONE
    st_exit_day: IntArray


X_NONE, X_THV, X_PRE_ADOPTIVE, X_SETTLE, X_SIL, X_RUN = 0, 1, 2, 3, 4, 5


def _age_band(age_days: IntArray) -> IntArray:
    years = age_days / _YEAR
    return np.where(years < 6, 0, np.where(years < 13, 1, 2)).astype(np.int64)


def _draw_youngest_age_days(rng: np.random.Generator, n: int) -> IntArray:
    years = _choice(rng, YOUNGEST_AGE_WEIGHTS, n)
    days = (years * _YEAR + rng.uniform(0, _YEAR, n)).astype(np.int64)
    newborn = (years == 0) & (rng.random(n) < NEWBORN_SHARE_OF_INFANTS)
    days[newborn] = rng.integers(0, 4, int(newborn.sum()))
    return days


def _draw_family_timeline(
    rng: np.random.Generator, start: IntArray, youngest_age: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Reason, discharge day and exit phase (kind, day) of each episode."""
    n = len(start)
    band = _age_band(youngest_age)
    reason = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    for b in range(3):
        rows = band == b
        cdf = np.cumsum(FAMILY_REASON_BY_AGE_BAND[b])
        reason[rows] = np.searchsorted(cdf / cdf[-1], u[rows], side="right")
    drawn = np.zeros(n)
    z = rng.standard_normal(n)
    for r, (median, sigma) in STAY_BY_REASON.items():
        rows = reason == r
        drawn[rows] = median * STAY_SCALE * np.exp(sigma * z[rows])
    stay: IntArray = np.maximum(np.round(drawn), 3).astype(np.int64)
    discharge = start + stay

    exit_kind = np.full(n, X_NONE, dtype=np.int64)
    exit_day = discharge.copy()
    u = rng.random(n)
    thv = (reason == R_REUNIFICATION) & (u < THV_SHARE_OF_REUNIFICATIONS) & (stay >= 60)
    length = np.minimum(_uniform_days(rng, THV_DAYS, n), stay // 2)
    exit_kind[thv], exit_day[thv] = X_THV, (discharge - length)[thv]
    pre = (reason == R_ADOPTION) & (u < PRE_ADOPTIVE_SHARE_OF_ADOPTIONS)
    length = np.minimum(_uniform_days(rng, PRE_ADOPTIVE_DAYS, n), (stay * 0.6).astype(np.int64))
    exit_kind[pre], exit_day[pre] = X_PRE_ADOPTIVE, (discharge - length)[pre]
    settle = np.isin(reason, (R_RELATIVE, R_GUARDIANSHIP)) | ((reason == R_ADOPTION) & ~pre)
    length = np.minimum(SETTLED_DAYS_BEFORE_PERMANENCY, stay // 2)
    exit_kind[settle], exit_day[settle] = X_SETTLE, (discharge - length)[settle]
    return reason, discharge, exit_kind, exit_day


def _birthdays(birth: IntArray, age: int, start: date) -> IntArray:
    """The simulation day of each ``age``-th birthday (a 29 February child: 1 March)."""
    born = np.datetime64(start, "D") + birth
    year = born.astype("datetime64[Y]")
    month = born.astype("datetime64[M]")
    # the same month and day, ``age`` years on; day 29 of a short February runs into March
    then = (year + age).astype("datetime64[M]") + (month - year.astype("datetime64[M]"))
    days = then.astype("datetime64[D]") + (born - month.astype("datetime64[D]"))
    return (days - np.datetime64(start, "D")).astype(np.int64)


def _draw_stays(
    rng: np.random.Generator,
    start: IntArray,
    birth: IntArray,
    adult: IntArray,
    family_discharge: IntArray,
    family_reason: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Each child's own discharge (18th birthday, running away, death) and exit phase."""
    n = len(start)
    discharge = family_discharge.copy()
    reason = family_reason.copy()
    emancipate = adult <= discharge
    discharge[emancipate], reason[emancipate] = adult[emancipate], R_EMANCIPATION
    age = start - birth
    stay = discharge - start
    runs = (age >= 14 * _YEAR) & (rng.random(n) < RUNAWAY_EXIT_SHARE_TEENS) & (stay > 45)
    dies = (rng.random(n) < DEATH_SHARE) & (stay > 20) & ~runs
    cut = start + (stay * rng.uniform(0.3, 1.0, n)).astype(np.int64)
    discharge[runs], reason[runs] = cut[runs], R_RUNAWAY
    discharge[dies], reason[dies] = cut[dies], R_DEATH
    stay = discharge - start

    exit_kind = np.full(n, X_NONE, dtype=np.int64)
    exit_day = discharge.copy()
    sil = (reason == R_EMANCIPATION) & (stay >= 200) & (rng.random(n) < SIL_SHARE_OF_EMANCIPATIONS)
    length = np.minimum(_uniform_days(rng, SIL_DAYS, n), (stay * 0.6).astype(np.int64))
    exit_kind[sil], exit_day[sil] = X_SIL, (discharge - length)[sil]
    length = np.minimum(_uniform_days(rng, RUNAWAY_EXIT_DAYS, n), stay // 2)
    exit_kind[runs], exit_day[runs] = X_RUN, (discharge - length)[runs]
    return discharge, reason, exit_kind, exit_day


def _draw_categories(geo: _Geography, comm: IntArray, rng: np.random.Generator) -> IntArray:
    weights = geo.mix[comm] * RACE_REMOVAL_WEIGHT
    cdf = np.cumsum(weights, axis=1)
    u = rng.random(len(comm)) * cdf[:, -1]
    return (cdf < u[:, None]).sum(axis=1).astype(np.int64)


def _draw_family_languages(
    geo: _Geography, comm: IntArray, category: IntArray, rng: np.random.Generator
) -> IntArray:
    """Primary language: the category's languages at the community's shares, else English."""
    n = len(comm)
    lang = np.full(n, L_EN, dtype=np.int64)
    u = rng.random(n)
    for k, name in enumerate(RACE_CATEGORIES):
        options = [LANGS.index(code) for code in LANGUAGES_OF_CATEGORY[name]]
        rows = np.flatnonzero(category == k)
        if not options or not len(rows):
            continue
        # the share of the community's families speaking each option, among this category
        share = geo.language_share[comm[rows]][:, options] / np.maximum(
            geo.mix[comm[rows], k][:, None], 1e-9
        )
        share = np.minimum(share, 0.9)
        total = share.sum(axis=1)
        share *= np.where(total > 0.9, 0.9 / np.maximum(total, 1e-9), 1.0)[:, None]
        cdf = np.cumsum(share, axis=1)
        pick = (cdf < u[rows][:, None]).sum(axis=1)
        speaks = pick < len(options)
        lang[rows[speaks]] = np.array(options)[pick[speaks]]
    return lang


def _draw_flags(
    rng: np.random.Generator, table: tuple[tuple[str, float], ...], n: int
) -> list[str]:
    """``n`` race-flag lists drawn from a table of (flags, weight)."""
    picks = _choice(rng, [w for _, w in table], n)
    return [table[i][0] for i in picks.tolist()]


def _draw_religion(rng: np.random.Generator, lang: IntArray, recorded: float) -> IntArray:
    out = np.full(len(lang), -1, dtype=np.int64)
    has = rng.random(len(lang)) < recorded
    u = rng.random(len(lang))
    for i, code in enumerate(LANGS):
        rows = np.flatnonzero(has & (lang == i))
        cdf = np.cumsum(RELIGION_BY_LANGUAGE[code])
        out[rows] = np.minimum(np.searchsorted(cdf / cdf[-1], u[rows], side="right"), 6)
    return out


class _PeopleBuilder:
    """Draws families and their episodes; re-entries are drawn generation by generation."""

    def __init__(
        self, geo: _Geography, rng: np.random.Generator, start: date, last_day: int
    ) -> None:
        self.geo = geo
        self.rng = rng
        self.start = start  # the date of simulation day 0
        self.last_day = last_day  # as_of, in simulation days
        self.adult = np.zeros(0, dtype=np.int64)  # each child's 18th birthday

    def build(self, family_rate_per_day: float, target_in_care: int) -> _People:
        """Removals over the whole simulation, thinned to the target census on as_of."""
        rng = self.rng
        episodes = _EpisodeTable()
        stays = _StayTable()
        fam_comm, child_family, birth = self._first_removals(family_rate_per_day, episodes, stays)
        first_new = 0
        while True:  # re-entries, generation by generation, until none starts by as_of
            new_from = len(episodes)
            self._reentries(episodes, stays, birth, first_new)
            if len(episodes) == new_from:
                break
            first_new = new_from
        # keep each family at random so that the children in care on as_of meet the target
        in_care = (stays.start <= self.last_day) & (stays.discharge > self.last_day)
        keep_p = min(1.0, target_in_care / max(1, int(in_care.sum())))
        keep_family = rng.random(len(fam_comm)) < keep_p
        return self._assemble(fam_comm, keep_family, child_family, birth, episodes, stays)

    def _first_removals(
        self, family_rate_per_day: float, episodes: _EpisodeTable, stays: _StayTable
    ) -> tuple[IntArray, IntArray, IntArray]:
        rng, geo = self.rng, self.geo
        n_fam = int(rng.poisson(family_rate_per_day * (self.last_day + 1)))
        start = np.sort(rng.integers(0, self.last_day + 1, n_fam)).astype(np.int64)
        comm = _choice(rng, geo.removal_weight, n_fam)
        # the youngest child, and older siblings spaced by birth intervals
        size = _choice(rng, FAMILY_SIZE_WEIGHTS, n_fam) + 1
        youngest = _draw_youngest_age_days(rng, n_fam)
        low, shape, scale = SIBLING_GAP_YEARS
        gaps = (low + rng.gamma(shape, scale, (n_fam, 5))) * _YEAR
        offsets = np.concatenate([np.zeros((n_fam, 1)), np.cumsum(gaps, axis=1)], axis=1)
        ages = youngest[:, None] + offsets.astype(np.int64)
        member = (np.arange(6)[None, :] < size[:, None]) & (ages < 18 * _YEAR - 20)
        main_family = np.repeat(np.arange(n_fam), member.sum(axis=1))
        main_age = ages[member]

        reason, discharge, exit_kind, exit_day = _draw_family_timeline(rng, start, youngest)
        episodes.add(
            family=np.arange(n_fam),
            start=start,
            discharge=discharge,
            reason=reason,
            exit_kind=exit_kind,
            exit_day=exit_day,
        )
        # a later sibling (usually a newborn) enters while the others are still in care
        delay = _uniform_days(rng, LATER_SIBLING_DELAY_DAYS, n_fam)
        later = np.flatnonzero(
            (rng.random(n_fam) < LATER_SIBLING_SHARE)
            & (member.sum(axis=1) < 6)
            & (delay < exit_day - start - 30)
        )
        late_start = start[later] + delay[later]
        late_age = np.where(
            rng.random(len(later)) < 0.7,
            rng.integers(0, 4, len(later)),
            rng.integers(4, 300, len(later)),
        )
        family = np.concatenate([main_family, later])
        child_start = np.concatenate([start[main_family], late_start])
        birth = child_start - np.concatenate([main_age, late_age])
        order = np.argsort(family, kind="stable")  # children grouped by family
        family, child_start, birth = family[order], child_start[order], birth[order]
        self._add_stays(stays, np.arange(len(family)), family, child_start, birth, episodes, 0)
        return comm, family, birth

    def _add_stays(
        self,
        stays: _StayTable,
        children: IntArray,
        families: IntArray,
        start: IntArray,
        birth: IntArray,
        episodes: _EpisodeTable,
        first: int,
    ) -> None:
        """Stays of ``children`` in their family's episode among those from ``first`` on.

        A family has at most one episode per generation, so the family names it.
        """
        new = np.arange(first, len(episodes))
        episode_of_family = np.full(int(episodes.family.max()) + 1, -1, np.int64)
        episode_of_family[episodes.family[new]] = new
        episode = episode_of_family[families]
        if len(self.adult) != len(birth):
            self.adult = _birthdays(birth, EMANCIPATION_AGE, self.start)
        discharge, reason, exit_kind, exit_day = _draw_stays(
            self.rng,
            start,
            birth[children],
            self.adult[children],
            episodes.discharge[episode],
            episodes.reason[episode],
        )
        stays.add(
            child=children,
            episode=episode,
            start=start,
            discharge=discharge,
            reason=reason,
            exit_kind=exit_kind,
            exit_day=exit_day,
        )

    def _reentries(
        self, episodes: _EpisodeTable, stays: _StayTable, birth: IntArray, first: int
    ) -> None:
        """Episodes of the families who come back after the episodes from ``first`` on."""
        rng = self.rng
        ep = np.arange(first, len(episodes))
        p_year = np.zeros(len(ep))
        for r, p in REENTRY_WITHIN_YEAR.items():
            p_year[episodes.reason[ep] == r] = p
        u = rng.random(len(ep))
        soon = u < p_year
        later = (u >= p_year) & (u < p_year + REENTRY_LATER) & (p_year > 0)
        gap = np.where(soon, rng.integers(14, 366, len(ep)), rng.integers(366, 1096, len(ep)))
        again = ep[soon | later]
        again_start = (episodes.discharge[ep] + gap)[soon | later]
        in_time = again_start <= self.last_day
        again, again_start = again[in_time], again_start[in_time]
        # who comes back: the children who left with the family and are not yet 17 1/2
        st = np.flatnonzero(np.isin(stays.episode, again))
        position = np.searchsorted(again, stays.episode[st])
        back = (stays.reason[st] == episodes.reason[stays.episode[st]]) & (
            again_start[position] - birth[stays.child[st]] < 17.5 * _YEAR
        )
        st, position = st[back], position[back]
        if not len(st):
            return
        with_children = np.unique(position)
        again, again_start = again[with_children], again_start[with_children]
        position = np.searchsorted(with_children, position)
        age = again_start[position] - birth[stays.child[st]]
        youngest = np.full(len(again), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(youngest, position, age)
        reason, discharge, exit_kind, exit_day = _draw_family_timeline(rng, again_start, youngest)
        first_new = len(episodes)
        episodes.add(
            family=episodes.family[again],
            start=again_start,
            discharge=discharge,
            reason=reason,
            exit_kind=exit_kind,
            exit_day=exit_day,
        )
        children = stays.child[st]
        self._add_stays(
            stays,
            children,
            episodes.family[stays.episode[st]],
            again_start[position],
            birth,
            episodes,
            first_new,
        )

    def _assemble(
        self,
        fam_comm: IntArray,
        keep_family: BoolArray,
        child_family: IntArray,
        birth: IntArray,
        episodes: _EpisodeTable,
        stays: _StayTable,
    ) -> _People:
        """Renumber what is kept densely (order unchanged) and draw who the families are."""
        rng, geo = self.rng, self.geo
        fam_new = np.cumsum(keep_family) - 1
        keep_child = keep_family[child_family]
        child_new = np.cumsum(keep_child) - 1
        keep_ep = keep_family[episodes.family]
        ep_new = np.cumsum(keep_ep) - 1
        keep_st = keep_ep[stays.episode]

        fam_comm = fam_comm[keep_family]
        n_fam = len(fam_comm)
        category = _draw_categories(geo, fam_comm, rng)
        lang = _draw_family_languages(geo, fam_comm, category, rng)
        u = rng.random(n_fam)
        icwa = np.where(u < ICWA_SHARE * 0.55, 1, np.where(u < ICWA_SHARE, 2, 0)).astype(np.int64)
        tribe = np.where(
            (icwa == 1) | ((icwa == 2) & (rng.random(n_fam) < 0.6)),
            _choice(rng, [4, 3, 2, 2, 1, 1, 1], n_fam),
            -1,
        ).astype(np.int64)
        race = ["" for _ in range(n_fam)]
        for k, name in enumerate(RACE_CATEGORIES):
            rows = np.flatnonzero(category == k).tolist()
            drawn = _draw_flags(rng, RACE_FLAGS[name], len(rows))
            for row, flags in zip(rows, drawn, strict=True):
                race[row] = flags
        icwa_rows = np.flatnonzero(icwa > 0).tolist()
        icwa_flags = _draw_flags(rng, ICWA_RACE_FLAGS, len(icwa_rows))
        for row, flags in zip(icwa_rows, icwa_flags, strict=True):
            if "aian" not in race[row]:  # an ICWA family is (or may be) American Indian
                race[row] = flags
        unknown = rng.random(n_fam) < 0.02
        hispanic = [
            "yes" if RACE_CATEGORIES[k] == "hispanic" else ("unknown" if u else "no")
            for k, u in zip(category.tolist(), unknown.tolist(), strict=True)
        ]

        family = fam_new[child_family[keep_child]]
        birth = birth[keep_child]
        n_child = len(birth)
        u = rng.random(n_child)
        sex = np.where(u < SEX_UNKNOWN_SHARE, 0, np.where(rng.random(n_child) < MALE_SHARE, 2, 1))
        st_child = child_new[stays.child[keep_st]]
        st_start = stays.start[keep_st]
        first_start = np.full(n_child, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_start, st_child, st_start)
        band = _age_band(first_start - birth)  # needs as assessed at the first entry
        needs = np.zeros(n_child, dtype=np.int64)
        for bit, rates in NEED_RATES.items():
            needs |= np.where(rng.random(n_child) < np.array(rates)[band], bit, 0)
        separate = np.full(n_child, -1, dtype=np.int64)
        heads = np.flatnonzero(np.r_[True, family[1:] != family[:-1]])
        sizes = np.diff(np.r_[heads, n_child])
        separated = (sizes >= 2) & (rng.random(len(heads)) < SEPARATION_SHARE)
        for head, size in zip(heads[separated].tolist(), sizes[separated].tolist(), strict=True):
            a, b = head + size - 1, head + size - 2  # the two eldest
            separate[a], separate[b] = b, a

        ep_family = fam_new[episodes.family[keep_ep]]
        ep_start = episodes.start[keep_ep]
        ep_comm = fam_comm[ep_family]
        ep_lat, ep_lon = _points(geo, ep_comm, rng)
        # a family that comes back was mostly removed from the same address again
        same_address = rng.random(len(ep_family)) < 0.7
        previous: dict[int, int] = {}
        for e in np.lexsort((ep_start, ep_family)).tolist():
            f = int(ep_family[e])
            if f in previous and same_address[e]:
                ep_lat[e], ep_lon[e] = ep_lat[previous[f]], ep_lon[previous[f]]
            previous[f] = e
        kin_comm = self._kin_communities(ep_comm)
        kin_lat, kin_lon = _points(geo, kin_comm, rng)

        return _People(
            fam_comm=fam_comm,
            fam_category=category,
            fam_lang=lang,
            fam_second_en=rng.random(n_fam) < 0.75,
            fam_religion=_draw_religion(rng, lang, CHILD_RELIGION_RECORDED),
            fam_icwa=icwa,
            fam_tribe=tribe,
            fam_race=race,
            fam_hispanic=hispanic,
            child_family=family,
            birth=birth,
            sex=sex.astype(np.int64),
            needs=needs,
            deaf=rng.random(n_child) < DEAF_SHARE,
            lgbtq=(band == 2) & (rng.random(n_child) < 0.06),
            separate_from=separate,
            ep_family=ep_family,
            ep_start=ep_start,
            ep_discharge=episodes.discharge[keep_ep],
            ep_reason=episodes.reason[keep_ep],
            ep_kin=rng.random(len(ep_family)) < KIN_AT_ENTRY_SHARE,
            ep_exit=episodes.exit_kind[keep_ep],
            ep_exit_day=episodes.exit_day[keep_ep],
            ep_lat=ep_lat,
            ep_lon=ep_lon,
            ep_comm=ep_comm,
            ep_kin_comm=kin_comm,
            ep_kin_lat=kin_lat,
            ep_kin_lon=kin_lon,
            st_child=st_child,
            st_episode=ep_new[stays.episode[keep_st]],
            st_start=st_start,
            st_discharge=stays.discharge[keep_st],
            st_reason=stays.reason[keep_st],
            st_exit=stays.exit_kind[keep_st],
            st_exit_day=stays.exit_day[keep_st],
        )

    def _kin_communities(self, ep_comm: IntArray) -> IntArray:
        """Where a relative lives: the same community, a neighbouring one, or anywhere."""
        rng, geo = self.rng, self.geo
        kin = ep_comm.copy()
        u = rng.random(len(kin))
        for e in np.flatnonzero((u >= 0.45) & (u < 0.70)).tolist():
            options = geo.neighbours[ep_comm[e]]
            if len(options):
                kin[e] = options[rng.integers(len(options))]
        elsewhere = np.flatnonzero(u >= 0.70)
        kin[elsewhere] = _choice(rng, geo.child_population, len(elsewhere))
        return kin


class _Table:
    """Columns that grow by whole arrays."""

    columns: tuple[str, ...] = ()

    def __init__(self) -> None:
        for name in self.columns:
            setattr(self, name, np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(getattr(self, self.columns[0]))

    def add(self, **values: IntArray) -> None:
        for name in self.columns:
            setattr(
                self,
                name,
                np.concatenate([getattr(self, name), np.asarray(values[name], np.int64)]),
            )


class _EpisodeTable(_Table):
    columns = ("family", "start", "discharge", "reason", "exit_kind", "exit_day")
    family: IntArray
    start: IntArray
    discharge: IntArray
    reason: IntArray
    exit_kind: IntArray
    exit_day: IntArray


class _StayTable(_Table):
    columns = ("child", "episode", "start", "discharge", "reason", "exit_kind", "exit_day")
    child: IntArray
    episode: IntArray
    start: IntArray
    discharge: IntArray
    reason: IntArray
    exit_kind: IntArray
    exit_day: IntArray


# == homes ================================================================================

CULTURAL_TAGS = (
    "halal diet",
    "kosher diet",
    "Deaf/ASL",
    "tribal connection",
    "LGBTQ+ affirming",
    "vegetarian diet",
)
T_HALAL, T_KOSHER, T_DEAF, T_TRIBAL, T_LGBTQ, T_VEGETARIAN = 1, 2, 4, 8, 16, 32
NONKIN_CLOSE_REASONS = ("voluntary", "relocated", "family_change", "licensing", "adopted")
NONKIN_CLOSE_WEIGHTS = {
    K_FOSTER: (0.58, 0.14, 0.14, 0.06, 0.08),
    K_THERAPEUTIC: (0.60, 0.14, 0.14, 0.08, 0.04),
    K_PRE_ADOPTIVE: (0.25, 0.10, 0.10, 0.05, 0.50),
}
KIN_CLOSE_BY_DISCHARGE = {
    R_REUNIFICATION: "reunified_kin",
    R_RELATIVE: "relative_custody",
    R_ADOPTION: "adopted",
    R_GUARDIANSHIP: "guardianship",
    R_EMANCIPATION: "aged_out",
    R_TRANSFER: "transferred",
    R_RUNAWAY: "child_left",
    R_DEATH: "child_left",
}
H_OPEN, H_DRAINING, H_CLOSED, H_FUTURE = 0, 1, 2, 3


@dataclass
class _Homes:
    """Every home, non-kin ones first; kin homes are appended during the simulation."""

    n_nonkin: int
    kind: IntArray
    comm: IntArray
    lat: FloatArray
    lon: FloatArray
    capacity: IntArray
    age_min: IntArray
    age_max: IntArray
    accepts: IntArray  # ACCEPTS_SEX
    max_siblings: IntArray
    caps: IntArray  # bit mask of CAPABILITIES
    langs: IntArray  # bit mask of LANGS
    primary: IntArray  # the home's first language (LANGS)
    religion: IntArray
    offers: IntArray  # bit mask of CULTURAL_TAGS
    tribe: IntArray
    tribe_licensed: BoolArray
    popularity: FloatArray  # log weight: a fifth of homes give most of the care (ASPE/RTI)
    licensed: IntArray
    planned_close: IntArray
    close_reason: list[str]


def _mean_tenure_days() -> float:
    # first year: uniform over (20, 365) days; after: 1 year + exponential
    after = 1 / -math.log(1 - HOME_YEARLY_CLOSURE_AFTER)
    return HOME_FIRST_YEAR_CLOSURE * 192.5 + (1 - HOME_FIRST_YEAR_CLOSURE) * (1 + after) * _YEAR


def _draw_homes(
    geo: _Geography,
    rng: np.random.Generator,
    targets: ScaleTargets,
    last_day: int,
    kin_slots: int,
) -> _Homes:
    """Non-kin homes recruited before and during the simulation, thinned to the target.

    Arrays are allocated for ``kin_slots`` kin homes more.
    """
    target_open = targets.open_homes - targets.in_care / targets.children_per_open_kin_home
    first_day = -int(HOME_PREHISTORY_YEARS * _YEAR)
    span = last_day - first_day + 1
    rate = 1.25 * target_open / _mean_tenure_days()  # over-drawn, then thinned below
    n = int(rng.poisson(rate * span))
    licensed = np.sort(rng.integers(first_day, last_day + 1, n)).astype(np.int64)
    first_year = rng.random(n) < HOME_FIRST_YEAR_CLOSURE
    after = 1 / -math.log(1 - HOME_YEARLY_CLOSURE_AFTER) * _YEAR
    tenure = np.where(first_year, rng.uniform(20, 365, n), 365 + rng.exponential(after, n))
    planned_close = licensed + tenure.astype(np.int64)
    open_on_as_of = (planned_close > last_day).sum()
    keep = (rng.random(n) < min(1.0, target_open / max(1, open_on_as_of))) & (planned_close >= 0)
    licensed, planned_close = licensed[keep], planned_close[keep]
    n = len(licensed)

    names = list(NONKIN_KIND_WEIGHTS)
    kind = np.array(
        [HOME_KINDS.index(names[i]) for i in _choice(rng, list(NONKIN_KIND_WEIGHTS.values()), n)],
        np.int64,
    )
    comm = _choice(rng, geo.home_weight, n)
    lat, lon = _points(geo, comm, rng)
    capacity = _choice(rng, CAPACITY_WEIGHTS, n) + 1
    ages = np.array(AGE_RANGES, dtype=np.int64)[_choice(rng, AGE_RANGE_WEIGHTS, n)]
    age_min, age_max = ages[:, 0].copy(), ages[:, 1].copy()
    accepts = _choice(rng, [0.80, 0.12, 0.08], n)
    caps = np.zeros(n, dtype=np.int64)
    for bit, share in ((NEED_MEDICAL, 0.15), (NEED_BEHAVIORAL, 0.20), (NEED_DEVELOPMENTAL, 0.15)):
        caps |= np.where(rng.random(n) < share, bit, 0)
    # therapeutic homes: trained for therapeutic and behavioural needs, few beds, older children
    ther = kind == K_THERAPEUTIC
    caps[ther] |= NEED_THERAPEUTIC | NEED_BEHAVIORAL
    caps[ther] |= np.where(rng.random(int(ther.sum())) < 0.3, NEED_MEDICAL | NEED_DEVELOPMENTAL, 0)
    capacity[ther] = np.minimum(capacity[ther], 2)
    age_min[ther] = np.where(rng.random(int(ther.sum())) < 0.5, 5, 0)
    age_max[ther] = 17
    # pre-adoptive homes: mostly families hoping to adopt a young child or a small group
    pre = kind == K_PRE_ADOPTIVE
    capacity[pre] = np.minimum(capacity[pre], 3)
    caps[pre] |= np.where(rng.random(int(pre.sum())) < 0.3, NEED_MEDICAL | NEED_DEVELOPMENTAL, 0)
    age_min[pre] = 0
    age_max[pre] = np.array([5, 8, 11, 17])[_choice(rng, [0.35, 0.3, 0.25, 0.1], int(pre.sum()))]
    caps |= np.where((age_min == 0) & (rng.random(n) < 0.6), CAP_INFANT, 0)
    max_siblings = np.where(rng.random(n) < 0.85, capacity, rng.integers(1, 7, n))
    max_siblings = np.clip(np.minimum(max_siblings, capacity), 1, None)

    # languages: English, plus the community's languages, less often than its families speak
    # them (the gap the recruitment analytics should find)
    langs = np.full(n, 1 << L_EN, dtype=np.int64)
    primary = np.full(n, L_EN, dtype=np.int64)
    u = rng.random((n, len(LANGS)))
    for li in range(1, len(LANGS)):
        speaks = u[:, li] < geo.language_share[comm, li] * HOME_LANGUAGE_FACTOR
        langs[speaks] |= 1 << li
        primary[speaks & (primary == L_EN)] = li
    spanish_only = (primary == L_ES) & (rng.random(n) < 0.1)
    langs[spanish_only] &= ~(1 << L_EN)
    asl = rng.random(n) < HOME_ASL_SHARE
    langs[asl] |= 1 << L_ASE
    religion = _draw_religion(rng, primary, HOME_RELIGION_RECORDED)
    tribe = np.where(rng.random(n) < HOME_TRIBE_SHARE, _choice(rng, [4, 3, 2, 2, 1, 1, 1], n), -1)
    offers = np.zeros(n, dtype=np.int64)
    offers |= np.where((religion == 2) & (rng.random(n) < 0.8), T_HALAL, 0)
    offers |= np.where((religion == 3) & (rng.random(n) < 0.7), T_KOSHER, 0)
    offers |= np.where(asl, T_DEAF, 0)
    offers |= np.where(tribe >= 0, T_TRIBAL, 0)
    offers |= np.where((age_max >= TEEN_AGE) & (rng.random(n) < 0.25), T_LGBTQ, 0)
    offers |= np.where(rng.random(n) < 0.05, T_VEGETARIAN, 0)
    close_reason = []
    for k in kind.tolist():
        weights = NONKIN_CLOSE_WEIGHTS[k]
        close_reason.append(NONKIN_CLOSE_REASONS[int(_choice(rng, weights, 1)[0])])

    def grow(values: NDArray[Any], fill: Any = 0) -> NDArray[Any]:
        return np.concatenate([values, np.full(kin_slots, fill, dtype=values.dtype)])

    return _Homes(
        n_nonkin=n,
        kind=grow(kind),
        comm=grow(comm),
        lat=grow(lat, 0.0),
        lon=grow(lon, 0.0),
        capacity=grow(capacity),
        age_min=grow(age_min),
        age_max=grow(age_max),
        accepts=grow(accepts),
        max_siblings=grow(max_siblings),
        caps=grow(caps),
        langs=grow(langs),
        primary=grow(primary),
        religion=grow(religion.astype(np.int64), -1),
        offers=grow(offers),
        tribe=grow(tribe.astype(np.int64), -1),
        tribe_licensed=grow(rng.random(n) < 0.5, False),
        popularity=grow(rng.normal(0.0, 0.8, n), 0.0),
        licensed=grow(licensed),
        planned_close=grow(planned_close, np.iinfo(np.int64).max),
        close_reason=close_reason + [""] * kin_slots,
    )


# == the simulation =======================================================================

# Events are (key, kind, a, b); the key orders them by day, then by the kind's priority
# (beds freed yesterday first, then homes, discharges, exits, removals, moves, retries),
# then first come first served.
E_RELEASE, E_HOME_OPEN, E_HOME_CLOSE, E_FORCE_CLOSE = 0, 1, 2, 3
E_DISCHARGE, E_FAMILY_EXIT, E_CHILD_EXIT, E_ENTRY = 4, 5, 6, 7
E_UNIT_MOVE, E_CHILD_EVENT, E_RETRY = 8, 9, 10
_PRIORITY = (0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7)
C_STEP_UP, C_RUN, C_RETURN, C_STEP_DOWN = 0, 1, 2, 3
# How far a search looks: ring by ring (the community, its neighbours, theirs, the rest of
# the city) until it has looked at this many homes (a placement desk's list), or the whole
# city. In the county that is most of the city; at the state's density, a few communities.
WIDE_AREA, WIDE_CITY = 600, 10**9
OPENING_BATCH_DAYS = 28


# The fixed hard rules of a home as one bit mask, so that a search tests them all at once:
# ages it takes (bits 0-17), capabilities (18-22), the placements it is for (23: foster,
# 24: pre-adoptive), the sexes it accepts (25: female, 26: male, 27: either/unknown) and the
# sibling groups it takes (bit 28 + k - 1: k siblings). A group's requirement has the bits
# it needs; a home qualifies when it has them all.
_RULE_CAPS, _RULE_CLASS, _RULE_SEX, _RULE_SIBLINGS = 18, 23, 25, 28
KIND_BIT_FOSTER = 1 << _RULE_CLASS
KIND_BIT_PRE_ADOPTIVE = 1 << (_RULE_CLASS + 1)


def _rule_masks(homes: _Homes) -> IntArray:
    ages = np.left_shift(1, homes.age_max + 1) - np.left_shift(1, homes.age_min)
    placement = np.where(homes.kind == K_PRE_ADOPTIVE, KIND_BIT_PRE_ADOPTIVE, KIND_BIT_FOSTER)
    sexes = np.array([0b111, 0b001, 0b010])[homes.accepts] << _RULE_SEX
    siblings = (np.left_shift(1, np.clip(homes.max_siblings, 0, 20)) - 1) << _RULE_SIBLINGS
    return (ages | homes.caps << _RULE_CAPS | placement | sexes | siblings).astype(np.int64)


def _requirement(low: int, high: int, need: int, kinds: int, sex: int, n: int) -> int:
    """The rule bits a home needs to take ``n`` siblings aged low..high (sex 0: mixed)."""
    sex_bit = 1 << (_RULE_SEX + (sex - 1 if sex else 2))
    return (
        (1 << low)
        | (1 << high)
        | need << _RULE_CAPS
        | kinds
        | sex_bit
        | 1 << (_RULE_SIBLINGS + n - 1)
    )


class _Simulation:
    """Places every child, day by day, in the homes available; records every placement.

    State is kept in Python lists (fast for one element at a time) and, for the homes that
    searches scan, in numpy arrays (fast for many at a time).
    """

    def __init__(
        self,
        geo: _Geography,
        people: _People,
        homes: _Homes,
        rng: np.random.Generator,
        last_day: int,
        report: Callable[[int], int],
    ) -> None:
        self.geo, self.p, self.h, self.rng = geo, people, homes, rng
        self.last_day = last_day
        self.report = report
        n_child = len(people.birth)
        self.birth: list[int] = people.birth.tolist()
        self.sex: list[int] = people.sex.tolist()
        self.needs: list[int] = people.needs.tolist()
        self.family: list[int] = people.child_family.tolist()
        self.partner: list[int] = people.separate_from.tolist()
        language = people.fam_lang[people.child_family]
        self.language: list[int] = np.where(people.deaf, L_ASE, language).tolist()
        self.family_children: list[list[int]] = [[] for _ in range(len(people.fam_comm))]
        for child, fam in enumerate(self.family):
            self.family_children[fam].append(child)
        self.st_child: list[int] = people.st_child.tolist()
        self.st_episode: list[int] = people.st_episode.tolist()
        self.st_reason: list[int] = people.st_reason.tolist()
        self.ep_reason: list[int] = people.ep_reason.tolist()
        self.ep_comm: list[int] = people.ep_comm.tolist()
        self.ep_lat: list[float] = people.ep_lat.tolist()
        self.ep_lon: list[float] = people.ep_lon.tolist()
        self.ep_kin: list[bool] = people.ep_kin.tolist()
        self.ep_family: list[int] = people.ep_family.tolist()

        # the children's current state
        self.stay = [-1] * n_child  # current stay (episode) or -1 out of care
        self.placement = [-1] * n_child  # current placement record or -1
        self.home = [-1] * n_child
        self.setting = [S_NONE] * n_child
        self.token = [0] * n_child  # changes with every change of placement: stale events
        self.wait_since = [0] * n_child
        # homes a child was placed in today: never again the same day (a record is known by
        # child, start day, setting and home)
        self.homes_today: list[tuple[int, list[int]]] = [(-1, [])] * n_child
        n_ep = len(people.ep_family)
        self.kin_home = [-1] * n_ep
        self.kin_location_used = [False] * n_ep
        self.settled = [False] * n_ep

        # the homes
        self.n_homes = homes.n_nonkin
        self.free = homes.capacity.copy()
        # free beds of the homes that take children now (0 for the others): what searches scan
        self.avail = np.zeros(len(homes.kind), dtype=np.int64)
        self.rules = _rule_masks(homes)
        self.open_epoch = 0
        # plane coordinates in km (equirectangular around the city): distances for scoring
        self.x_km = homes.lon * 111.32 * math.cos(math.radians(41.84))
        self.y_km = homes.lat * 110.57
        self.ep_x_km: list[float] = (
            people.ep_lon * 111.32 * math.cos(math.radians(41.84))
        ).tolist()
        self.ep_y_km: list[float] = (people.ep_lat * 110.57).tolist()
        self.status = [H_FUTURE] * len(homes.kind)
        self.closed_day = [-1] * len(homes.kind)
        self.closed_reason = [""] * len(homes.kind)
        self.occupants: list[list[int]] = [[] for _ in range(len(homes.kind))]
        self.kin_family = [-1] * len(homes.kind)
        self.kind: list[int] = homes.kind.tolist()
        self.comm_homes: list[list[int]] = [[] for _ in range(geo.n)]
        self.comm_version = [0] * geo.n
        self._comm_arrays: list[tuple[int, IntArray]] = [(-1, np.zeros(0, np.int64))] * geo.n
        self._rings: dict[tuple[int, int], tuple[int, tuple[IntArray, IntArray]]] = {}

        # the records
        self.pl_child: list[int] = []
        self.pl_setting: list[int] = []
        self.pl_home: list[int] = []
        self.pl_start: list[int] = []
        self.pl_end: list[int] = []
        self.pl_reason: list[str] = []
        self.units: list[tuple[tuple[int, int], ...]] = []
        self.entry_groups: list[list[int]] = []
        self.heap: list[tuple[int, int, int, int]] = []  # events arising while simulating
        self.drawn: list[tuple[int, int, int, int]] = []  # events drawn in advance, sorted
        self.seq = 0
        self._seed_events()

    # -- events ---------------------------------------------------------------------------

    def _event(self, day: int, kind: int, a: int, b: int = 0) -> tuple[int, int, int, int]:
        # one integer orders events: the day, then the kind's priority, then first come first
        self.seq += 1
        return ((day << 40) | (_PRIORITY[kind] << 36) | self.seq, kind, a, b)

    def _push(self, day: int, kind: int, a: int, b: int = 0) -> None:
        if day <= self.last_day:  # nothing after as_of is recorded
            heapq.heappush(self.heap, self._event(day, kind, a, b))

    def _seed_events(self) -> None:
        """Everything drawn in advance: homes opening and closing, removals, exits."""
        p, h, last = self.p, self.h, self.last_day
        events = []
        for home in range(h.n_nonkin):
            licensed, close = int(h.licensed[home]), int(h.planned_close[home])
            if licensed <= 0:  # already licensed when the simulation starts
                self._open(home)
            else:
                # new homes join the placement lists on a batch day every four weeks (no
                # earlier than their licence): the searches' caches then last four weeks
                batch = -(-licensed // OPENING_BATCH_DAYS) * OPENING_BATCH_DAYS
                events.append(self._event(batch, E_HOME_OPEN, home))
            if close <= last:
                events.append(self._event(max(close, 0), E_HOME_CLOSE, home))
        groups: dict[tuple[int, int], list[int]] = {}
        for st, (ep, start) in enumerate(zip(self.st_episode, p.st_start.tolist(), strict=True)):
            if start <= last:
                groups.setdefault((ep, start), []).append(st)
        for (ep, start), stays in groups.items():
            self.entry_groups.append(stays)
            events.append(self._event(start, E_ENTRY, ep, len(self.entry_groups) - 1))
        for st, (start, discharge, exit_kind, exit_day) in enumerate(
            zip(
                p.st_start.tolist(),
                p.st_discharge.tolist(),
                p.st_exit.tolist(),
                p.st_exit_day.tolist(),
                strict=True,
            )
        ):
            if start > last:
                continue
            if discharge <= last:
                events.append(self._event(discharge, E_DISCHARGE, st))
            if exit_kind != X_NONE and exit_day <= last:
                events.append(self._event(exit_day, E_CHILD_EXIT, st, exit_kind))
        for ep, (exit_kind, exit_day) in enumerate(
            zip(p.ep_exit.tolist(), p.ep_exit_day.tolist(), strict=True)
        ):
            if exit_kind != X_NONE and exit_day <= last:
                events.append(self._event(exit_day, E_FAMILY_EXIT, ep, exit_kind))
        events.sort()
        self.drawn = events

    def run(self) -> None:
        """Process every event up to and including as_of."""
        handlers: list[Callable[[int, int, int], None]] = [
            self._on_release,
            self._on_home_open,
            self._on_home_close,
            self._on_force_close,
            self._on_discharge,
            self._on_family_exit,
            self._on_child_exit,
            self._on_entry,
            self._on_unit_move,
            self._on_child_event,
            self._on_retry,
        ]
        heap, drawn = self.heap, self.drawn
        i, n_drawn = 0, len(drawn)
        next_report = 0
        while True:  # merge the events drawn in advance with those that arise
            if heap and (i == n_drawn or heap[0][0] < drawn[i][0]):
                key, kind, a, b = heapq.heappop(heap)
            elif i < n_drawn:
                key, kind, a, b = drawn[i]
                i += 1
            else:
                break
            day = key >> 40
            if day >= next_report:
                next_report = self.report(day)
            handlers[kind](day, a, b)

    # -- the children's placements --------------------------------------------------------

    def _age(self, child: int, day: int) -> int:
        return int((day - self.birth[child]) / _YEAR)

    def _teen_behavioral(self, child: int, day: int) -> bool:
        return self._age(child, day) >= TEEN_AGE and bool(self.needs[child] & NEED_BEHAVIORAL)

    def _goes_to_group_care(self, child: int, day: int) -> bool:
        """Whether a child needing a placement now is placed in group care (CONGREGATE_CHANCE)."""
        age, needs = self._age(child, day), self.needs[child]
        if age >= TEEN_AGE:
            if needs & NEED_BEHAVIORAL:
                chance = CONGREGATE_CHANCE["teen_behavioral"]
            elif needs:
                chance = CONGREGATE_CHANCE["teen_other_needs"]
            else:
                chance = CONGREGATE_CHANCE["teen"]
        elif age >= 6 and needs & (NEED_BEHAVIORAL | NEED_THERAPEUTIC):
            chance = CONGREGATE_CHANCE["child_behavioral_or_therapeutic"]
        else:
            return False
        return bool(self.rng.random() < chance)

    def _start(self, child: int, day: int, setting: int, home: int) -> None:
        self.placement[child] = len(self.pl_child)
        self.pl_child.append(child)
        self.pl_setting.append(setting)
        self.pl_home.append(home)
        self.pl_start.append(day)
        self.pl_end.append(-1)
        self.pl_reason.append("")
        self.home[child] = home
        self.setting[child] = setting
        self.token[child] += 1
        if home >= 0:
            today, homes = self.homes_today[child]
            self.homes_today[child] = (day, [*homes, home] if today == day else [home])
            self.free[home] -= 1
            if self.avail[home]:
                self.avail[home] -= 1
            self.occupants[home].append(child)

    def _end(self, child: int, day: int, reason: str, kin_reason: str = "child_moved") -> None:
        record = self.placement[child]
        if record >= 0:
            self.pl_end[record] = day
            self.pl_reason[record] = reason
            home = self.home[child]
            if home >= 0:
                self.occupants[home].remove(child)
                # the bed is free again tomorrow: no home is ever over capacity, whether
                # the end day is counted as a day in the home or not
                self._push(day + 1, E_RELEASE, home)
                if not self.occupants[home]:
                    if self.kind[home] == K_KIN and self.status[home] == H_OPEN:
                        if reason == "discharge":
                            kin_reason = KIN_CLOSE_BY_DISCHARGE[self.st_reason[self.stay[child]]]
                        self._close_home(home, day, kin_reason)
                    elif self.status[home] == H_DRAINING:
                        self._close_home(home, day)
        self.placement[child] = -1
        self.home[child] = -1
        self.setting[child] = S_NONE
        self.token[child] += 1

    def _commit(
        self,
        children: Sequence[int],
        home: int,
        day: int,
        setting: int,
        reason: str,
        kin_reason: str = "child_moved",
    ) -> None:
        """End the children's current placements (``reason``) and start the new one.

        Children who already live in ``home`` stay as they are (a sibling joins them).
        """
        if home >= 0:
            children = [c for c in children if self.home[c] != home]
            if not children:
                return
        for child in children:
            self._end(child, day, reason, kin_reason)
        for child in children:
            self._start(child, day, setting, home)
        if setting in FAMILY_SETTINGS:
            self._schedule_unit_move(children, home, day)
        for child in children:
            self._schedule_individual(child, day, setting)

    def _schedule_unit_move(self, children: Sequence[int], home: int, day: int) -> None:
        episode = self.st_episode[self.stay[children[0]]]
        if self.settled[episode] or self.kind[home] == K_PRE_ADOPTIVE:
            return
        if self.rng.random() < SAME_DAY_DISRUPTION_SHARE:
            after = 0
        else:
            kind = "kin_home" if self.kind[home] == K_KIN else "foster_home"
            if self.kind[home] == K_THERAPEUTIC:
                kind = "therapeutic"
            after = 1 + int(self.rng.exponential(MOVE_MEAN_DAYS[kind]))
        if day + after <= self.last_day:
            self.units.append(tuple((c, self.token[c]) for c in children))
            self._push(day + after, E_UNIT_MOVE, episode, len(self.units) - 1)

    def _schedule_individual(self, child: int, day: int, setting: int) -> None:
        """The next thing a child may do alone: step up, step down, run away."""
        rng = self.rng
        age = self._age(child, day)
        options: list[tuple[float, int]] = []
        behavioral = bool(self.needs[child] & NEED_BEHAVIORAL)
        if setting in FAMILY_SETTINGS:
            if age >= 6 and behavioral:
                options.append((rng.exponential(STEP_UP_MEAN_DAYS), C_STEP_UP))
        elif setting in CONGREGATE_SETTINGS:
            options.append((10 + rng.exponential(STEP_DOWN_MEAN_DAYS), C_STEP_DOWN))
        else:
            return
        if age >= TEEN_AGE:
            mean = RUN_MEAN_DAYS_TEEN_BEHAVIORAL if behavioral else RUN_MEAN_DAYS_TEEN
            options.append((rng.exponential(mean), C_RUN))
        if options:
            after, what = min(options)
            self._push(day + 1 + int(after), E_CHILD_EVENT, child, self.token[child] * 4 + what)

    def _congregate(self, child: int, day: int, reason: str) -> None:
        therapeutic = self.needs[child] & NEED_THERAPEUTIC
        institution = therapeutic or self.rng.random() < INSTITUTION_SHARE_OF_CONGREGATE
        self._commit([child], -1, day, S_INSTITUTION if institution else S_GROUP, reason)

    def _wait(
        self,
        child: int,
        day: int,
        reason: str,
        record: bool = True,
        since: int | None = None,
        after: int = 0,
    ) -> None:
        """No family home for now: a shelter bed (or nothing recorded yet); retry soon.

        ``after``: days until the first retry (drawn from WAIT_RETRY_DAYS when 0).
        """
        if record:
            self._commit([child], -1, day, S_SHELTER, reason)
        else:
            self._end(child, day, reason)
        self.wait_since[child] = day if since is None else since
        if not after:
            low, high = WAIT_RETRY_DAYS if record else (1, 3)
            after = int(self.rng.integers(low, high + 1))
        self._push(day + after, E_RETRY, child, self.token[child])

    def _no_home(self, child: int, day: int, reason: str) -> None:
        if self._age(child, day) >= TEEN_AGE and self.rng.random() < TEEN_NO_HOME_TO_GROUP_HOME:
            self._commit([child], -1, day, S_GROUP, reason)
        else:
            self._wait(child, day, reason)

    # -- finding homes --------------------------------------------------------------------

    def _open(self, home: int) -> None:
        self.status[home] = H_OPEN
        self.avail[home] = self.free[home]
        comm = int(self.h.comm[home])
        self.comm_homes[comm].append(home)
        self.comm_version[comm] += 1
        self.open_epoch += 1

    def _withdraw(self, home: int) -> None:
        # the ring caches keep the home until the next openings; no beds hide it
        self.avail[home] = 0
        comm = int(self.h.comm[home])
        self.comm_homes[comm].remove(home)
        self.comm_version[comm] += 1

    def _community_array(self, comm: int) -> IntArray:
        version, array = self._comm_arrays[comm]
        if version != self.comm_version[comm]:
            array = np.array(sorted(self.comm_homes[comm]), dtype=np.int64)
            self._comm_arrays[comm] = (self.comm_version[comm], array)
        return array

    def _ring(self, comm: int, ring: int) -> tuple[IntArray, IntArray]:
        """Non-kin homes of a ring around a community, with their fixed attributes.

        Cached until homes open (once a week), so that a search gathers only what changes
        all the time: free beds and whether a home still takes children.
        """
        cached = self._rings.get((comm, ring))
        if cached is None or cached[0] != self.open_epoch:
            members = self.geo.rings[comm][ring]
            cand = np.concatenate([self._community_array(m) for m in members])
            cached = (self.open_epoch, (cand, self.rules[cand]))
            self._rings[(comm, ring)] = cached
        return cached[1]

    def _search(
        self, children: Sequence[int], day: int, episode: int, kinds: int, exclude: int, wide: int
    ) -> int:
        """The best open non-kin home that takes all ``children``, or -1.

        The hard rules of the matching engine: free beds, ages, sex, needs within the
        capabilities, sibling-group size, safety separations; then a score that prefers the
        child's language, infant experience, nearness and busy homes. The own community is
        searched first, then its neighbours, theirs and the rest, until ``wide`` homes have
        been looked at.
        """
        n = len(children)
        ages = [self._age(c, day) for c in children]
        need = 0
        for c in children:
            need |= self.needs[c]
        sex = self.sex[children[0]]
        if any(self.sex[c] != sex for c in children):
            sex = 0
        # (a child turning 18 today is discharged later the same day)
        required = _requirement(min(ages), min(max(ages), 17), need, kinds, sex, n)
        avoid = [self.home[self.partner[c]] for c in children if self.partner[c] >= 0]
        avoid.append(exclude)
        avoid += self._homes_today(children, day)
        comm = self.ep_comm[episode]
        looked = 0
        for ring in range(4):
            if looked >= wide:
                break
            cand, rules = self._ring(comm, ring)
            looked += len(cand)
            ok = self.avail[cand] >= n
            ok &= (rules & required) == required
            found = cand[ok]
            for home in avoid:
                if home >= 0:
                    found = found[found != home]
            if len(found):
                return self._best(found, children, day, episode, need)
        return -1

    def _best(
        self, cand: IntArray, children: Sequence[int], day: int, episode: int, need: int
    ) -> int:
        h = self.h
        score = np.where(h.comm[cand] == self.ep_comm[episode], 2.0, 0.0)
        language = self.language[children[0]]
        if language != L_EN:
            score += np.where((h.langs[cand] >> language) & 1, 1.5, 0.0)
        if any(self._age(c, day) == 0 for c in children):
            score += np.where(h.caps[cand] & CAP_INFANT, 0.7, 0.0)
        if not need & NEED_THERAPEUTIC:
            score -= np.where(h.kind[cand] == K_THERAPEUTIC, 1.0, 0.0)
        score += h.popularity[cand]
        # keep homes with many free beds for sibling groups (capacity fit)
        score -= 0.35 * (self.free[cand] - len(children))
        dx = self.x_km[cand] - self.ep_x_km[episode]
        dy = self.y_km[cand] - self.ep_y_km[episode]
        score -= 0.15 * np.sqrt(dx * dx + dy * dy)
        score += self.rng.random(len(cand))
        return int(cand[int(np.argmax(score))])

    def _fits(self, home: int, children: Sequence[int], day: int) -> bool:
        """Whether one known home (kin, or where siblings live) can take the children too."""
        h = self.h
        if self.status[home] != H_OPEN or self.free[home] < len(children):
            return False
        siblings_there = sum(
            1 for c in self.occupants[home] if self.family[c] == self.family[children[0]]
        )
        if siblings_there + len(children) > h.max_siblings[home]:
            return False
        accepts = int(h.accepts[home])
        for c in children:
            age = self._age(c, day)
            if not h.age_min[home] <= age <= h.age_max[home]:
                return False
            if self.needs[c] & ~int(h.caps[home]):
                return False
            if accepts and self.sex[c] != accepts:
                return False
            if self.partner[c] >= 0 and self.partner[c] in self.occupants[home]:
                return False
        return True

    def _homes_today(self, children: Sequence[int], day: int) -> list[int]:
        return [
            h for c in children if self.homes_today[c][0] == day for h in self.homes_today[c][1]
        ]

    def _family_homes(self, episode: int, children: Sequence[int]) -> list[int]:
        """Homes where the family's children live now: the kin home first."""
        homes = []
        if self.kin_home[episode] >= 0:
            homes.append(self.kin_home[episode])
        for sibling in self.family_children[self.family[children[0]]]:
            home = self.home[sibling]
            usable = home >= 0 and self.kind[home] in (K_KIN, K_FOSTER, K_THERAPEUTIC)
            if usable and home not in homes:
                homes.append(home)
        return homes

    def _place_unit(
        self, children: Sequence[int], day: int, episode: int, exclude: int, wide: int, reason: str
    ) -> bool:
        """Place the children together in one home, if one takes them all."""
        today = self._homes_today(children, day)
        for home in self._family_homes(episode, children):
            joining = [c for c in children if self.home[c] != home]
            usable = joining and home != exclude and home not in today
            if usable and self._fits(home, joining, day):
                setting = S_KIN if self.kind[home] == K_KIN else S_FOSTER
                self._commit(joining, home, day, setting, reason)
                return True
        home = self._search(children, day, episode, KIND_BIT_FOSTER, exclude, wide)
        if home < 0:
            return False
        self._commit(children, home, day, S_FOSTER, reason)
        return True

    def _place_family(
        self, children: Sequence[int], day: int, episode: int, exclude: int, wide: int, reason: str
    ) -> list[int]:
        """Place siblings together, else in the fewest homes; return who is left unplaced.

        A child with a safety separation from a sibling in the group is placed on their own.
        """
        left: list[int] = []
        for group in self._separation_split(children):
            if self._place_unit(group, day, episode, exclude, wide, reason):
                continue
            if len(group) == 1:
                left.extend(group)
                continue
            # siblings together matter more than distance: look city-wide before splitting
            if wide < WIDE_CITY and self._place_unit(
                group, day, episode, exclude, WIDE_CITY, reason
            ):
                continue
            # split: the largest chunks of siblings close in age first (fewest homes)
            remaining = sorted(group, key=lambda c: (self.birth[c], c))
            for size in range(len(group) - 1, 0, -1):
                i = 0
                while i + size <= len(remaining):
                    chunk = remaining[i : i + size]
                    if self._place_unit(chunk, day, episode, exclude, wide, reason):
                        remaining = remaining[:i] + remaining[i + size :]
                    else:
                        i += 1
            left.extend(remaining)
        return left

    def _separation_split(self, children: Sequence[int]) -> list[list[int]]:
        for c in children:
            if self.partner[c] >= 0 and self.partner[c] in children:
                rest = [x for x in children if x != c]
                return [rest, [c]]
        return [list(children)]

    def _new_kin_home(self, episode: int, children: Sequence[int], day: int) -> int:
        """A relative's home, approved for this sibling group (kin_of = the whole family)."""
        h, rng = self.h, self.rng
        home = self.n_homes
        self.n_homes += 1
        if not self.kin_location_used[episode]:
            comm = int(self.p.ep_kin_comm[episode])
            lat, lon = float(self.p.ep_kin_lat[episode]), float(self.p.ep_kin_lon[episode])
            self.kin_location_used[episode] = True
        else:  # another relative: a point of another episode, anywhere in the city
            other = int(rng.integers(len(self.p.ep_kin_comm)))
            comm = int(self.p.ep_kin_comm[other])
            lat, lon = float(self.p.ep_kin_lat[other]), float(self.p.ep_kin_lon[other])
        family = self.family[children[0]]
        caps = 0
        for c in self.family_children[family]:
            caps |= self.needs[c]
        if any(self._age(c, day) == 0 for c in children):
            caps |= CAP_INFANT
        capacity = min(6, len(children) + (1 if rng.random() < 0.25 else 0))
        language = self.language[children[0]]
        fam = self.p
        h.kind[home] = K_KIN
        h.comm[home], h.lat[home], h.lon[home] = comm, lat, lon
        h.capacity[home] = capacity
        h.age_min[home], h.age_max[home] = 0, 17
        h.accepts[home] = 0
        h.max_siblings[home] = capacity
        h.caps[home] = caps
        h.langs[home] = (1 << language) | ((1 << L_EN) if fam.fam_second_en[family] else 0)
        h.primary[home] = language
        h.religion[home] = fam.fam_religion[family]
        tribe = int(fam.fam_tribe[family])
        h.tribe[home] = tribe
        h.tribe_licensed[home] = tribe >= 0 and rng.random() < 0.3
        h.offers[home] = T_TRIBAL if tribe >= 0 else 0
        h.licensed[home] = day
        self.kind[home] = K_KIN
        self.free[home] = capacity
        self.status[home] = H_OPEN
        self.kin_family[home] = family
        self.kin_home[episode] = home
        return home

    def _place_with_new_kin(
        self, children: Sequence[int], day: int, episode: int, reason: str
    ) -> None:
        groups = self._separation_split(children)
        home = self._new_kin_home(episode, groups[0], day)
        self._commit(groups[0], home, day, S_KIN, reason)
        for group in groups[1:]:
            for child in self._place_family(group, day, episode, -1, WIDE_AREA, reason):
                self._no_home(child, day, reason)

    # -- handlers -------------------------------------------------------------------------

    def _on_release(self, day: int, home: int, _: int) -> None:
        self.free[home] += 1
        if self.status[home] == H_OPEN and self.kind[home] != K_KIN:
            self.avail[home] += 1

    def _on_home_open(self, day: int, home: int, _: int) -> None:
        if self.status[home] == H_FUTURE:  # not closed before its batch day came
            self._open(home)

    def _on_home_close(self, day: int, home: int, _: int) -> None:
        if self.status[home] == H_FUTURE:  # closed before it took any child
            self._close_home(home, day)
            return
        if self.status[home] != H_OPEN:
            return
        if not self.occupants[home] or self.rng.random() < HOME_CLOSE_AT_ONCE_SHARE:
            self._close_home(home, day)
            return
        # no new children; close when the last one leaves, or after a while
        self.status[home] = H_DRAINING
        self._withdraw(home)
        self._push(day + int(self.rng.integers(*HOME_DRAIN_DAYS)), E_FORCE_CLOSE, home)

    def _on_force_close(self, day: int, home: int, _: int) -> None:
        if self.status[home] == H_DRAINING:
            self._close_home(home, day)

    def _close_home(self, home: int, day: int, reason: str = "") -> None:
        if self.status[home] == H_OPEN and self.kind[home] != K_KIN:
            self._withdraw(home)
        self.status[home] = H_CLOSED
        self.closed_day[home] = day
        self.closed_reason[home] = reason or self.h.close_reason[home]
        by_family: dict[int, list[int]] = {}
        for child in list(self.occupants[home]):
            by_family.setdefault(self.family[child], []).append(child)
        for children in by_family.values():
            episode = self.st_episode[self.stay[children[0]]]
            for child in self._place_family(children, day, episode, home, WIDE_AREA, "home_closed"):
                self._no_home(child, day, "home_closed")

    def _on_discharge(self, day: int, stay: int, _: int) -> None:
        child = self.st_child[stay]
        if self.stay[child] != stay:
            return
        self._end(child, day, "discharge")
        self.stay[child] = -1

    def _on_entry(self, day: int, episode: int, group: int) -> None:
        rng = self.rng
        children = []
        for stay in self.entry_groups[group]:
            child = self.st_child[stay]
            self.stay[child] = stay
            self.token[child] += 1
            children.append(child)
        later = day != int(self.p.ep_start[episode])
        rest = []
        for child in children:
            if self._goes_to_group_care(child, day):
                self._congregate(child, day, "")
            else:
                rest.append(child)
        if not rest:
            return
        if not later and self.ep_kin[episode] and self.kin_home[episode] < 0:
            # a relative takes the children the day they are removed
            self._place_with_new_kin(rest, day, episode, "")
            return
        if rng.random() < INITIAL_SHELTER_SHARE:
            # an assessment in a shelter first (for siblings together), or nothing recorded
            # for a few days
            record = rng.random() >= UNRECORDED_WAIT_SHARE
            low, high = INITIAL_SHELTER_DAYS if record else (1, 3)
            after = int(rng.integers(low, high + 1))
            for child in rest:
                self._wait(child, day, "", record, after=after)
            return
        for child in self._place_family(rest, day, episode, -1, WIDE_AREA, ""):
            self._no_home(child, day, "")

    def _on_unit_move(self, day: int, episode: int, unit: int) -> None:
        rng = self.rng
        children = [
            c for c, token in self.units[unit] if self.token[c] == token and self.stay[c] >= 0
        ]
        if not children or self.settled[episode]:
            return
        home = self.home[children[0]]
        reason = "disruption" if rng.random() < DISRUPTION_SHARE_OF_MOVES else "move"
        movers = []
        for child in children:
            if reason == "disruption" and self._goes_to_group_care(child, day):
                self._congregate(child, day, "step_up")
            else:
                movers.append(child)
        if not movers:
            return
        kin = self.kin_home[episode]
        if (kin < 0 or self.status[kin] != H_OPEN) and rng.random() < KIN_FOUND_LATER_SHARE:
            self._place_with_new_kin(movers, day, episode, reason)
            return
        if self._reunite_siblings(movers, day, episode, home):
            return
        if reason == "disruption" and rng.random() < EMERGENCY_SHELTER_SHARE:
            for child in movers:
                self._wait(child, day, reason)
            return
        left = self._place_family(movers, day, episode, home, WIDE_AREA, reason)
        if reason == "disruption":
            for child in left:
                self._no_home(child, day, reason)
        elif left:  # a planned move without a better home is not made
            self._schedule_unit_move(left, home, day)

    def _reunite_siblings(self, movers: list[int], day: int, episode: int, home: int) -> bool:
        """A move is the chance to bring a split sibling group together in one home."""
        elsewhere = [
            c
            for c in self.family_children[self.ep_family[episode]]
            if c not in movers
            and self.stay[c] >= 0
            and self.st_episode[self.stay[c]] == episode
            and self.setting[c] in (S_KIN, S_FOSTER, S_SHELTER, S_NONE)
            and self.home[c] != home
        ]
        if not elsewhere:
            return False
        group = movers + elsewhere
        if len(self._separation_split(group)) > 1:
            return False
        return self._place_unit(group, day, episode, home, WIDE_CITY, "move")

    def _on_child_event(self, day: int, child: int, code: int) -> None:
        token, what = code >> 2, code & 3
        if token != self.token[child] or self.stay[child] < 0:
            return
        episode = self.st_episode[self.stay[child]]
        if what == C_STEP_UP:
            self._congregate(child, day, "step_up")
        elif what == C_RUN:
            self._commit([child], -1, day, S_RUNAWAY, "disruption")
            low, mean = RUN_SPELL_DAYS
            back = day + int(low + self.rng.exponential(mean))
            self._push(back, E_CHILD_EVENT, child, self.token[child] * 4 + C_RETURN)
        elif what == C_RETURN:
            if self._goes_to_group_care(child, day):
                self._congregate(child, day, "move")
            elif self._place_family([child], day, episode, -1, WIDE_AREA, "move"):
                self._no_home(child, day, "move")
        elif not self._place_unit([child], day, episode, -1, WIDE_AREA, "step_down"):
            # still no family home: stay in group care and try again later
            after = int(self.rng.integers(60, 121))
            self._push(day + after, E_CHILD_EVENT, child, self.token[child] * 4 + C_STEP_DOWN)

    def _on_retry(self, day: int, child: int, token: int) -> None:
        if token != self.token[child] or self.stay[child] < 0:
            return
        episode = self.st_episode[self.stay[child]]
        waiting = [
            c
            for c in self.family_children[self.family[child]]
            if self.stay[c] >= 0
            and self.st_episode[self.stay[c]] == episode
            and self.setting[c] in (S_SHELTER, S_NONE)
        ]
        waited = day - self.wait_since[child]
        wide = WIDE_CITY if waited >= WAIT_CITYWIDE_AFTER_DAYS else WIDE_AREA
        left = self._place_family(waiting, day, episode, -1, wide, "move")
        if child not in left:
            return  # placed; waiting siblings still unplaced have their own retries
        if self._age(child, day) >= TEEN_AGE and waited >= WAIT_GROUP_HOME_AFTER_DAYS:
            self._commit([child], -1, day, S_GROUP, "move")
        elif self.setting[child] == S_NONE:  # not recorded yet: now a shelter stay
            self._wait(child, day, "", since=self.wait_since[child])
        else:  # try again, less often the longer the wait
            after = int(self.rng.integers(WAIT_RETRY_DAYS[0], WAIT_RETRY_DAYS[1] + 1))
            self._push(day + min(30, after * (1 + waited // 14)), E_RETRY, child, token)

    def _on_family_exit(self, day: int, episode: int, exit_kind: int) -> None:
        self.settled[episode] = True
        reason = self.ep_reason[episode]
        children = [
            c
            for c in self.family_children[self.ep_family[episode]]
            if self.stay[c] >= 0
            and self.st_episode[self.stay[c]] == episode
            and self.st_reason[self.stay[c]] == reason
        ]
        if exit_kind == X_THV:
            for child in children:
                self._commit([child], -1, day, S_THV, "move", kin_reason="reunified_kin")
        elif exit_kind == X_PRE_ADOPTIVE:
            # an adoptive family for the children not already with relatives
            group = [c for c in children if self.setting[c] in (S_FOSTER, S_SHELTER, S_NONE)]
            if group:
                home = self._search(group, day, episode, KIND_BIT_PRE_ADOPTIVE, -1, WIDE_CITY)
                if home >= 0:
                    self._commit(group, home, day, S_PRE_ADOPTIVE, "move")

    def _on_child_exit(self, day: int, stay: int, exit_kind: int) -> None:
        child = self.st_child[stay]
        if self.stay[child] != stay:
            return
        if exit_kind == X_SIL:
            self._commit([child], -1, day, S_SIL, "move")
        else:
            self._commit([child], -1, day, S_RUNAWAY, "disruption")


# == applicants and partners ==============================================================

APPLICANT_INTERESTS = {  # invented shares of applicants naming each interest
    "infants": 0.30,
    "young_children": 0.35,
    "school_age": 0.25,
    "teens": 0.10,
    "siblings": 0.22,
    "medical": 0.07,
    "behavioral": 0.06,
    "developmental": 0.06,
    "adoption": 0.20,
}
PARTNER_NAMES = {  # invented; "{c}" is the community's name
    "faith": (
        "{c} Community Church",
        "{c} Baptist Fellowship",
        "Holy Family Parish of {c}",
        "New Hope Church {c}",
        "{c} United Methodist Church",
    ),
    "school": (
        "{c} Elementary Parent Council",
        "{c} High School Family Center",
        "{c} Early Learning Network",
    ),
    "community_centre": (
        "{c} Neighborhood House",
        "{c} Family Resource Center",
        "{c} Youth and Family Center",
    ),
    "health": (
        "{c} Family Health Clinic",
        "{c} Community Health Partners",
        "{c} Pediatric Associates",
    ),
    "other": (
        "{c} Foster Parent Circle",
        "{c} Mutual Aid Network",
        "{c} Youth Sports League",
    ),
}
FAITH_BY_LANGUAGE = {
    "es": "Iglesia Nueva Esperanza {c}",
    "ar": "{c} Islamic Center",
    "ur": "{c} Masjid and Community Center",
    "so": "{c} Somali Masjid",
    "ko": "{c} Korean Presbyterian Church",
    "pl": "St. Hedwig Parish of {c}",
}
CULTURAL_ASSOCIATION = {
    "es": "Casa Cultural {c}",
    "pl": "{c} Polish Heritage Society",
    "zh": "{c} Chinese Mutual Aid Association",
    "ar": "{c} Arab American Family Services",
    "ur": "{c} South Asian Family Network",
    "vi": "{c} Vietnamese Community Association",
    "ko": "{c} Korean American Community Center",
    "tl": "{c} Filipino American Association",
    "so": "{c} Somali Community Council",
    "fr": "{c} West African Families Association",
    "ru": "{c} Russian-speaking Families Club",
}
PARTNER_KIND_WEIGHTS = {
    "faith": 0.30,
    "school": 0.20,
    "community_centre": 0.20,
    "health": 0.12,
    "other": 0.08,
}
PARTNER_LANGUAGE_SHARE = 0.04  # a partner serves a language spoken by this share or more


def _community_languages(geo: _Geography, comm: int) -> list[str]:
    """The languages other than English a community's partners serve, most spoken first."""
    shares = geo.language_share[comm]
    order = sorted(range(1, len(LANGS)), key=lambda i: (-shares[i], i))
    return [LANGS[i] for i in order if shares[i] >= PARTNER_LANGUAGE_SHARE]


def _applicants(
    geo: _Geography, rng: np.random.Generator, targets: ScaleTargets, last_day: int
) -> list[list[str | int]]:
    """The recruitment funnel of the last two years: each applicant's stage on as_of."""
    target_open = targets.open_homes - targets.in_care / targets.children_per_open_kin_home
    licences_per_day = target_open / _mean_tenure_days()
    conversion = math.prod(share for _, share, _ in APPLICANT_STEPS)
    days = int(APPLICANT_YEARS * _YEAR)
    n = int(rng.poisson(licences_per_day / conversion * days))
    inquiry = np.sort(rng.integers(last_day - days + 1, last_day + 1, n))
    stage = np.zeros(n, dtype=np.int64)  # index into ("inquiry", *steps)
    stage_on = inquiry.copy()
    active = np.ones(n, dtype=bool)
    withdrawn = np.zeros(n, dtype=bool)
    for step, (_, share, delay) in enumerate(APPLICANT_STEPS, start=1):
        reach = stage_on + _uniform_days(rng, delay, n)
        goes_on = rng.random(n) < share
        quits = stage_on + _uniform_days(rng, APPLICANT_WITHDRAW_DAYS, n)
        advance = active & goes_on & (reach <= last_day)
        drop = active & ~goes_on & (quits <= last_day)
        stage[advance], stage_on[advance] = step, reach[advance]
        withdrawn[drop], stage_on[drop] = True, quits[drop]
        active &= advance
    comm = _choice(rng, geo.home_weight + 0.3 * geo.child_population, n)
    lat, lon = _points(geo, comm, rng)
    no_address = (stage == 0) & ~withdrawn & (rng.random(n) < 0.08)
    names = ("inquiry", *(name for name, _, _ in APPLICANT_STEPS))
    tags = list(APPLICANT_INTERESTS)
    interested = rng.random((n, len(tags))) < np.array(list(APPLICANT_INTERESTS.values()))
    speaks = rng.random((n, len(LANGS))) < geo.language_share[comm] * 0.6
    speaks[:, L_EN] = True
    rows: list[list[str | int]] = []
    for i in range(n):
        interests = [tags[k] for k in np.flatnonzero(interested[i]).tolist()]
        rows.append(
            [
                "withdrawn" if withdrawn[i] else names[stage[i]],
                int(stage_on[i]),
                "" if no_address[i] else _coord(lat[i]),
                "" if no_address[i] else _coord(lon[i]),
                ";".join(interests or ["young_children"]),
                ";".join(LANGS[k] for k in np.flatnonzero(speaks[i]).tolist()),
            ]
        )
    return rows


def _partners(geo: _Geography, rng: np.random.Generator) -> list[list[str]]:
    """A few partner organisations per community, with invented names and contacts."""
    rows: list[list[str]] = []
    kinds = list(PARTNER_KIND_WEIGHTS)
    for comm in range(geo.n):
        name = geo.names[comm]
        languages = _community_languages(geo, comm)
        options: list[tuple[str, str, list[str]]] = []
        for kind in kinds:
            for template in PARTNER_NAMES[kind]:
                options.append((kind, template, ["en"]))
        for code in languages:
            if code in FAITH_BY_LANGUAGE:
                options.append(("faith", FAITH_BY_LANGUAGE[code], ["en", code]))
            if code in CULTURAL_ASSOCIATION:
                options.append(("cultural_association", CULTURAL_ASSOCIATION[code], [code, "en"]))
        weights = np.array(
            [
                PARTNER_KIND_WEIGHTS.get(kind, 0.5) / (1 if lang == ["en"] else 0.25)
                for kind, _, lang in options
            ]
        )
        count = min(len(options), 2 + int(rng.poisson(1.5)))
        picks = rng.choice(len(options), size=count, replace=False, p=weights / weights.sum())
        lat, lon = _points(geo, np.full(count, comm, dtype=np.int64), rng)
        for j, pick in enumerate(sorted(picks.tolist())):
            kind, template, own = options[pick]
            # a general organisation serves the community's main languages too
            served = own if own != ["en"] else ["en", *languages[:2]]
            title = template.format(c=name)
            rows.append(
                [title, kind, _coord(lat[j]), _coord(lon[j]), ";".join(served),
                 f"info@{_slug(title)}.example.org"]
            )  # fmt: skip
    return rows


# == writing ==============================================================================

HOMES_COLUMNS = (
    "id", "kind", "status", "latitude", "longitude", "capacity", "age_min", "age_max",
    "accepts_sex", "max_siblings", "capabilities", "languages", "religion", "cultural_offers",
    "tribe", "tribe_licensed", "kin_of", "kin_relationship", "licensed_on", "closed_on",
    "closed_reason",
)  # fmt: skip

# How a kin family is related to the children: grandparents are the largest group of kinship
# caregivers (about half), then aunts and uncles, then adult siblings, cousins and fictive
# kin (family friends, godparents). Illustrative shares, not a calibration target.
KIN_RELATIONSHIPS = (
    ("maternal grandmother", 0.22), ("maternal grandparents", 0.10),
    ("paternal grandmother", 0.10), ("paternal grandparents", 0.05),
    ("maternal aunt", 0.15), ("paternal aunt", 0.08), ("maternal uncle", 0.05),
    ("paternal uncle", 0.03), ("adult sibling", 0.05), ("cousin", 0.05),
    ("family friend", 0.12),
)  # fmt: skip
CHILDREN_COLUMNS = (
    "id", "birth_date", "sex", "race", "hispanic", "languages", "religion", "cultural_needs",
    "tribe", "icwa", "needs", "sibling_group", "separate_from", "excluded_homes",
    "school_latitude", "school_longitude",
)  # fmt: skip
EPISODES_COLUMNS = (
    "child_id", "removed_on", "removal_latitude", "removal_longitude", "discharged_on",
    "discharge_reason",
)  # fmt: skip
PLACEMENTS_COLUMNS = ("child_id", "setting", "home_id", "started_on", "ended_on", "end_reason")
APPLICANTS_COLUMNS = ("id", "stage", "stage_on", "latitude", "longitude", "interests", "languages")
PARTNERS_COLUMNS = ("id", "name", "kind", "latitude", "longitude", "languages", "contact")


def _coord(value: float) -> str:
    """A latitude or longitude as written: 6 decimals (about 10 cm)."""
    return f"{value:.6f}"


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Rows of text and whole numbers (coordinates already formatted), ``\\n`` line ends."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = CsvWriter(f)
        writer.writerow(header)
        writer.writerows(rows)


def _write_communities(path: Path, geo: _Geography) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"id": cid, "name": name, "child_population": int(population)},
            "geometry": geometry,
        }
        for cid, name, population, geometry in zip(
            geo.ids, geo.names, geo.child_population.tolist(), geo.geometries, strict=True
        )
    ]
    body = ",\n".join(json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in features)
    text = '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"
    path.write_text(text, encoding="utf-8", newline="\n")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class _Calendar:
    """Simulation days (0 = the start of the burn-in) as ISO dates, cached."""

    def __init__(self, start: date) -> None:
        self.ordinal = start.toordinal()
        self._cache: dict[int, str] = {}

    def iso(self, day: int) -> str:
        text = self._cache.get(day)
        if text is None:
            text = self._cache[day] = date.fromordinal(self.ordinal + day).isoformat()
        return text


@dataclass
class _Records:
    homes: list[list[object]]
    children: list[list[object]]
    episodes: list[list[object]]
    placements: list[list[object]]
    homes_open: int
    in_care: int
    waiting: int


def _collect(
    sim: _Simulation,
    geo: _Geography,
    rng: np.random.Generator,
    calendar: _Calendar,
    window_day: int,
    kin_rng: np.random.Generator,
) -> _Records:
    """The records to write: every child whose care touches the window, with their history.

    Homes: every home open at some time in the window, and every home a kept placement used.
    """
    p, h, last = sim.p, sim.h, sim.last_day
    iso = calendar.iso
    n_child = len(p.birth)

    # children: kept when a stay ends on or after the window start (or is still open)
    entered = p.st_start <= last
    touches = entered & (p.st_discharge >= window_day)
    kept = np.zeros(n_child, dtype=bool)
    kept[p.st_child[touches]] = True
    stays = np.flatnonzero(entered & kept[p.st_child])
    first_start = np.full(n_child, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_start, p.st_child[stays], p.st_start[stays])
    kept_children = np.flatnonzero(kept)
    order = kept_children[np.lexsort((kept_children, first_start[kept_children]))]
    width = max(6, len(str(len(order))))
    child_id = {int(c): f"C{i + 1:0{width}d}" for i, c in enumerate(order.tolist())}

    # placements of kept children, per child in time order (creation order breaks ties, so
    # that a placement that ended the day it started comes before its successor)
    records = [r for r, c in enumerate(sim.pl_child) if c in child_id]
    records.sort(key=lambda r: (child_id[sim.pl_child[r]], sim.pl_start[r], r))
    used_homes = {sim.pl_home[r] for r in records if sim.pl_home[r] >= 0}

    # homes
    candidates = []
    for home in range(sim.n_homes):
        if int(h.licensed[home]) > last:
            continue
        open_in_window = sim.closed_day[home] < 0 or sim.closed_day[home] >= window_day
        if home in used_homes or (sim.kind[home] != K_KIN and open_in_window):
            candidates.append(home)
    candidates.sort(key=lambda x: (int(h.licensed[x]), x))
    width = max(6, len(str(len(candidates))))
    home_id = {home: f"H{i + 1:0{width}d}" for i, home in enumerate(candidates)}

    # placements rows
    placement_rows: list[list[object]] = []
    current: dict[int, int] = {}  # child -> its open placement's setting
    for r in records:
        child, home, end = sim.pl_child[r], sim.pl_home[r], sim.pl_end[r]
        if end < 0:
            current[child] = sim.pl_setting[r]
        placement_rows.append(
            [
                child_id[child],
                SETTINGS[sim.pl_setting[r]],
                home_id[home] if home >= 0 else "",
                iso(sim.pl_start[r]),
                iso(end) if end >= 0 else "",
                sim.pl_reason[r] if end >= 0 else "",
            ]
        )

    # episodes rows
    episode_rows: list[list[object]] = []
    for st in sorted(
        stays.tolist(), key=lambda s: (child_id[int(p.st_child[s])], int(p.st_start[s]))
    ):
        ep = int(p.st_episode[st])
        discharged = int(p.st_discharge[st]) <= last
        episode_rows.append(
            [
                child_id[int(p.st_child[st])],
                iso(int(p.st_start[st])),
                _coord(p.ep_lat[ep]),
                _coord(p.ep_lon[ep]),
                iso(int(p.st_discharge[st])) if discharged else "",
                REASONS[int(p.st_reason[st])] if discharged else "",
            ]
        )
    in_care_children = [c for c in order.tolist() if sim.stay[c] >= 0]
    waiting = sum(
        1
        for c in in_care_children
        if current.get(c, S_NONE) in (S_NONE, S_SHELTER, S_GROUP, S_INSTITUTION)
    )

    children_rows = _children_rows(
        sim, geo, rng, calendar, order, child_id, home_id, stays, records
    )

    # homes rows
    home_rows: list[list[object]] = []
    names, shares = zip(*KIN_RELATIONSHIPS, strict=True)
    relationships = [names[i] for i in kin_rng.choice(len(names), size=len(sim.kind), p=shares)]
    homes_open = 0
    for home in candidates:
        status = "active"
        if sim.status[home] == H_CLOSED:
            status = "closed"
        elif sim.status[home] == H_DRAINING or (
            sim.kind[home] != K_KIN and not sim.occupants[home] and rng.random() < ON_HOLD_SHARE
        ):
            status = "on_hold"
        homes_open += status != "closed"
        kin_of = relationship = ""
        if sim.kind[home] == K_KIN:
            family = sim.kin_family[home]
            kin_of = ";".join(
                sorted(child_id[c] for c in sim.family_children[family] if c in child_id)
            )
            relationship = relationships[home] if kin_of else ""
        tribe = int(h.tribe[home])
        home_rows.append(
            [
                home_id[home],
                HOME_KINDS[sim.kind[home]],
                status,
                _coord(h.lat[home]),
                _coord(h.lon[home]),
                int(h.capacity[home]),
                int(h.age_min[home]),
                int(h.age_max[home]),
                ACCEPTS_SEX[int(h.accepts[home])],
                int(h.max_siblings[home]),
                _bits(int(h.caps[home]), CAPABILITIES),
                _languages(int(h.primary[home]), int(h.langs[home])),
                RELIGIONS[int(h.religion[home])] if h.religion[home] >= 0 else "",
                _bits(int(h.offers[home]), CULTURAL_TAGS),
                TRIBES[tribe] if tribe >= 0 else "",
                ("yes" if h.tribe_licensed[home] else "no") if tribe >= 0 else "",
                kin_of,
                relationship,
                iso(int(h.licensed[home])),
                iso(sim.closed_day[home]) if status == "closed" else "",
                sim.closed_reason[home] if status == "closed" else "",
            ]
        )
    return _Records(
        homes=home_rows,
        children=children_rows,
        episodes=episode_rows,
        placements=placement_rows,
        homes_open=homes_open,
        in_care=len(in_care_children),
        waiting=waiting,
    )


def _languages(primary: int, mask: int) -> str:
    """Language codes, the primary first, the others in LANGS order."""
    others = [LANGS[i] for i in range(len(LANGS)) if mask >> i & 1 and i != primary]
    return ";".join([LANGS[primary], *others] if mask >> primary & 1 else others)


def _same_group(group_of: dict[int, str], a: int, b: int) -> bool:
    return a in group_of and group_of[a] == group_of.get(b)


def _children_rows(
    sim: _Simulation,
    geo: _Geography,
    rng: np.random.Generator,
    calendar: _Calendar,
    order: IntArray,
    child_id: dict[int, str],
    home_id: dict[int, str],
    stays: IntArray,
    records: list[int],
) -> list[list[object]]:
    p, last = sim.p, sim.last_day
    n_fam = len(p.fam_comm)
    # cultural needs shared by the family (faith practice, a tribe), drawn per family
    halal = (p.fam_religion == RELIGIONS.index("muslim")) & (rng.random(n_fam) < 0.7)
    kosher = (p.fam_religion == RELIGIONS.index("jewish")) & (rng.random(n_fam) < 0.4)
    tribal = (p.fam_icwa > 0) & (rng.random(n_fam) < 0.8)
    vegetarian = rng.random(n_fam) < 0.01

    # each child's kept stays in time order: the last removal sets the school's place
    child_stays: dict[int, list[int]] = {}
    for st in stays[np.argsort(p.st_start[stays], kind="stable")].tolist():
        child_stays.setdefault(int(p.st_child[st]), []).append(st)
    last_stay = np.array([child_stays[c][-1] for c in order.tolist()], dtype=np.int64)
    last_episode = p.st_episode[last_stay]
    age_then = (p.st_start[last_stay] - p.birth[order]) / _YEAR
    school = (age_then >= 5) & (age_then < 18)
    school_lat, school_lon = _points(geo, p.ep_comm[last_episode], rng)

    # siblings in care together: children of a family whose stays overlap a sibling's
    group_of: dict[int, str] = {}
    families: dict[int, list[int]] = {}
    for c in order.tolist():
        families.setdefault(int(p.child_family[c]), []).append(c)
    spans = {
        c: [(int(p.st_start[s]), int(min(p.st_discharge[s], last + 1))) for s in child_stays[c]]
        for c in order.tolist()
    }
    groups = []
    for members in families.values():
        together = [
            a
            for a in members
            if any(
                s0 < e1 and s1 < e0
                for b in members
                if b != a
                for s0, e0 in spans[a]
                for s1, e1 in spans[b]
            )
        ]
        if len(together) >= 2:
            groups.append(sorted(together, key=lambda c: child_id[c]))
    groups.sort(key=lambda g: child_id[g[0]])
    for i, members in enumerate(groups):
        for c in members:
            group_of[c] = f"G{i + 1:05d}"

    # a few children must not go back to a home where a placement broke down
    excluded: dict[int, str] = {}
    by_child: dict[int, list[int]] = {}
    for r in records:
        by_child.setdefault(sim.pl_child[r], []).append(r)
    for c in order.tolist():
        mine = by_child.get(c, [])
        broke = [
            i
            for i, r in enumerate(mine)
            if sim.pl_reason[r] == "disruption"
            and sim.pl_home[r] >= 0
            and sim.kind[sim.pl_home[r]] != K_KIN
        ]
        if broke and rng.random() < 0.05:
            i = broke[-1]
            home = sim.pl_home[mine[i]]
            if all(sim.pl_home[r] != home for r in mine[i + 1 :]):
                excluded[c] = home_id[home]

    rows: list[list[object]] = []
    for j, c in enumerate(order.tolist()):
        fam = int(p.child_family[c])
        primary = int(p.fam_lang[fam])
        languages = [LANGS[primary]]
        if primary != L_EN and p.fam_second_en[fam]:
            languages.append("en")
        if primary == L_EN and p.fam_category[fam] == 1 and rng.random() < 0.4:
            languages.append("es")
        needs_tags = []
        if p.deaf[c]:
            languages.insert(0, "ase")
            needs_tags.append("Deaf/ASL")
        if halal[fam]:
            needs_tags.append("halal diet")
        if kosher[fam]:
            needs_tags.append("kosher diet")
        if tribal[fam]:
            needs_tags.append("tribal connection")
        if p.lgbtq[c]:
            needs_tags.append("LGBTQ+ affirming")
        if vegetarian[fam]:
            needs_tags.append("vegetarian diet")
        partner = int(p.separate_from[c])
        tribe = int(p.fam_tribe[fam])
        religion = int(p.fam_religion[fam])
        rows.append(
            [
                child_id[c],
                calendar.iso(int(p.birth[c])),
                SEXES[int(p.sex[c])],
                p.fam_race[fam],
                p.fam_hispanic[fam],
                ";".join(languages),
                RELIGIONS[religion] if religion >= 0 else "",
                ";".join(needs_tags),
                TRIBES[tribe] if tribe >= 0 else "",
                ("no", "yes", "reason_to_know")[int(p.fam_icwa[fam])],
                _bits(int(p.needs[c]), CAPABILITIES),
                group_of.get(c, ""),
                # a safety separation matters between siblings in care together
                child_id[partner] if partner >= 0 and _same_group(group_of, c, partner) else "",
                excluded.get(c, ""),
                _coord(school_lat[j]) if school[j] else "",
                _coord(school_lon[j]) if school[j] else "",
            ]
        )
    return rows


# == the entry point ======================================================================

# Over-draw removals by this factor before thinning to the target census (safety margin
# for the stay model; the factor only costs drawing time).
_OVERDRAW = 1.5
_CHILDREN_PER_REMOVAL = 2.1  # children per first removal incl. later siblings (measured)


def generate(
    out_dir: str | Path,
    *,
    seed: int = 0,
    scale: str = "county",
    as_of: date = DEFAULT_AS_OF,
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write a synthetic agency (the folder format of DESIGN.md §4) to ``out_dir``.

    Parameters
    ----------
    out_dir
        The folder to write; created when missing. Existing files of the format are replaced.
    seed
        The same seed gives byte-identical files.
    scale
        ``"county"`` (about 1,500 children in care and 1,000 open homes) or ``"state"``
        (about 50,000 and 30,000), both on the 77 community areas of Chicago.
    as_of
        "Today" in the data: the census day; history covers the five years before it.
    progress
        Called with short messages ("simulating 2021-11…"); never with personal data.

    Returns
    -------
    GenerationSummary
        Counts per file and the state of the agency on ``as_of``.

    Raises
    ------
    ValueError
        For an unknown scale.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: expected one of {', '.join(sorted(SCALES))}")
    targets = SCALES[scale]
    say = progress or (lambda message: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # (a new stream is spawned last: the earlier ones, and so the county, stay as they were)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    start = _years_before(as_of, WINDOW_YEARS + BURN_IN_YEARS)
    last_day = (as_of - start).days
    window_day = (_years_before(as_of, WINDOW_YEARS) - start).days
    calendar = _Calendar(start)

    say("drawing communities")
    geo = _build_geography(streams[0], targets)
    say("drawing families and episodes")
    children_per_day = ENTRIES_PER_CHILD_IN_CARE * targets.in_care / _YEAR
    family_rate = _OVERDRAW * children_per_day / _CHILDREN_PER_REMOVAL
    people = _PeopleBuilder(geo, streams[1], start, last_day).build(family_rate, targets.in_care)
    say("recruiting homes")
    homes = _draw_homes(geo, streams[2], targets, last_day, kin_slots=len(people.ep_family) + 64)

    def report(day: int) -> int:
        when = start + timedelta(days=day)
        say(f"simulating {when:%Y-%m}…")
        month = when.month + 2  # every three months
        return (date(when.year + month // 12, month % 12 + 1, 1) - start).days

    sim = _Simulation(geo, people, homes, streams[3], last_day, report)
    sim.run()
    say("collecting records")
    records = _collect(sim, geo, streams[4], calendar, window_day, streams[7])
    applicants = _applicants(geo, streams[5], targets, last_day)
    partners = _partners(geo, streams[6])

    say("writing communities.geojson")
    _write_communities(out / "communities.geojson", geo)
    for name, header, rows in (
        ("homes.csv", HOMES_COLUMNS, records.homes),
        ("children.csv", CHILDREN_COLUMNS, records.children),
        ("episodes.csv", EPISODES_COLUMNS, records.episodes),
        ("placements.csv", PLACEMENTS_COLUMNS, records.placements),
    ):
        say(f"writing {name}")
        _write_csv(out / name, header, rows)
    say("writing applicants.csv")
    width = max(5, len(str(len(applicants))))
    _write_csv(
        out / "applicants.csv",
        APPLICANTS_COLUMNS,
        [
            [f"A{i + 1:0{width}d}", row[0], calendar.iso(int(row[1])), *row[2:]]
            for i, row in enumerate(applicants)
        ],
    )
    say("writing partners.csv")
    width = max(4, len(str(len(partners))))
    _write_csv(
        out / "partners.csv",
        PARTNERS_COLUMNS,
        [[f"P{i + 1:0{width}d}", *row] for i, row in enumerate(partners)],
    )
    return GenerationSummary(
        communities=geo.n,
        homes=len(records.homes),
        homes_open=records.homes_open,
        children=len(records.children),
        children_in_care=records.in_care,
        waiting=records.waiting,
        episodes=len(records.episodes),
        placements=len(records.placements),
        applicants=len(applicants),
        partners=len(partners),
        seed=seed,
        scale=scale,
        as_of=as_of,
    )
