"""Bulk import of a zipped folder: the checks of `fostermatch import`, all or nothing."""

from __future__ import annotations

import io
import zipfile

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from data.models import Child, Home
from tests.helpers.auth import bearer
from tests.helpers.database import table_rows
from tests.helpers.records import SMALL_FILES, small_zip


def _zip(files: dict[str, str], folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(folder + name, text)
    return buffer.getvalue()


def test_import_of_the_same_folder_changes_nothing(
    client: TestClient, keys: dict[str, str]
) -> None:
    """The small agency, already loaded, imports again with every row unchanged."""
    files = {"file": ("small.zip", small_zip(), "application/zip")}
    response = client.post("/v1/imports", files=files, headers=bearer(keys["case_system"]))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["imported"] is True
    assert report["files"]["homes.csv"] == {"rows": 3, "inserted": 0, "updated": 0, "unchanged": 3}


def test_import_in_a_subfolder_adds_records(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """Files inside one folder of the zip are found; new rows are inserted."""
    homes = (
        SMALL_FILES["homes.csv"] + "H4,foster,active,41.92,-87.66,2,,,,,,en,,,,,,,2024-01-02,,\n"
    )
    data = _zip({"homes.csv": homes}, folder="export/")
    response = client.post(
        "/v1/imports", files={"file": ("f.zip", data)}, headers=bearer(keys["admin"])
    )
    assert response.status_code == 200, response.text
    assert response.json()["files"]["homes.csv"]["inserted"] == 1
    assert table_rows(api_engine, Home) == 4


def test_a_bad_row_imports_nothing(
    client: TestClient, keys: dict[str, str], api_engine: Engine
) -> None:
    """One bad row among good new ones: 422 naming file, line and column; nothing written."""
    children = (
        SMALL_FILES["children.csv"]
        + "C8,2019-01-01,female,,,en,,,,,,,,,,\n"
        + "C9,2019-01-01,girl,,,en,,,,,,,,,,\n"
    )
    homes = (
        SMALL_FILES["homes.csv"] + "H4,foster,active,41.92,-87.66,2,,,,,,en,,,,,,,2024-01-02,,\n"
    )
    before = (table_rows(api_engine, Child), table_rows(api_engine, Home))
    response = client.post(
        "/v1/imports",
        files={"file": ("f.zip", _zip({"children.csv": children, "homes.csv": homes}))},
        headers=bearer(keys["case_system"]),
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["loc"] == ["body", "file", "children.csv", 6, "sex"]
    assert "children.csv:6: column sex" in problem["detail"]
    assert "the format and its checks: docs/data-format.md" in problem["detail"]
    assert (table_rows(api_engine, Child), table_rows(api_engine, Home)) == before


def test_not_a_zip_is_a_field_error(client: TestClient, keys: dict[str, str]) -> None:
    """A file that is not a zip is a 422 on body.file."""
    response = client.post(
        "/v1/imports", files={"file": ("f.zip", b"hello")}, headers=bearer(keys["admin"])
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "file"]


def test_a_missing_file_field_is_a_field_error(client: TestClient, keys: dict[str, str]) -> None:
    """Posting no file names the missing field."""
    response = client.post("/v1/imports", headers=bearer(keys["admin"]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "file"]


def test_unsafe_names_in_the_zip_stay_inside(
    client: TestClient, keys: dict[str, str], tmp_path: object
) -> None:
    """A member named ../../homes.csv is read as homes.csv; nothing is written outside."""
    homes = SMALL_FILES["homes.csv"]
    data = _zip({"../../homes.csv": homes})
    response = client.post(
        "/v1/imports", files={"file": ("f.zip", data)}, headers=bearer(keys["admin"])
    )
    assert response.status_code == 200, response.text
    assert response.json()["files"]["homes.csv"]["unchanged"] == 3
