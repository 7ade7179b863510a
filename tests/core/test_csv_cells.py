"""CSV cells: formula starts neutralised on write, restored exactly on read."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.csv_cells import FORMULA_STARTS, CsvWriter, neutralise, restore, safe_row

HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_formula_start_gets_a_quote(text: str) -> None:
    """Each OWASP formula start (=, +, -, @, tab, CR) is written behind a single quote."""
    assert neutralise(text) == "'" + text
    assert restore(neutralise(text)) == text


@pytest.mark.parametrize("number", ["-3.5", "-87.654321", "+1", "-1e5", "-.5", "-0"])
def test_plain_numbers_stay_numbers(number: str) -> None:
    """A plain signed number is a number to a spreadsheet, not a formula: left as it is."""
    assert neutralise(number) == number
    assert restore(number) == number


@pytest.mark.parametrize(
    ("text", "cell"),
    [("'=x", "''=x"), ("''+x", "'''+x"), ("'-3.5", "''-3.5"), ("'quoted", "'quoted"), ("", "")],
)
def test_a_value_that_really_begins_with_a_quote(text: str, cell: str) -> None:
    """A quote before a formula start is data: one more quote is written, one is removed."""
    assert neutralise(text) == cell
    assert restore(cell) == text


@given(st.text())
def test_restore_undoes_neutralise(text: str) -> None:
    """For every text, reading back what was written gives the text."""
    assert restore(neutralise(text)) == text


@given(st.text())
def test_nothing_written_starts_a_formula(text: str) -> None:
    """A written cell that begins with a formula start is a plain number."""
    cell = neutralise(text)
    if cell.startswith(FORMULA_STARTS):
        assert cell == text and isinstance(float(cell), float)


def test_the_writer_neutralises_text_only() -> None:
    """Numbers, None and dates pass through; text cells are neutralised."""
    out = io.StringIO()
    CsvWriter(out).writerow(["=1+1", -3.5, None, "ok"])
    assert out.getvalue() == "'=1+1,-3.5,,ok\n"
    assert safe_row([-1, "@x"]) == [-1, "'@x"]
