"""The matching engine's hard rules on a home, as bit masks, for the simulation's searches.

A copy, kept because the simulation searches homes hundreds of thousands of times and the
engine's rules work on a :class:`matching.HomeSnapshot` built once per set of homes. It
mirrors these rules of :data:`matching.rules.RULES`, for a whole sibling group at once:

- :class:`~matching.rules.AgeRange`: every child's age within the home's range;
- :class:`~matching.rules.SexAccepted`: the home accepts every child's sex (a child of
  unknown sex, or a group of both sexes, needs a home that accepts any);
- :class:`~matching.rules.NeedsMet`: every need within the home's capabilities;
- :class:`~matching.rules.MaxSiblings`: the group no larger than the home's limit.

Where it differs: a baby does not need the ``infant`` capability here (the simulation
only prefers such homes in its score; the engine requires it: in the county of seed 1,
442 of 1,459 foster-home placements of babies are in homes without it), and a home is for
foster placements or, as a pre-adoptive home, for adoptions only (the engine has no such
rule). Adopting the engine's infant rule would change the sample county, so the copy
keeps the difference. Free beds, safety separations, excluded homes and kin homes are the
simulation's own checks. ``tests/data/test_generate_hard_rules.py`` checks that the copy
and the engine agree but for the infant capability.

Layout of a home's mask: the ages it takes (bits 0-17), its capabilities (18-22), the
placements it is for (23: foster, 24: pre-adoptive), the sexes it accepts (25: female,
26: male, 27: either/unknown) and the sibling groups it takes (bit 28 + k - 1: k siblings).
A group's requirement has the bits it needs; a home qualifies when it has them all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from data.generate.codes import K_PRE_ADOPTIVE
from data.generate.draws import BoolArray, IntArray
from data.generate.homes import Homes

_RULE_CAPS, _RULE_CLASS, _RULE_SEX, _RULE_SIBLINGS = 18, 23, 25, 28
KIND_BIT_FOSTER = 1 << _RULE_CLASS
KIND_BIT_PRE_ADOPTIVE = 1 << (_RULE_CLASS + 1)


def rule_masks(homes: Homes) -> IntArray:
    """Each home's rule bits (every home, kin rows included)."""
    ages = np.left_shift(1, homes.age_max + 1) - np.left_shift(1, homes.age_min)
    placement = np.where(homes.kind == K_PRE_ADOPTIVE, KIND_BIT_PRE_ADOPTIVE, KIND_BIT_FOSTER)
    sexes = np.array([0b111, 0b001, 0b010])[homes.accepts] << _RULE_SEX
    siblings = (np.left_shift(1, np.clip(homes.max_siblings, 0, 20)) - 1) << _RULE_SIBLINGS
    masks: IntArray = ages | homes.caps << _RULE_CAPS | placement | sexes | siblings
    return masks.astype(np.int64)


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


def group_requirement(ages: Sequence[int], sexes: Sequence[int], need: int, kinds: int) -> int:
    """The rule bits a home needs to take these siblings together.

    Parameters
    ----------
    ages, sexes
        Per child: age in whole years, and sex (:data:`~data.generate.codes.SEX_NAMES`).
    need
        The union of the children's needs (bits of the ``NEED_*`` codes).
    kinds
        :data:`KIND_BIT_FOSTER` or :data:`KIND_BIT_PRE_ADOPTIVE`: the placement sought.
    """
    sex = sexes[0]
    if any(s != sex for s in sexes):
        sex = 0  # both sexes: only a home that accepts any
    # (a child turning 18 today is discharged later the same day)
    return _requirement(min(ages), min(max(ages), 17), need, kinds, sex, len(ages))


def qualifies(masks: IntArray, required: int) -> BoolArray:
    """Which homes (by their :func:`rule_masks`) pass every rule of ``required``."""
    ok: BoolArray = (masks & required) == required
    return ok
