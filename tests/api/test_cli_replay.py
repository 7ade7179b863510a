"""``fostermatch replay`` on the small agency: the JSON, the CSV, bad input, nothing written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from api.cli import main
from replay import METRICS

WINDOW = ["--from", "2023-12-01", "--to", "2024-01-02"]


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_folder: Path) -> str:
    """The small agency in a new SQLite database named by the environment."""
    url = f"sqlite:///{tmp_path / 'replay.db'}"
    monkeypatch.setenv("FOSTERMATCH_DATABASE_URL", url)
    assert main(["import", str(small_folder)]) == 0
    return url


def test_replay_json_has_every_policy_the_recorded_history_and_equity(
    loaded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON: the window, entries, assumptions, four policies with metrics and shares of
    the hindsight optimum, the recorded history, and equity rows per policy."""
    capsys.readouterr()
    assert main(["replay", *WINDOW, "--json", "--hindsight-limit", "5"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["from"], payload["to"], payload["entries"]) == ("2023-12-01", "2024-01-02", 2)
    assert all(isinstance(a, str) and a.endswith(".") for a in payload["assumptions"])
    rows = {p["name"]: p for p in payload["policies"]}
    assert list(rows) == ["greedy", "rank", "plan", "hindsight"]
    for row in rows.values():
        assert set(row["metrics"]) == set(METRICS)
        assert row["metrics"]["objective"] <= rows["hindsight"]["metrics"]["objective"]
    assert rows["hindsight"]["pct_of_hindsight"] == 100.0
    assert rows["hindsight"]["status"] == "optimal"
    # the records: C1 went to her aunt's home the day after removal; C2 is still in a shelter
    recorded = payload["recorded"]["metrics"]
    assert recorded["placed_with_family_pct"] == 50.0
    assert recorded["placed_within_7_days_pct"] == 50.0
    assert set(payload["equity"]) == set(rows)
    assert {r["dimension"] for r in payload["equity"]["plan"]} == {"race", "sex", "age"}
    # two children: every group is below the suppression threshold
    assert all(r["suppressed"] for r in payload["equity"]["plan"])


def test_replay_writes_a_csv_row_per_policy(loaded: str, tmp_path: Path) -> None:
    """--csv: a header with every metric, one row per policy, one for the recorded history."""
    out = tmp_path / "replay.csv"
    assert main(["replay", *WINDOW, "--policies", "greedy,rank", "--csv", str(out)]) == 0
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["policy", *METRICS, "pct_of_hindsight", "runtime_s"]
    assert [r[0] for r in rows[1:]] == ["greedy", "rank", "recorded"]


def test_a_replay_never_changes_a_record(loaded: str, tmp_path: Path) -> None:
    """The export before and after a replay of every policy is the same, file by file."""
    assert main(["export", str(tmp_path / "before")]) == 0
    assert main(["replay", *WINDOW, "--hindsight-limit", "5"]) == 0
    assert main(["export", str(tmp_path / "after")]) == 0
    before = sorted((tmp_path / "before").iterdir())
    assert [p.name for p in before] == [p.name for p in sorted((tmp_path / "after").iterdir())]
    for path in before:
        assert path.read_bytes() == (tmp_path / "after" / path.name).read_bytes(), path.name


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--from", "2024-01-02", "--to", "2023-12-01"],
            "from: 2024-01-02 is after to (2023-12-01); the window must run forwards",
        ),
        (
            ["--from", "2020-01-01", "--to", "2023-12-31"],
            "from/to: the window 2020-01-01..2023-12-31 is outside the records, which run "
            "from 2022-06-01 to 2024-01-02",
        ),
        (
            [*WINDOW, "--policies", "greedy,fifo"],
            "--policies: unknown policy 'fifo'; choose from greedy, rank, plan, hindsight",
        ),
        ([*WINDOW, "--night-limit", "0"], "--night-limit must be more than 0 seconds"),
    ],
)
def test_bad_input_exits_2_with_a_sentence(
    loaded: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A window backwards or outside the records, an unknown policy, a limit of 0: exit 2
    and one line naming what is wrong."""
    capsys.readouterr()
    assert main(["replay", *argv]) == 2
    assert capsys.readouterr().err == f"fostermatch replay: {message}\n"


def test_a_date_that_is_not_a_date_exits_2(loaded: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--from yesterday: argparse's usage error, exit 2, naming the value."""
    with pytest.raises(SystemExit) as exited:
        main(["replay", "--from", "yesterday"])
    assert exited.value.code == 2
    assert "'yesterday' is not a date; expected YYYY-MM-DD" in capsys.readouterr().err
