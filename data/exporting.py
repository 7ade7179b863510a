"""Export of the database to the folder format (docs/data-format.md).

``export_folder`` writes every record back in the format import reads; export then import
into an empty database gives the same records.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session

from core.csv_cells import CsvWriter
from data.formats import COMMUNITIES_FILE, CSV_FILES, format_cell
from data.models import Community
from data.upsert import table_of

__all__ = ["ExportReport", "export_folder"]


@dataclass
class ExportReport:
    """How many records export wrote to each file."""

    files: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return "\n".join(f"{name:<20} {n:>8} rows" for name, n in self.files.items())


def export_folder(
    engine: Engine, folder: str | Path, *, progress: Callable[[str], None] | None = None
) -> ExportReport:
    """Write every record in the database to ``folder`` in the folder format.

    Files are written whole (to a temporary name, then renamed), sorted by id (episodes and
    placements by child and date, in the order they were recorded).
    """
    say = progress or (lambda _message: None)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    with Session(engine) as session:
        stored = sorted(
            session.execute(select(table_of(Community))).mappings(),
            key=lambda r: _natural_sort(r["id"]),
        )
        if stored:
            say(f"writing {COMMUNITIES_FILE}")
            document = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "id": r["id"],
                            "name": r["name"],
                            "child_population": r["child_population"],
                        },
                        "geometry": json.loads(r["geometry"]),
                    }
                    for r in stored
                ],
            }
            text = (
                "\n".join(
                    ['{"type": "FeatureCollection", "features": [']
                    + [
                        json.dumps(f, separators=(",", ":"), ensure_ascii=False)
                        + ("," if i < len(stored) - 1 else "")
                        for i, f in enumerate(document["features"])
                    ]
                    + ["]}"]
                )
                + "\n"
            )
            _write_atomically(folder / COMMUNITIES_FILE, text)
            report.files[COMMUNITIES_FILE] = len(stored)
        for spec in CSV_FILES:
            say(f"writing {spec.name}")
            table = table_of(spec.model)
            order = [
                table.c[k] for k in spec.key if k in ("id", "child_id", "started_on", "removed_on")
            ]
            if "id" in table.c and spec.key != ("id",):
                order.append(table.c.id)
            rows = session.execute(select(table).order_by(*order)).mappings()
            out = io.StringIO()
            writer = CsvWriter(out)
            writer.writerow(spec.header)
            n = 0
            for row in rows:
                writer.writerow([format_cell(row[c.target]) for c in spec.columns])
                n += 1
            _write_atomically(folder / spec.name, out.getvalue())
            report.files[spec.name] = n
    return report


def _natural_sort(value: str) -> tuple[int, int, str]:
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(text, encoding="utf-8", newline="")
    temporary.replace(path)
