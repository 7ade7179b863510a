"""The fostermatch command line: import, export, errors, db upgrade."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from api.cli import main
from tests.helpers.records import SMALL_FILES, write_small_folder


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", url)
    return url


def test_import_then_export(
    db_url: str, tmp_path: Path, small_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """import prints what it wrote; export writes the same files back."""
    assert main(["import", str(small_folder)]) == 0
    assert "homes.csv" in capsys.readouterr().out
    assert main(["export", str(tmp_path / "out"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"]["homes.csv"] == 3
    assert (tmp_path / "out" / "homes.csv").read_text(encoding="utf-8") == SMALL_FILES["homes.csv"]


def test_import_errors_exit_2_with_file_line_column(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad input prints FILE:LINE: column COL: message for each problem and exits 2."""
    folder = write_small_folder(
        tmp_path / "bad",
        homes_csv=SMALL_FILES["homes.csv"] + "H9,foster,active,41.92,-87.66,many,,,,,,,,,,,,,,,\n",
    )
    assert main(["import", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "homes.csv:5: column capacity: expected a whole number, got 'many'" in err
    assert "nothing was imported" in err
    assert (
        err.splitlines()[-1] == "every file, column and check is described in docs/data-format.md"
    )


def test_import_json_lists_problems(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --json the problems are also printed as JSON objects."""
    folder = write_small_folder(
        tmp_path / "bad",
        children_csv=SMALL_FILES["children.csv"] + "C9,never,female,,,,,,,,,,,,,\n",
    )
    assert main(["import", str(folder), "--json"]) == 2
    payload = json.loads(capsys.readouterr().out)
    assert payload["imported"] is False
    assert payload["problems"][0] == {
        "file": "children.csv",
        "line": 5,
        "column": "birth_date",
        "message": "expected a date as YYYY-MM-DD, got 'never'",
    }


def test_import_missing_folder(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder that does not exist is a clear error, not a traceback."""
    assert main(["import", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_db_upgrade(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """db upgrade reports the database it migrated."""
    assert main(["db", "upgrade"]) == 0
    assert "latest schema" in capsys.readouterr().out


def test_demo_loads_the_sample_county_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """demo loads the county into var/ of the working folder; --if-empty then leaves it alone."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FOSTERMATCH_DATABASE_URL", raising=False)
    assert main(["demo", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (tmp_path / "var" / "fostermatch.db").exists()
    assert first["communities"] == 77 and first["children_in_care"] > 1000 and first["waiting"] > 0
    # dated today, so that match and plan (whose default day is today) see the county's last day
    with (tmp_path / "var" / "sample-county" / "episodes.csv").open(encoding="utf-8") as f:
        removed = max(date.fromisoformat(row["removed_on"]) for row in csv.DictReader(f))
    assert date.today() - timedelta(days=60) < removed <= date.today()
    assert main(["demo", "--if-empty", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == first


def test_generate_writes_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """generate --json reports what it wrote."""
    assert main(["generate", "--seed", "3", "--out", str(tmp_path / "g"), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["seed"] == 3 and payload["communities"] == 77
    assert (tmp_path / "g" / "placements.csv").exists()


def test_the_worker_needs_postgresql(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`fostermatch worker` on SQLite exits 2 saying the job queue needs PostgreSQL."""
    assert main(["--database-url", db_url, "worker"]) == 2
    err = capsys.readouterr().err
    assert "the job queue needs PostgreSQL" in err and "web process runs the plans" in err


def test_the_worker_refuses_a_concurrency_below_1(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--concurrency 0` is refused, naming the option."""
    assert main(["--database-url", db_url, "worker", "--concurrency", "0"]) == 2
    assert "--concurrency must be 1 or more" in capsys.readouterr().err
