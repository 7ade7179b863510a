"""Hostile uploads through the API: bounded problem bodies, 413 for limits, never a 500."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.bench.imports import zero_bomb
from data.reading import MAX_FILE_BYTES
from tests.helpers.auth import bearer
from tests.helpers.records import SMALL_FILES

HOME = {"kind": "foster", "status": "active", "latitude": 41.92, "longitude": -87.66, "capacity": 2}


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _post(client: TestClient, key: str, data: bytes) -> tuple[int, dict[str, Any], int]:
    response = client.post("/v1/imports", files={"file": ("f.zip", data)}, headers=bearer(key))
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.status_code, response.json(), len(response.content)


def test_a_zip_bomb_answers_413_naming_the_file(
    client: TestClient, keys: dict[str, str], tmp_path: Path
) -> None:
    """A zip of a CSV over the file limit: 413, the file and the limit, nothing unpacked."""
    bomb = zero_bomb(tmp_path / "bomb.zip", size=MAX_FILE_BYTES + 1).read_bytes()
    status, problem, _ = _post(client, keys["case_system"], bomb)
    assert status == 413
    assert problem["errors"] == [
        {
            "loc": ["body", "file", "homes.csv"],
            "message": f"the file is {MAX_FILE_BYTES + 1:,} bytes; a file of the format is at "
            f"most {MAX_FILE_BYTES:,} bytes (64 MiB): import the records in parts",
            "where": f"homes.csv: the file is {MAX_FILE_BYTES + 1:,} bytes; a file of the format "
            f"is at most {MAX_FILE_BYTES:,} bytes (64 MiB): import the records in parts",
        }
    ]
    assert problem["errors_total"] == 1


def test_many_errors_are_capped_at_one_hundred(client: TestClient, keys: dict[str, str]) -> None:
    """50,000 bad rows: 100 errors in line order, errors_total counts all, a small body."""
    rows = "".join(f"C{i},castle,H1,2024-01-01,,\n" for i in range(50_000))
    data = _zip({"placements.csv": (SMALL_FILES["placements.csv"] + rows).encode()})
    status, problem, size = _post(client, keys["admin"], data)
    assert status == 422
    errors = problem["errors"]
    assert isinstance(errors, list) and len(errors) == 100
    assert errors[0]["loc"] == ["body", "file", "placements.csv", 6, "setting"]
    assert problem["errors_total"] == 50_000
    assert "50,000 problems; the first 100 are listed" in str(problem["detail"])
    assert size < 64_000


def test_nul_bytes_in_communities_answer_422_not_500(
    client: TestClient, keys: dict[str, str]
) -> None:
    """A communities.geojson of NUL bytes is named in a 422, not an unexpected ValueError."""
    status, problem, _ = _post(client, keys["admin"], _zip({"communities.geojson": b"\0" * 1000}))
    assert status == 422
    assert problem["errors"][0]["loc"] == ["body", "file", "communities.geojson", 1]
    assert "NUL byte" in json.dumps(problem)


def test_a_giant_field_answers_413_with_the_column(
    client: TestClient, keys: dict[str, str]
) -> None:
    """One 5 MB field: refused once, at its line and column, as too large."""
    giant = b"H9," + b"0" * 5_000_000 + b",active,41.92,-87.66,1" + b"," * 15 + b"\n"
    data = _zip({"homes.csv": SMALL_FILES["homes.csv"].encode() + giant})
    status, problem, _ = _post(client, keys["admin"], data)
    assert status == 413
    assert [e["loc"] for e in problem["errors"]] == [["body", "file", "homes.csv", 5, "kind"]]


def test_put_refuses_a_licence_far_ahead(client: TestClient, keys: dict[str, str]) -> None:
    """PUT a home licensed in 2100: 422 on body.licensed_on, the same check as the import."""
    later = date.today() + timedelta(days=3650)
    response = client.put(
        "/v1/homes/H9", json={**HOME, "licensed_on": str(later)}, headers=bearer(keys["admin"])
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "licensed_on"]
    assert f"{later} is more than 366 days ahead" in response.json()["errors"][0]["message"]
