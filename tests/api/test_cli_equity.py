"""`fostermatch plan --equity`: the plan's equity audit as a table or as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main
from api.cli.equity import equity_table
from api.services.equity import equity_audit
from tests.helpers.equity import THRESHOLD, twelve_and_twelve_plan, twelve_and_twelve_records


@pytest.fixture
def small_database(tmp_path: Path, small_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small agency in a new SQLite database the CLI uses; a policy without suppression."""
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'equity.db'}")
    assert main(["import", str(small_folder), "--json"]) == 0
    policy = tmp_path / "open.toml"
    policy.write_text("[privacy]\nsuppression_threshold = 0\n", encoding="utf-8")
    return policy


def test_equity_json_instead_of_the_plan(
    small_database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --json only the audit is printed: C2 (two or more races) placed, 1 of 1."""
    capsys.readouterr()
    argv = ["plan", "--as-of", "2026-01-01", "--time-limit", "5", "--equity", "--json"]
    assert main([*argv, "--policy", str(small_database)]) == 0
    audit = json.loads(capsys.readouterr().out)
    assert "assignments" not in audit and audit["dimensions"] == ["race", "sex", "age"]
    assert audit["as_of"] == "2026-01-01" and audit["suppression_threshold"] == 0
    row = next(r for r in audit["rows"] if r["dimension"] == "race")
    assert (row["group"], row["children"], row["placed_pct"]) == ("two_or_more", 1, 100.0)
    assert audit["baseline"] is None or audit["baseline"]["children"] == 1


def test_equity_table_suppresses_with_the_policy_threshold(
    small_database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shipped policy suppresses 1 to 10 children: the one waiting child is not shown."""
    capsys.readouterr()
    assert main(["plan", "--as-of", "2026-01-01", "--time-limit", "5", "--equity"]) == 0
    out = capsys.readouterr().out
    assert "Groups of 1 to 10 waiting children are suppressed" in out
    assert "two_or_more" in out and "suppressed" in out and "100.0" not in out


def test_table_shows_plan_beside_baseline() -> None:
    """Each group has its plan and baseline figures on one line; the reference is marked."""
    audit = equity_audit(twelve_and_twelve_plan(), twelve_and_twelve_records(), threshold=THRESHOLD)
    text = equity_table({"as_of": "2026-10-31", **audit})
    black = next(line for line in text.splitlines() if line.strip().startswith("black"))
    assert "(ref)" in black and black.split()[2:6] == ["12", "75.0", "50.0", "66.7"]
    assert "No baseline" not in text and "spread max-min" in text
