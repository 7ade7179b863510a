"""What is wrong in records about to be written, and the refusal that lists it.

Every check of an import or a record write adds to one :class:`Problems`: each problem is
counted, the first :data:`MAX_PROBLEMS` in file and line order are kept, and
:class:`ImportFailed` carries them out. A problem reads ``FILE:LINE: column COL: message``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from data.formats import COMMUNITIES_FILE, CSV_FILES, MAX_ID_LENGTH
from data.reading import Refused

__all__ = ["MAX_MESSAGE_CHARS", "MAX_PROBLEMS", "ImportFailed", "ImportProblem", "Problems"]

MAX_PROBLEMS = 100  # an import lists the first problems, in file and line order, and counts all
MAX_MESSAGE_CHARS = 300  # a message quoting a long value is cut here


@dataclass(frozen=True, slots=True, order=True)
class ImportProblem:
    """Something wrong in an imported folder: file, line (1 = header, 0 = whole file), column."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        line = f"{self.line}:" if self.line else ""  # 0: the file as a whole
        where = f" column {self.column}:" if self.column else ""
        return f"{self.file}:{line}{where} {self.message}"


class ImportFailed(Exception):
    """The folder was not imported because of ``problems``; nothing was written.

    ``problems`` are the first :data:`MAX_PROBLEMS` in file and line order; ``total`` counts
    them all. ``too_large`` is set when a size limit refused a file.
    """

    def __init__(
        self,
        problems: Sequence[ImportProblem],
        *,
        total: int | None = None,
        too_large: bool = False,
    ):
        self.problems = tuple(problems)
        self.total = len(self.problems) if total is None else total
        self.too_large = too_large
        super().__init__(f"{self.total} problem(s); nothing was imported")

    @property
    def more(self) -> int:
        """How many problems were found beyond those listed."""
        return self.total - len(self.problems)


class Problems:
    """The problems of an import: all counted, the first ``MAX_PROBLEMS`` (file, line) kept."""

    def __init__(self) -> None:
        self.items: list[ImportProblem] = []
        self.count = 0
        self.too_large = False

    def add(self, file: str, line: int, column: str, message: str) -> None:
        self.count += 1
        if len(message) > MAX_MESSAGE_CHARS:  # a message may quote the value at fault
            message = message[: MAX_MESSAGE_CHARS - 3] + "..."
        self.items.append(ImportProblem(file, line, column[:MAX_ID_LENGTH], message))
        if len(self.items) >= 2 * MAX_PROBLEMS:
            self.items = self.first()

    def refused(self, refusal: Refused, header: Sequence[str] = ()) -> None:
        """A file refused as a whole, at the field it names when the header is known."""
        field = refusal.field
        column = header[field].strip() if field is not None and field < len(header) else ""
        self.add(refusal.file, refusal.line, column, refusal.message)
        self.too_large = self.too_large or refusal.too_large

    def first(self) -> list[ImportProblem]:
        return sorted(self.items, key=_problem_order)[:MAX_PROBLEMS]

    def failed(self) -> ImportFailed:
        return ImportFailed(self.first(), total=self.count, too_large=self.too_large)


def _problem_order(p: ImportProblem) -> tuple[int, str, int]:
    order = [COMMUNITIES_FILE, *(s.name for s in CSV_FILES)]
    return (order.index(p.file) if p.file in order else -1, p.file, p.line)
