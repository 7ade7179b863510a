"""docs/data-format.md: its tables are the format's own description, code lists included."""

from __future__ import annotations

from pathlib import Path

import pytest

import core.codes
from data.format_doc import BLOCKS, code_lists_markdown, columns_markdown, regenerate
from data.formats import CSV_FILES, HOMES, kind_of

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-format.md"


def test_the_documented_tables_are_the_code() -> None:
    """A column, a limit or a code changed in the format without the document fails here."""
    text = DOC.read_text(encoding="utf-8")
    assert regenerate(text) == text, (
        "regenerate the tables: .venv/bin/python -m data.format_doc docs/data-format.md"
    )


@pytest.mark.parametrize("name", core.codes.__all__)
def test_every_code_is_documented(name: str) -> None:
    """Each value of each code list of core/codes.py appears, as code, in the document."""
    text = DOC.read_text(encoding="utf-8")
    values: tuple[str, ...] = getattr(core.codes, name)
    assert [v for v in values if f"`{v}`" not in text] == []
    assert f"`{name}`" in text


def test_a_new_code_changes_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The code lists table follows core/codes.py: a value added there shows up in it."""
    monkeypatch.setattr(core.codes, "HOME_STATUSES", (*core.codes.HOME_STATUSES, "suspended"))
    assert "`suspended`" in code_lists_markdown()


def test_every_column_is_described() -> None:
    """Every reader of every column says what it accepts; codes come with their list."""
    for spec in CSV_FILES:
        for column in spec.columns:
            kind = kind_of(column.read)
            assert kind.text
            assert bool(kind.codes) == kind.text.startswith("code")


def test_a_column_row_reads_well() -> None:
    """A row gives the name, key and required marks, what the cell holds and its codes."""
    table = columns_markdown(HOMES)
    assert "| `id` (key) | **yes** | id: at most 64 characters, no ';' |  |" in table
    assert "| `kind` | **yes** | code | `kin`, `foster`, `therapeutic`, `pre_adoptive` |" in table
    assert "| `capacity` | **yes** | whole number, 0 to 50 |  |" in table
    assert "| `languages` | no | ISO 639 language codes" in table


def test_a_missing_block_is_named() -> None:
    """A document that lost a block's markers is refused with the block's name."""
    text = DOC.read_text(encoding="utf-8").replace("<!-- codes:start -->", "")
    with pytest.raises(ValueError, match="codes:start"):
        regenerate(text)
    assert set(BLOCKS) == {f"format:{s.name}" for s in CSV_FILES} | {"codes"}
