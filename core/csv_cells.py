"""CSV cells a spreadsheet will not run as formulas, and the exact way back.

A spreadsheet opening a CSV treats a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``), and some also after a leading tab or
carriage return. Every CSV the project writes goes through :func:`neutralise` (the OWASP
rule): such a text cell gets a single quote in front, which spreadsheets show as text.
Reading the project's own CSV back goes through :func:`restore`, which removes exactly that
quote, so an export then an import gives the same value, also for one that really begins
with ``'=`` (written ``''=``).

Only text is neutralised: a plain number such as ``-3.5`` or ``+1e5`` is a number to a
spreadsheet, not a formula, and stays as it is (coordinates and negative gaps read as numbers).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

__all__ = ["FORMULA_STARTS", "CsvWriter", "neutralise", "restore", "safe_row"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _quoted_formula(text: str) -> bool:
    """True when ``text`` is quotes (any number, also none) and then a formula start."""
    return text.lstrip("'").startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """The cell to write for ``text``: a quote in front when a spreadsheet would run it."""
    if _quoted_formula(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore(cell: str) -> str:
    """The value a cell written by :func:`neutralise` stands for (the inverse)."""
    if cell.startswith("'") and _quoted_formula(cell):
        return cell[1:]
    return cell


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row with every text cell neutralised; numbers, dates and empty cells as they are."""
    return [neutralise(v) if isinstance(v, str) else v for v in values]


class CsvWriter:
    """``csv.writer`` with ``\\n`` line ends whose rows are neutralised by :func:`safe_row`."""

    def __init__(self, stream: TextIO, **options: Any) -> None:
        options.setdefault("lineterminator", "\n")
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
