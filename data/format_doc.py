"""The tables of docs/data-format.md, written from the format itself.

Each CSV file's column table and the code lists are generated from :mod:`data.formats` and
:mod:`core.codes` and sit in the document between markers::

    <!-- format:homes.csv:start -->
    ...
    <!-- format:homes.csv:end -->

:func:`regenerate` rewrites every marked block of a text; a test fails when the document
differs from it, so a column or a code added to the format cannot go undocumented. To
rewrite the document after changing the format::

    .venv/bin/python -m data.format_doc docs/data-format.md
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import core.codes
from data.formats import CSV_FILES, FileSpec, kind_of

__all__ = ["BLOCKS", "code_lists_markdown", "columns_markdown", "regenerate"]

CODE_LISTS = "codes"


def columns_markdown(spec: FileSpec) -> str:
    """The column table of one CSV file: name, required, what a cell holds, the codes."""
    lines = [
        "| column | required | a cell holds | codes |",
        "| --- | --- | --- | --- |",
    ]
    for column in spec.columns:
        kind = kind_of(column.read)
        holds = kind.text + ("; a `;` list" if kind.listed else "")
        codes = ", ".join(f"`{code}`" for code in kind.codes)
        key = " (key)" if column.name in spec.key else ""
        required = "**yes**" if column.required else "no"
        lines.append(f"| `{column.name}`{key} | {required} | {holds} | {codes} |")
    return "\n".join(lines) + "\n"


def code_lists_markdown() -> str:
    """Every code list of :mod:`core.codes` with its values, in the order of its ``__all__``."""
    lines = ["| list | codes |", "| --- | --- |"]
    for name in core.codes.__all__:
        values: tuple[str, ...] = getattr(core.codes, name)
        lines.append(f"| `{name}` | {', '.join(f'`{v}`' for v in values)} |")
    return "\n".join(lines) + "\n"


# block name -> its generated text
BLOCKS: dict[str, str] = {
    **{f"format:{spec.name}": columns_markdown(spec) for spec in CSV_FILES},
    CODE_LISTS: code_lists_markdown(),
}


def _marked(name: str) -> re.Pattern[str]:
    start, end = re.escape(f"<!-- {name}:start -->"), re.escape(f"<!-- {name}:end -->")
    return re.compile(f"({start}\n)(.*?)({end})", re.S)


def _filled(table: str) -> Callable[[re.Match[str]], str]:
    """A replacement that keeps a block's markers and puts ``table`` between them."""
    return lambda marked: marked.group(1) + table + marked.group(3)


def regenerate(text: str) -> str:
    """``text`` with every marked block replaced by its generated table.

    Raises
    ------
    ValueError
        When a block's markers are missing, naming the block.
    """
    for name, table in BLOCKS.items():
        pattern = _marked(name)
        if not pattern.search(text):
            raise ValueError(f"no <!-- {name}:start --> ... <!-- {name}:end --> block")
        text = pattern.sub(_filled(table), text)
    return text


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/data-format.md")
    target.write_text(regenerate(target.read_text(encoding="utf-8")), encoding="utf-8")
