"""`fostermatch bench`: the measured sections and their shape (no timing is asserted)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from api.bench.suite import machine, table
from api.cli import main


def test_bench_rank_section(capsys: pytest.CaptureFixture[str]) -> None:
    """bench --only rank --json gives the §12 rank keys over 50,000 homes, and a table."""
    assert main(["bench", "--only", "rank", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["rank"]["homes"] == 50_000
    assert {"median_ms", "p95_ms"} <= set(results["rank"])
    assert "cores" in results["machine"]
    assert "rank: median ms" in table(results)


def test_unknown_section_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown section name is a clear error with exit status 2."""
    assert main(["bench", "--only", "speed"]) == 2
    assert "unknown bench section 'speed'" in capsys.readouterr().err


def test_machine_names_cores_and_python() -> None:
    """The machine line says how many cores and which Python."""
    assert "Python 3." in machine()


def test_table_shows_plan_against_greedy() -> None:
    """The table prints the plan section and the plan-vs-greedy rows when present."""
    results = {
        "machine": "2 cores",
        "plan": {"children": 2, "homes": 3, "runtime_s": 0.1, "gap": 0.0, "status": "optimal"},
        "plan_vs_greedy": {"plan": {"placed": 2}, "greedy": {"placed": 1}},
    }
    text = table(results)
    assert "plan: proven gap (score stage)" in text and "0.00%" in text
    assert text.splitlines()[-1].split() == ["placed", "2", "1"]


def test_http_section_measures_a_real_server(county_database_url: str, tmp_path: Path) -> None:
    """The http section times POST /v1/matches over loopback on the county (a copy of it)."""
    from api.bench.http import measure_matches
    from data.db import make_engine

    source = Path(county_database_url.removeprefix("sqlite:///"))
    copy = tmp_path / "county.db"
    shutil.copyfile(source, copy)
    engine = make_engine(f"sqlite:///{copy}")
    try:
        figures = measure_matches(engine, requests=20, warmup=2)
    finally:
        engine.dispose()
    assert figures["requests"] == 20
    assert 0 < figures["p50_ms"] <= figures["p95_ms"]
    assert figures["homes"] > 1000 and figures["waiting"] > 0
    text = table({"machine": "2 cores", "api_matches": {"county": figures}})
    assert "POST /v1/matches county: p95 ms" in text


def test_table_shows_the_replay_section() -> None:
    """The table prints the replay's days, runtime and each policy's time and share."""
    county = {
        "days": 365,
        "entries": 773,
        "runtime_s": 101.5,
        "policies_s": {"greedy": 8.0, "hindsight": 70.2},
        "pct_of_hindsight": {"greedy": 97.2, "hindsight": 100.0},
    }
    text = table({"machine": "2 cores", "replay": {"county": county}})
    assert "replay county: days" in text and "101.5" in text
    assert text.splitlines()[-2].split()[-2:] == ["8.0", "97.2%"]
