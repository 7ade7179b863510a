"""The gaps CSV (CLI, API, page download) writes no cell a spreadsheet would run."""

from __future__ import annotations

import csv

import pandas as pd

from recruitment import RecruitmentPolicy, compute_gaps
from tests.helpers.recruitment import build, steady_entries


def test_gaps_csv_neutralises_a_formula_name(plain_policy: RecruitmentPolicy) -> None:
    """A community named like a formula is written behind a quote; numbers stay numbers."""
    areas = pd.DataFrame([{"id": "A", "name": "=HYPERLINK(1)", "child_population": 1000}])
    result = compute_gaps(build(steady_entries("A", 12), areas), plain_policy)
    rows = list(csv.reader(result.to_csv().splitlines()))
    assert rows[1][rows[0].index("name")] == "'=HYPERLINK(1)"
    assert all(not cell.startswith("'") for cell in rows[1] if cell != "'=HYPERLINK(1)")
