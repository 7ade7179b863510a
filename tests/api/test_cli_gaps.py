"""``fostermatch gaps`` on the sample county: table, JSON, files, and bad input refused."""

from __future__ import annotations

import argparse
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlmodel import Session

from api.cli.gaps import add_gaps_command
from api.services.recruitment import load_recruitment_inputs, unmet_demand
from data.db import make_engine


def run(url: str, *argv: str) -> int:
    """Parse like ``fostermatch`` does (the command is registered on sub-parsers) and run."""
    parser = argparse.ArgumentParser(prog="fostermatch")
    parser.add_argument("--database-url")
    commands = parser.add_subparsers(dest="command", required=True)
    add_gaps_command(commands)
    args = parser.parse_args(["--database-url", url, "gaps", *argv])
    return int(args.func(args))


def test_table_lists_largest_gaps_with_partners(
    county_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table view starts with the largest gap and names outreach partners."""
    assert run(county_database_url, "--limit", "5") == 0
    out = capsys.readouterr().out
    assert out.startswith("Recruitment gaps as of 2026-10-31, 12 months ahead")
    assert "reach out:" in out
    gaps = [
        float(m.group(1))
        for line in out.splitlines()[3:]
        if (m := re.search(r"\s([+-]\d+\.\d)\s", line))
    ]
    assert gaps == sorted(gaps, reverse=True) and len(gaps) == 5


def test_json_shape_and_no_child_ids(
    county_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json gives parameters, suppression, gap rows and totals, and never a child id."""
    assert run(county_database_url, "--segment", "age:13-17", "--json", "--backtest") == 0
    text = capsys.readouterr().out
    payload = json.loads(text)
    assert payload["segment"] == "age:13-17"
    assert {"scenario", "estimates", "suppression", "gaps", "totals", "backtest"} <= set(payload)
    assert {row["segment"] for row in payload["gaps"]} == {"age:13-17"}
    assert len(payload["gaps"]) == 77
    assert payload["suppression"]["threshold"] == 10
    assert 0.0 <= payload["backtest"]["interval_coverage"] <= 1.0
    assert "C0" not in text  # the sample county's child ids start with C0


def test_files_are_written(
    county_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--csv, --geojson and --svg write a table, a FeatureCollection and a parseable map."""
    csv, geojson, svg = tmp_path / "g.csv", tmp_path / "g.geojson", tmp_path / "g.svg"
    code = run(
        county_database_url,
        "--segment",
        "siblings:3+",
        "--csv",
        str(csv),
        "--geojson",
        str(geojson),
        "--svg",
        str(svg),
    )
    assert code == 0
    assert csv.read_text(encoding="utf-8").splitlines()[0].startswith("community,name,segment")
    document = json.loads(geojson.read_text(encoding="utf-8"))
    assert len(document["features"]) == 77
    assert {f["properties"]["segment"] for f in document["features"]} == {"siblings:3+"}
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) == 77
    assert "wrote SVG" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--segment", "teens"],
            "fostermatch gaps: --segment: unknown segment 'teens'; expected \"all\"",
        ),
        (
            ["--community", "999"],
            "fostermatch gaps: --community: unknown community '999'; expected one of the 77 community ids",
        ),
        (
            ["--horizon-months", "0"],
            "fostermatch gaps: --horizon-months must be a whole number of months, 1 or more; got 0",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(
    county_database_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Bad options exit 2 with one line naming the option and what is allowed, no traceback."""
    assert run(county_database_url, *argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_non_numeric_horizon_is_a_usage_error(
    county_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A horizon that is not a number is refused by the parser (exit 2), naming the option."""
    with pytest.raises(SystemExit) as stop:
        run(county_database_url, "--horizon-months", "soon")
    assert stop.value.code == 2
    assert "--horizon-months must be a whole number of months" in capsys.readouterr().err


def test_service_loads_tables_without_child_ids(county_database_url: str) -> None:
    """The service builds the engine's tables in bulk; none has a child id or race column."""
    engine = make_engine(county_database_url)
    with Session(engine) as session:
        data = load_recruitment_inputs(session)
        unmet = unmet_demand(session, data.inputs.as_of)
    engine.dispose()
    inputs = data.inputs
    assert str(inputs.as_of) == "2026-10-31"
    assert len(inputs.communities) == 77 and len(inputs.episodes) > 1000
    for frame in (inputs.episodes, inputs.homes, inputs.applicants, inputs.unmet, unmet):
        assert not {"child_id", "id", "race", "hispanic"} & set(frame.columns)
    assert inputs.episodes["group_size"].max() >= 3
    assert set(unmet.columns) == {
        "community",
        "age",
        "group_size",
        "needs",
        "language",
        "rule",
        "children",
    }


NAN = re.compile(r"\bnan\b", re.IGNORECASE)


def test_no_output_says_nan(
    county_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sample county's table, SVG map, CSV and GeoJSON never say "nan" (the tooltips
    once said "most often: nan"; tests/recruitment/test_maps.py forces that case)."""
    svg, csv_file, geojson = tmp_path / "g.svg", tmp_path / "g.csv", tmp_path / "g.geojson"
    argv = ["--svg", str(svg), "--csv", str(csv_file), "--geojson", str(geojson)]
    assert run(county_database_url, *argv) == 0
    table = capsys.readouterr().out
    for text in (table, svg.read_text(encoding="utf-8"), csv_file.read_text(encoding="utf-8")):
        assert not NAN.search(text)
    assert not NAN.search(geojson.read_text(encoding="utf-8"))
