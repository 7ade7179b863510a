"""Random draws every step of the generator uses, and the array types they return."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

YEAR = 365.25  # days


def weighted_choice(
    rng: np.random.Generator, weights: Sequence[float] | NDArray[Any], n: int
) -> IntArray:
    """``n`` positions drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int64)


def uniform_days(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> IntArray:
    """``n`` whole numbers of days, uniform between the two bounds (both included)."""
    return rng.integers(int(bounds[0]), int(bounds[1]) + 1, n).astype(np.int64)
