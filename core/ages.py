"""Ages in whole years, as every part of the project counts them."""

from __future__ import annotations

from datetime import date

__all__ = ["age_on"]


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on ``day`` (a birthday on 29 February counts on 1 March)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return max(0, years)
