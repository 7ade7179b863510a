"""The bench's import section: a hostile zip imported in a child process, measured."""

from __future__ import annotations

from pathlib import Path

from api.bench.imports import measure_import, zero_bomb
from api.bench.suite import table
from data.reading import MAX_FILE_BYTES


def test_a_bomb_is_refused_in_a_measured_child(tmp_path: Path) -> None:
    """A zip over the file limit is refused in the child; its peak memory is reported."""
    bomb = zero_bomb(tmp_path / "bomb.zip", size=MAX_FILE_BYTES + 1)
    figures = measure_import(bomb, f"sqlite:///{tmp_path / 'bench.db'}")
    assert figures["refused"] is True
    assert figures["problem"].startswith("homes.csv: the file is")
    assert figures["peak_rss_mb"] > 0 and figures["rss_after_mb"] > 0
    assert figures["measured_by"] == "/usr/bin/time -v"
    lines = table({"machine": "2 cores", "import": {"hostile": figures}})
    assert "import.hostile: peak RSS MB" in lines and "refused" in lines
