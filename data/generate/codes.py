"""The codes the generator works with: positions in the import format's code lists, and bits.

The simulation keeps a setting, a home kind or a discharge reason as its position in the
code list of :mod:`core.codes` (so that the writers turn it back into the code), and a
set of needs, languages or cultural offers as a bit mask.
"""

from __future__ import annotations

from core.codes import DISCHARGE_REASONS, HOME_KINDS, PLACEMENT_SETTINGS

# discharge reasons
REASONS = DISCHARGE_REASONS
R_REUNIFICATION, R_RELATIVE, R_ADOPTION, R_GUARDIANSHIP = (
    REASONS.index(r) for r in ("reunification", "relative", "adoption", "guardianship")
)
R_EMANCIPATION, R_TRANSFER, R_RUNAWAY, R_DEATH = (
    REASONS.index(r) for r in ("emancipation", "transfer", "runaway", "death")
)

# placement settings
SETTINGS = PLACEMENT_SETTINGS
S_PRE_ADOPTIVE, S_KIN, S_FOSTER, S_GROUP, S_INSTITUTION = (
    SETTINGS.index(s)
    for s in ("pre_adoptive", "kin_home", "foster_home", "group_home", "institution")
)
S_SIL, S_RUNAWAY, S_THV, S_SHELTER = (
    SETTINGS.index(s) for s in ("independent_living", "runaway", "trial_home_visit", "shelter")
)
S_NONE = -1
S_FAMILY = (S_PRE_ADOPTIVE, S_KIN, S_FOSTER)  # family homes
S_CONGREGATE = (S_GROUP, S_INSTITUTION)  # group care (core.codes.CONGREGATE_SETTINGS adds shelter)

# home kinds, and a home's state in the simulation
K_KIN, K_FOSTER, K_THERAPEUTIC, K_PRE_ADOPTIVE = (
    HOME_KINDS.index(k) for k in ("kin", "foster", "therapeutic", "pre_adoptive")
)
H_OPEN, H_DRAINING, H_CLOSED, H_FUTURE = 0, 1, 2, 3

# a child's sex by its code here: 0 is unknown (not last, as in core.codes.SEXES), so that
# a sex code is also the code of the homes that accept only that sex (core.codes.ACCEPTS_SEX)
SEX_NAMES = ("unknown", "female", "male")
# needs and capabilities as bits, in the order of core.codes.CAPABILITIES
NEED_MEDICAL, NEED_BEHAVIORAL, NEED_DEVELOPMENTAL, NEED_THERAPEUTIC, CAP_INFANT = 1, 2, 4, 8, 16

LANGS = ("en", "es", "pl", "zh", "ar", "ur", "vi", "ko", "tl", "so", "fr", "ru", "ase")
L_EN, L_ES, L_ASE = 0, 1, 12
RELIGIONS = ("catholic", "protestant", "muslim", "jewish", "orthodox", "buddhist", "hindu")
TRIBES = (
    "Ho-Chunk Nation",
    "Menominee Indian Tribe of Wisconsin",
    "Oneida Nation",
    "Prairie Band Potawatomi Nation",
    "Navajo Nation",
    "Cherokee Nation",
    "Red Lake Band of Chippewa Indians",
)
RACE_CATEGORIES = ("black", "hispanic", "white", "asian", "other")

CULTURAL_TAGS = (
    "halal diet",
    "kosher diet",
    "Deaf/ASL",
    "tribal connection",
    "LGBTQ+ affirming",
    "vegetarian diet",
)
T_HALAL, T_KOSHER, T_DEAF, T_TRIBAL, T_LGBTQ, T_VEGETARIAN = 1, 2, 4, 8, 16, 32

# exit phases before a discharge: a trial home visit, a pre-adoptive home, a settled time
# while guardianship or a relative's custody is arranged, independent living, on the run
X_NONE, X_THV, X_PRE_ADOPTIVE, X_SETTLE, X_SIL, X_RUN = 0, 1, 2, 3, 4, 5

# why a kin home closes when its last child leaves care
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
