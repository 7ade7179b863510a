"""Segments: the kinds of children homes are recruited for.

Four dimensions: age band (``0-5``, ``6-12``, ``13-17``), sibling-group size
(``1``, ``2``, ``3+``), needs (``none`` or the child's most demanding need) and primary
language (an ISO 639 code). A *segment value* names one value of one dimension
(``"age:13-17"``); a *segment* is ``"all"`` or one or more values of different dimensions
joined by commas (``"age:13-17,siblings:3+"``: teenagers in groups of three or more).

Gaps are reported for ``all`` and for every single value seen in the data; any other segment
can be asked for. A segment is a filter, applied the same way to children (by their age,
group size, needs and language) and to homes (by what they can take).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "AGE_BANDS",
    "DIMENSIONS",
    "NEEDS",
    "SIBLING_BANDS",
    "Segment",
    "age_band",
    "is_segment_value",
    "needs_segment",
    "parse_segment",
    "sibling_band",
]

AGE_BANDS: dict[str, tuple[int, int]] = {"0-5": (0, 5), "6-12": (6, 12), "13-17": (13, 17)}
SIBLING_BANDS = ("1", "2", "3+")
NEEDS = ("medical", "behavioral", "developmental", "therapeutic")
DIMENSIONS = ("age", "siblings", "needs", "language")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")

BoolArray = NDArray[np.bool_]


def is_segment_value(text: str) -> bool:
    """True for one value of one dimension, such as ``age:13-17`` or ``language:es``."""
    dimension, _, value = text.partition(":")
    if dimension == "age":
        return value in AGE_BANDS
    if dimension == "siblings":
        return value in SIBLING_BANDS
    if dimension == "needs":
        return value == "none" or value in NEEDS
    if dimension == "language":
        return bool(_LANGUAGE.match(value))
    return False


@dataclass(frozen=True, slots=True)
class Segment:
    """A filter over children and homes: at most one value per dimension (none: everyone)."""

    age: str | None = None
    siblings: str | None = None
    needs: str | None = None
    language: str | None = None

    @property
    def key(self) -> str:
        """The segment as written: ``all`` or ``dim:value`` parts in dimension order."""
        parts = [f"{d}:{getattr(self, d)}" for d in DIMENSIONS if getattr(self, d) is not None]
        return ",".join(parts) or "all"

    @property
    def min_beds(self) -> int:
        """Beds a home needs for one group of this segment (3 for ``3+``)."""
        return 1 if self.siblings is None else int(self.siblings.rstrip("+"))

    def children(
        self, age: pd.Series, size: pd.Series, needs: pd.Series, language: pd.Series
    ) -> BoolArray:
        """Which children (ages, group sizes, needs segments, languages) are in the segment."""
        mask = np.ones(len(age), dtype=bool)
        if self.age is not None:
            low, high = AGE_BANDS[self.age]
            mask &= (age >= low).to_numpy() & (age <= high).to_numpy()
        if self.siblings is not None:
            mask &= (sibling_band(size) == self.siblings).to_numpy()
        if self.needs is not None:
            mask &= (needs == self.needs).to_numpy()
        if self.language is not None:
            mask &= (language == self.language).to_numpy()
        return mask

    def homes(self, homes: pd.DataFrame) -> BoolArray:
        """Which homes can take a child (or group) of the segment.

        A home takes an age band when its age range overlaps it; a sibling band when its
        capacity and sibling limit reach the band's smallest group; a need when it offers that
        capability; a language when it speaks it. Missing limits mean "no limit".
        """
        mask = np.ones(len(homes), dtype=bool)
        if self.age is not None:
            low, high = AGE_BANDS[self.age]
            mask &= (homes["age_min"].fillna(0) <= high).to_numpy()
            mask &= (homes["age_max"].fillna(99) >= low).to_numpy()
        beds = self.min_beds
        if beds > 1:
            mask &= (homes["capacity"] >= beds).to_numpy()
            mask &= (homes["max_siblings"].fillna(99) >= beds).to_numpy()
        if self.needs is not None and self.needs != "none":
            mask &= has_code(homes["capabilities"], self.needs)
        if self.language is not None:
            mask &= has_code(homes["languages"], self.language)
        return mask


def has_code(column: pd.Series, code: str) -> BoolArray:
    """Which ``;``-separated lists in ``column`` contain ``code`` (vectorised)."""
    pattern = rf"(?:^|;){re.escape(code)}(?:;|$)"
    found: BoolArray = column.fillna("").str.contains(pattern, regex=True).to_numpy(dtype=bool)
    return found


def parse_segment(text: str) -> Segment:
    """Read a segment written as ``all`` or ``dim:value[,dim:value...]``.

    Raises
    ------
    ValueError
        With a sentence naming what is allowed.
    """
    text = text.strip()
    allowed = (
        'expected "all" or dim:value[,dim:value] with age:0-5|6-12|13-17, '
        "siblings:1|2|3+, needs:none|" + "|".join(NEEDS) + ", language:<ISO 639 code>"
    )
    if text == "all":
        return Segment()
    values: dict[str, str] = {}
    for part in text.split(","):
        part = part.strip()
        if not is_segment_value(part):
            raise ValueError(f"unknown segment {part!r}; {allowed}")
        dimension, _, value = part.partition(":")
        if dimension in values:
            raise ValueError(f"segment {text!r} names {dimension} twice; {allowed}")
        values[dimension] = value
    return Segment(**values)


def age_band(age: pd.Series) -> pd.Series:
    """The age band of each age in whole years (18 and over: ``18+``)."""
    years = age.to_numpy()
    labels = np.select(
        [years <= 5, years <= 12, years <= 17], ["0-5", "6-12", "13-17"], default="18+"
    )
    return pd.Series(labels, index=age.index, dtype="str")


def sibling_band(size: pd.Series) -> pd.Series:
    """The sibling band of each group size (1, 2, ``3+``)."""
    n = size.to_numpy()
    labels = np.select([n <= 1, n == 2], ["1", "2"], default="3+")
    return pd.Series(labels, index=size.index, dtype="str")


def needs_segment(needs: pd.Series, order: tuple[str, ...]) -> pd.Series:
    """The needs segment of each ``;``-list of needs: the first need in ``order``, or none."""
    result = pd.Series("none", index=needs.index, dtype="str")
    # walk from the least to the most demanding need so the most demanding one is written last
    for need in reversed(order):
        result = result.mask(has_code(needs, need), need)
    return result
