"""``fostermatch outcomes`` and its service: the records read in bulk, errors, JSON and CSV."""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.cli.outcomes import add_outcomes_command
from api.services.outcomes import load_outcome_tables, outcome_report
from data.importing import import_folder


def run(argv: list[str]) -> int:
    """Parse ``argv`` with a parser holding only the outcomes command, as api/cli/main.py would."""
    parser = argparse.ArgumentParser(prog="fostermatch")
    parser.add_argument("--database-url")
    commands = parser.add_subparsers(dest="command", required=True)
    add_outcomes_command(commands)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_breakdown_choices_match_the_engine() -> None:
    """The CLI's --by choices are the engine's breakdowns."""
    import outcomes
    from api.cli.outcomes import BREAKDOWNS

    assert outcomes.BREAKDOWNS == BREAKDOWNS


def test_unknown_by_exits_2_with_one_line_naming_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--by nonsense: one line naming the option and the choices, exit 2, no traceback."""
    assert run(["outcomes", "--by", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "fostermatch outcomes: --by: unknown breakdown 'nonsense'; "
        "choose from race, sex, age, community (or all)\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2024-13-01"], "--from: '2024-13-01' is not a date; expected YYYY-MM-DD"),
        (["--to", "yesterday"], "--to: 'yesterday' is not a date; expected YYYY-MM-DD"),
        (
            ["--from", "2024-05-01", "--to", "2024-01-01"],
            "--to 2024-01-01 is before --from 2024-05-01",
        ),
        (["--suppress-below", "0"], "--suppress-below: must be 1 (no suppression) or more"),
        (["--reference", "race"], "--reference: 'race' should be BREAKDOWN=GROUP"),
    ],
)
def test_bad_options_exit_2_with_a_clear_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad dates, a reversed period, a bad threshold or reference: one line, exit 2."""
    assert run(["outcomes", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fostermatch outcomes: {message}")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_reference_group_exits_2(
    county_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reference group that does not exist is named with the choices."""
    argv = [
        "--database-url",
        county_database_url,
        "outcomes",
        "--by",
        "race",
        "--reference",
        "race=martian",
    ]
    assert run(argv) == 2
    assert "reference group 'martian' is not a race group" in capsys.readouterr().err


def test_json_report_of_the_sample_county(
    county_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json prints strict JSON with every breakdown, hidden small cells and the trend."""
    argv = [
        "--database-url",
        county_database_url,
        "outcomes",
        "--by",
        "race,sex",
        "--by",
        "age",
        "--by",
        "community",
        "--json",
    ]
    assert run(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["breakdowns"]) == {"race", "sex", "age", "community"}
    overall = payload["overall"]
    assert overall["entries_per_1000"]["numerator"] > 100
    assert 0 < overall["permanency_12m"]["value"] < 100
    groups = [g for b in payload["breakdowns"].values() for g in b["groups"]]
    hidden = [m for g in groups for m in g["measures"].values() if m["suppressed"]]
    assert hidden and all(m["value"] is None and m["numerator"] is None for m in hidden)
    shown = [m for g in groups for m in g["measures"].values() if not m["suppressed"]]
    # every shown cell is about no child or at least 11 children
    assert all(m["children"] == 0 or m["children"] >= 11 for m in shown)
    assert len(payload["trends"]["years"]) >= 5


def test_csv_and_text_on_the_sample_county(
    county_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--csv writes the cells; the text report names the period and the measures."""
    out = tmp_path / "outcomes.csv"
    argv = [
        "--database-url",
        county_database_url,
        "outcomes",
        "--from",
        "2023-01-01",
        "--to",
        "2023-12-31",
        "--by",
        "community",
        "--csv",
        str(out),
    ]
    assert run(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("outcomes 2023-01-01 to 2023-12-31")
    assert "Reunification in 12 months" in text and f"written to {out}" in text
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("section,year,breakdown,group,name,measure")
    assert any(",<11," in line for line in lines)


def test_suppress_below_1_shows_every_count(
    county_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--suppress-below 1 turns suppression off: no cell is hidden."""
    argv = [
        "--database-url",
        county_database_url,
        "outcomes",
        "--by",
        "race",
        "--suppress-below",
        "1",
        "--json",
    ]
    assert run(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    cells = [m for g in payload["breakdowns"]["race"]["groups"] for m in g["measures"].values()]
    assert not any(m["suppressed"] for m in cells)


def test_no_traceback_from_a_real_process(county_database_url: str, tmp_path: Path) -> None:
    """Run as a program: an unknown --by exits 2 with a single stderr line."""
    script = tmp_path / "run.py"
    script.write_text(
        "import argparse, sys\n"
        "from api.cli.outcomes import add_outcomes_command\n"
        "p = argparse.ArgumentParser(prog='fostermatch')\n"
        "c = p.add_subparsers(dest='command', required=True)\n"
        "add_outcomes_command(c)\n"
        "a = p.parse_args(sys.argv[1:])\n"
        "sys.exit(a.func(a))\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(script), "outcomes", "--by", "colour"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_service_reads_the_small_agency(sqlite_engine: Engine, small_folder: Path) -> None:
    """The frames hold every record, race as flags and the home's place on each placement."""
    import_folder(sqlite_engine, small_folder)
    tables = load_outcome_tables(engine=sqlite_engine)
    children = tables.children.set_index("child_id")
    assert list(children.index) == ["C1", "C2", "C3"]
    assert bool(children.loc["C2", "race_black"]) and bool(children.loc["C2", "race_white"])
    assert children.loc["C3", "hispanic"] == "yes"
    assert children.loc["C1", "sibling_group_id"] == "G1"
    assert len(tables.episodes) == 3 and len(tables.placements) == 4
    kin = tables.placements[tables.placements["setting"] == "kin_home"].iloc[0]
    assert (kin["home_id"], kin["community_id"]) == ("H2", "2")
    assert kin["latitude"] == pytest.approx(41.87)
    shelter = tables.placements[tables.placements["setting"] == "shelter"].iloc[0]
    assert math.isnan(shelter["latitude"])
    assert set(tables.communities["community_id"]) == {"1", "2", "3"}


def test_service_report_of_the_small_agency(sqlite_engine: Engine, small_folder: Path) -> None:
    """outcome_report: C3 went home within 12 months; C1 and C2 are siblings split on the day."""
    import_folder(sqlite_engine, small_folder)
    from datetime import date

    from outcomes import OutcomeSettings

    report = outcome_report(
        engine=sqlite_engine,
        start=date(2022, 1, 1),
        end=date(2022, 12, 31),
        settings=OutcomeSettings(suppress_below=1),
    )
    cells = report.cells.set_index("measure")
    overall = cells[cells["breakdown"] == "overall"]
    assert overall.loc["entries_per_1000", "numerator"] == 1
    assert overall.loc["reunification_12m", "numerator"] == 1
    later = outcome_report(
        engine=sqlite_engine,
        start=date(2024, 1, 1),
        end=date(2024, 1, 5),
        settings=OutcomeSettings(suppress_below=1),
    )
    siblings = later.cells[
        (later.cells["measure"] == "siblings_some") & (later.cells["breakdown"] == "overall")
    ]
    assert (siblings["numerator"].iloc[0], siblings["denominator"].iloc[0]) == (0, 2)
