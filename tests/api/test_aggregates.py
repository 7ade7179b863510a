"""Recruitment gaps (JSON, GeoJSON, SVG) and outcomes over HTTP: aggregates only."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.cli import main
from tests.helpers.auth import bearer


def test_gaps_json_is_the_cli_json(
    client: TestClient,
    keys: dict[str, str],
    api_engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GET /v1/recruitment/gaps answers what `fostermatch gaps --json` prints."""
    response = client.get(
        "/v1/recruitment/gaps?horizon_months=6", headers=bearer(keys["recruiter"])
    )
    assert response.status_code == 200, response.text
    url = api_engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "gaps", "--horizon-months", "6", "--json"]) == 0
    assert response.json() == json.loads(capsys.readouterr().out)


def test_gaps_as_geojson_and_svg(client: TestClient, keys: dict[str, str]) -> None:
    """Accept: application/geo+json gives a FeatureCollection; gaps.svg gives an SVG map."""
    headers = {**bearer(keys["recruiter"]), "Accept": "application/geo+json"}
    geo = client.get("/v1/recruitment/gaps?segment=age:6-12", headers=headers)
    assert geo.status_code == 200
    assert geo.headers["content-type"] == "application/geo+json"
    document = geo.json()
    assert document["type"] == "FeatureCollection"
    assert {f["id"] for f in document["features"]} == {"1", "2", "3"}
    svg = client.get("/v1/recruitment/gaps.svg", headers=bearer(keys["recruiter"]))
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text


def test_gap_option_errors_name_the_field(client: TestClient, keys: dict[str, str]) -> None:
    """A bad segment, an unknown community, a horizon of 0: 422 on the query field."""
    headers = bearer(keys["recruiter"])
    for query, loc in [
        ("segment=age:99", ["query", "segment"]),
        ("community=404", ["query", "community"]),
        ("horizon_months=0", ["query", "horizon_months"]),
    ]:
        response = client.get(f"/v1/recruitment/gaps?{query}", headers=headers)
        assert response.status_code == 422, query
        assert response.json()["errors"][0]["loc"] == loc


def test_outcomes_are_the_cli_json(
    client: TestClient,
    keys: dict[str, str],
    api_engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GET /v1/outcomes takes the CLI's options and answers its JSON."""
    query = "from=2023-01-01&to=2024-12-31&by=race&by=sex&suppress_below=1&reference=race=white"
    response = client.get(f"/v1/outcomes?{query}", headers=bearer(keys["recruiter"]))
    assert response.status_code == 200, response.text
    url = api_engine.url.render_as_string(hide_password=False)
    args = ["--from", "2023-01-01", "--to", "2024-12-31", "--by", "race,sex"]
    args += ["--suppress-below", "1", "--reference", "race=white", "--json"]
    assert main(["--database-url", url, "outcomes", *args]) == 0
    assert response.json() == json.loads(capsys.readouterr().out)


def test_outcome_option_errors_name_the_field(client: TestClient, keys: dict[str, str]) -> None:
    """An unknown breakdown, a bad reference, a period ending before it starts: 422."""
    headers = bearer(keys["admin"])
    for query, loc in [
        ("by=colour", ["query", "by"]),
        ("reference=colour", ["query", "reference"]),
        ("from=2024-01-01&to=2023-01-01", ["query", "to"]),
        ("suppress_below=0", ["query", "suppress_below"]),
    ]:
        response = client.get(f"/v1/outcomes?{query}", headers=headers)
        assert response.status_code == 422, query
        assert response.json()["errors"][0]["loc"] == loc


def test_aggregates_hold_no_child_id(client: TestClient, keys: dict[str, str]) -> None:
    """What a recruiter receives names no child of the records."""
    headers = bearer(keys["recruiter"])
    bodies = [
        client.get("/v1/recruitment/gaps", headers=headers).text,
        client.get(
            "/v1/recruitment/gaps", headers={**headers, "Accept": "application/geo+json"}
        ).text,
        client.get("/v1/recruitment/gaps.svg", headers=headers).text,
        client.get("/v1/outcomes?by=all", headers=headers).text,
    ]
    for body in bodies:
        for child_id in ('"C1"', '"C2"', '"C3"', ">C1<", ">C2<"):
            assert child_id not in body
