"""Reading files of the folder format that nobody has checked, in bounded memory.

An import reads what a client sends: a folder, or a zip of one posted to the API. Nothing
here holds a whole file in memory. A CSV file is read record by record through
:func:`csv_records`; the GeoJSON file, which must be parsed whole, is read only up to
:data:`MAX_GEOJSON_BYTES`; a zip is unpacked to disk member by member through
:func:`extract_zip`. A file that breaks a limit, holds a NUL byte or is not UTF-8 is refused
with :class:`Refused`, which names the file and, where known, the line and the field; the
importer turns it into one problem of the import.

The limits, and why they are where they are:

- :data:`MAX_FILE_BYTES`, 64 MiB per file: twice the largest file of the state-scale sample
  (``placements.csv``, 600,000 placements, 32 MB). The importer keeps the rows it checks in
  memory, about 10 to 15 times their size in the file, so this limit is also what bounds
  the memory of a valid-looking upload. A larger history is imported in parts (the import
  upserts, so the parts add up).
- :data:`MAX_GEOJSON_BYTES`, 64 MiB: the 77 community areas of Chicago take 2 MB.
- :data:`MAX_FIELD_CHARS`, 4,096 characters per cell: the longest value of the format is a
  list of ids (at most 64 characters each); free text is at most 200 characters.
- :data:`MAX_RECORD_CHARS`, 131,072 characters per record (line, or lines when a quoted
  cell spans several): room for the widest file (21 columns) at the field limit, and the
  size at which Python's ``csv`` module would itself refuse a field, so that error never
  shows instead of ours.
- :data:`MAX_UNZIPPED_BYTES`, 512 MiB for a whole zip (seven files at their limit), and
  :data:`MAX_ZIP_MEMBERS`.
"""

from __future__ import annotations

import csv
import ctypes
import ctypes.util
import gc
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

__all__ = [
    "MAX_FIELD_CHARS",
    "MAX_FILE_BYTES",
    "MAX_GEOJSON_BYTES",
    "MAX_RECORD_CHARS",
    "MAX_UNZIPPED_BYTES",
    "MAX_ZIP_MEMBERS",
    "Refused",
    "csv_records",
    "extract_zip",
    "read_text",
    "release_memory",
]

MAX_FILE_BYTES = 64 << 20
MAX_GEOJSON_BYTES = 64 << 20
MAX_FIELD_CHARS = 4096
MAX_RECORD_CHARS = 128 << 10
MAX_UNZIPPED_BYTES = 512 << 20
MAX_ZIP_MEMBERS = 20

# bytes that are not UTF-8 come through ``surrogateescape`` as these code points
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_CHUNK = 1 << 20


class Refused(Exception):
    """A file refused as a whole, before or while it was read; nothing of it is imported.

    Parameters
    ----------
    file
        The file's name (no folder).
    message
        What is wrong, with the limit when one was broken.
    line
        The line where it was found (1 = the first line), 0 for the file as a whole.
    field
        The 0-based position of the field being read when a size limit was broken, if known.
    too_large
        True when a size limit was broken (the API answers 413, not 422).
    """

    def __init__(
        self,
        file: str,
        message: str,
        *,
        line: int = 0,
        field: int | None = None,
        too_large: bool = False,
    ) -> None:
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")
        self.file = file
        self.message = message
        self.line = line
        self.field = field
        self.too_large = too_large


def _size_limit(name: str, size: int, limit: int) -> Refused:
    return Refused(
        name,
        f"the file is {size:,} bytes; a file of the format is at most {limit:,} bytes "
        f"({limit >> 20} MiB): import the records in parts",
        too_large=True,
    )


def _check_text(name: str, line_number: int, line: str) -> None:
    if "\0" in line:
        raise Refused(name, "a NUL byte: this is a binary file, not UTF-8 text", line=line_number)
    bad = _NOT_UTF8.search(line)
    if bad:
        raise Refused(
            name, f"not UTF-8 text (byte {ord(bad.group()) - 0xDC00:#04x})", line=line_number
        )


def read_text(path: Path, limit: int = MAX_GEOJSON_BYTES) -> str:
    """The whole text of a file that is parsed whole; refused when larger than ``limit``."""
    size = path.stat().st_size
    if size > limit:
        raise _size_limit(path.name, size, limit)
    with path.open("rb") as handle:
        text = handle.read(limit + 1).decode("utf-8", errors="surrogateescape")
    text = text.removeprefix("\ufeff")
    bad = _NOT_UTF8.search(text)
    found = [p for p in (text.find("\0"), bad.start() if bad else -1) if p >= 0]
    if found:
        at = min(found)
        start = text.rfind("\n", 0, at) + 1
        _check_text(path.name, text.count("\n", 0, at) + 1, text[start : at + 1])
    return text


class _Lines:
    """The lines of a text file for ``csv.reader``, with no record longer than the limit.

    ``csv.reader`` asks for one line at a time; a record ends when the reader returns it,
    and :meth:`record_read` then resets the budget of the next one.
    """

    def __init__(self, name: str, text: io.TextIOBase) -> None:
        self.name = name
        self.text = text
        self.line = 0  # lines read so far
        self.record: list[str] = []  # the lines of the record being read
        self.used = 0  # their characters

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        budget = MAX_RECORD_CHARS - self.used
        line = self.text.readline(budget + 1)
        if not line:
            raise StopIteration
        self.line += 1
        if self.line == 1:
            line = line.removeprefix("\ufeff")
        if len(line) > budget:
            raise self._too_long(line[:budget])
        _check_text(self.name, self.line, line)
        self.record.append(line)
        self.used += len(line)
        return line

    def record_read(self) -> None:
        self.record.clear()
        self.used = 0

    def _too_long(self, start: str) -> Refused:
        first = self.line - len(self.record)
        prefix = "".join(self.record) + start
        fields = list(csv.reader(io.StringIO(prefix, newline="")))
        field = len(fields[-1]) - 1 if fields else 0
        what = "the header" if first == 1 else "a record"
        return Refused(
            self.name,
            f"{what} longer than {MAX_RECORD_CHARS:,} characters; a field of the format is "
            f"at most {MAX_FIELD_CHARS:,} characters",
            line=first,
            field=max(field, 0),
            too_large=True,
        )


def csv_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV file with the line each starts on (1 = the header).

    Raises
    ------
    Refused
        The file is larger than :data:`MAX_FILE_BYTES`, a record is longer than
        :data:`MAX_RECORD_CHARS`, a line holds a NUL byte or bytes that are not UTF-8, or
        the CSV is malformed (an unclosed quote, for instance).
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _size_limit(path.name, size, MAX_FILE_BYTES)
    with io.TextIOWrapper(
        path.open("rb"), encoding="utf-8", errors="surrogateescape", newline=""
    ) as text:
        lines = _Lines(path.name, text)
        reader = csv.reader(lines, strict=True)
        try:
            for record in reader:
                yield lines.line - len(lines.record) + 1, record
                lines.record_read()
        except csv.Error as exc:
            raise Refused(path.name, f"malformed CSV: {exc}", line=lines.line) from None


def extract_zip(source: BinaryIO | Path, folder: Path) -> None:
    """Unpack a zipped folder into ``folder``, member by member, within the limits.

    Only a member's file name is used (no path from the archive reaches the disk); names
    starting with ``.`` or ``_`` (``__MACOSX``, ``.DS_Store``) are skipped.

    Raises
    ------
    Refused
        Not a zip file, too many files, two files of one name, or a size limit broken
        (``too_large``). ``file`` is ``"file"`` for the zip as a whole.
    """
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise Refused("file", "not a zip file; send the folder as a .zip") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        wanted = [m for m in members if not PurePosixPath(m.filename).name.startswith((".", "_"))]
        if len(wanted) > MAX_ZIP_MEMBERS:
            raise Refused("file", f"the zip holds {len(wanted)} files; the format has at most 7")
        total = sum(m.file_size for m in wanted)
        if total > MAX_UNZIPPED_BYTES:
            raise Refused(
                "file",
                f"the zip unpacks to {total:,} bytes, more than {MAX_UNZIPPED_BYTES >> 20} MiB; "
                "import the records in parts",
                too_large=True,
            )
        for member in wanted:
            name = PurePosixPath(member.filename.replace("\\", "/")).name
            if member.file_size > MAX_FILE_BYTES:
                raise _size_limit(name, member.file_size, MAX_FILE_BYTES)
        for member in wanted:
            name = PurePosixPath(member.filename.replace("\\", "/")).name
            target = folder / name
            if target.exists():
                raise Refused(name, "the zip holds two files of this name")
            with archive.open(member) as unpacked, target.open("wb") as sink:
                written = 0
                while chunk := unpacked.read(_CHUNK):
                    written += len(chunk)
                    if written > MAX_FILE_BYTES:  # the zip's directory said less
                        raise _size_limit(name, written, MAX_FILE_BYTES)
                    sink.write(chunk)


def release_memory() -> None:
    """Give the memory of a finished import back to the operating system.

    Python frees the rows, but the C allocator (glibc) keeps freed pages for the process
    unless told to trim them: a server would otherwise keep hundreds of MB after one large
    upload. Elsewhere than glibc this only collects garbage.
    """
    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    if trim is not None:
        trim(0)
