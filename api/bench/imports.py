"""The ``import`` bench section: hostile uploads, imported in a child process, measured.

Each case builds a zip in a temporary folder and imports it in a fresh Python process (the
import a server runs for ``POST /v1/imports``), under ``/usr/bin/time -v``; the figure is the
child's "Maximum resident set size". The cases:

- ``hostile``: a zip bomb, 10^9 zero bytes in one CSV (about 1 MB zipped);
- ``hostile_field``: 60 MB of zeros in one field of homes.csv, inside the file limit;
- ``hostile_errors``: a 60 MB placements.csv whose 1.2 million rows are all wrong.

The child also reports its resident memory once the import has returned (``rss_after_mb``):
memory given back, not kept for the next request.
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["CASES", "bench_section", "measure_import", "table_lines", "zero_bomb"]

TIME = "/usr/bin/time"
_MAXRSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")

# the child: import the zip into a new SQLite database; print the outcome as JSON
_CHILD = """
import json, sys
from data.db import make_engine, upgrade
from data.reading import release_memory
from data.importing import import_zip
from data.problems import ImportFailed
engine = make_engine(sys.argv[2]); upgrade(engine)
out = {"refused": False, "problems_total": 0, "problem": None}
try:
    import_zip(engine, sys.argv[1])
except ImportFailed as failed:
    out.update(refused=True, problems_total=failed.total, problem=str(failed.problems[0]))
release_memory()
with open("/proc/self/status") as status:
    rss = [line for line in status if line.startswith("VmRSS")]
out["rss_after_mb"] = round(int(rss[0].split()[1]) / 1024, 1) if rss else None
print(json.dumps(out))
"""


def _zip_stream(path: Path, name: str, chunks: Iterator[bytes]) -> None:
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        for chunk in chunks:
            member.write(chunk)


def _repeat(chunk: bytes, total: int) -> Iterator[bytes]:
    while total > 0:
        yield chunk[:total]
        total -= len(chunk)


def zero_bomb(path: Path, size: int = 10**9, name: str = "homes.csv") -> Path:
    """A zip of one CSV file of ``size`` zeros (the digit): about ``size / 1000`` bytes zipped."""
    _zip_stream(path, name, _repeat(b"0" * (1 << 20), size))
    return path


def _giant_field(path: Path) -> Path:
    """homes.csv: a header, then one row whose second field is 60 MB of zeros."""
    header = b"id,kind,status,latitude,longitude,capacity\n"
    chunks = iter([header, b"H1,", *_repeat(b"0" * (1 << 20), 60 << 20), b",active,0,0,1\n"])
    _zip_stream(path, "homes.csv", chunks)
    return path


def _many_errors(path: Path) -> Path:
    """placements.csv: 60 MB of rows that each break a rule (an unknown setting)."""
    row = b"C1,castle,H1,2024-01-01,,\n"
    rows = row * ((1 << 20) // len(row))
    header = b"child_id,setting,home_id,started_on,ended_on,end_reason\n"
    _zip_stream(path, "placements.csv", iter([header, *_repeat(rows, 60 << 20)]))
    return path


CASES: dict[str, Callable[[Path], Path]] = {
    "hostile": zero_bomb,
    "hostile_field": _giant_field,
    "hostile_errors": _many_errors,
}


def measure_import(zip_path: Path, database_url: str) -> dict[str, Any]:
    """Import ``zip_path`` in a child process; its peak and final memory, runtime, outcome."""
    command = [sys.executable, "-c", _CHILD, str(zip_path), database_url]
    timed = shutil.which(TIME) is not None
    started = time.perf_counter()
    done = subprocess.run(
        [TIME, "-v", *command] if timed else command,
        capture_output=True,
        text=True,
        check=False,
    )
    runtime = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the import child failed ({done.returncode}): {done.stderr[-2000:]}")
    found = _MAXRSS.search(done.stderr)
    if found:
        peak_kb = int(found.group(1))
    else:  # no /usr/bin/time: the largest child's peak, from the kernel
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "zip_bytes": zip_path.stat().st_size,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "runtime_s": round(runtime, 2),
        "measured_by": f"{TIME} -v" if found else "getrusage(RUSAGE_CHILDREN)",
        **outcome,
    }


def bench_section(seed: int = 0) -> dict[str, Any]:
    """Every hostile case, each in its own child process (``seed`` is not used: no sampling)."""
    del seed
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="fostermatch-bench-import-") as tmp:
        for name, build in CASES.items():
            zip_path = build(Path(tmp) / f"{name}.zip")
            out[name] = measure_import(zip_path, f"sqlite:///{Path(tmp) / name}.db")
            zip_path.unlink()
    return out


def table_lines(figures: dict[str, Any]) -> list[str]:
    """The section as lines of the bench table."""
    lines: list[str] = []
    for name in CASES:
        case = figures.get(name)
        if case is None:
            continue
        outcome = "refused" if case["refused"] else "imported"
        lines += [
            f"{'import.' + name + ': zip MB':<40} {case['zip_bytes'] / 1e6:>14.1f}",
            f"{'import.' + name + ': peak RSS MB':<40} {case['peak_rss_mb']:>14.1f}",
            f"{'import.' + name + ': RSS after MB':<40} {case['rss_after_mb'] or 0:>14.1f}",
            f"{'import.' + name + ': runtime s':<40} {case['runtime_s']:>14.2f}",
            f"{'import.' + name + ': outcome':<40} {outcome:>14}",
        ]
    return lines
