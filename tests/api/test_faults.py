"""Faults answered properly: the key is checked before the body, errors are bounded, long
URLs answer 414, and a database that cannot be reached answers 503 with Retry-After."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.app import create_app
from api.http.faults import MAX_URL_BYTES, RETRY_AFTER_S
from api.http.problems import MAX_ERRORS, PROBLEM_JSON
from data.db import make_engine
from tests.helpers.auth import bearer

WRITES = ("post", "put", "patch", "delete")


def _write_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every write operation of the API, (method, path with its parameters filled in)."""
    paths: dict[str, dict[str, Any]] = client.get("/openapi.json").json()["paths"]
    return [
        (method, re.sub(r"{\w+}", "2024-01-01", path))
        for path, operations in paths.items()
        for method in operations
        if method in WRITES
    ]


def test_every_write_route_checks_the_key_before_the_body(
    client: TestClient, keys: dict[str, str]
) -> None:
    """No key, a wrong key, a revoked-looking key or a Basic header, with a body that is not
    JSON: every write route answers 401 (not 422) and says nothing about the body."""
    routes = _write_routes(client)
    assert len(routes) >= 15  # records, imports, decisions, matches, plans, ...
    broken = b'{"birth_date": "2016-02-03", '
    wrong = "fm_00000000_" + "x" * 43
    for method, path in routes:
        for headers in ({}, bearer(wrong), {"Authorization": "Basic dXNlcjpwYXNz"}):
            answer = client.request(
                method,
                path,
                content=broken,
                headers={**headers, "Content-Type": "application/json"},
            )
            assert answer.status_code == 401, (method, path, headers, answer.text)
            assert answer.headers["content-type"] == PROBLEM_JSON
            assert answer.headers["www-authenticate"] == "Bearer"
            assert "errors" not in answer.json() and "JSON" not in answer.json()["detail"]
    # with a valid key the same broken body is a 422 naming where it broke
    invalid = client.put(
        "/v1/children/C9",
        content=broken,
        headers={**bearer(keys["case_system"]), "Content-Type": "application/json"},
    )
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["loc"][0] == "body"


def test_the_openapi_document_still_declares_the_bearer_key(client: TestClient) -> None:
    """Moving the check earlier keeps each operation's security declaration."""
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/v1/children/{record_id}"]["put"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert "security" not in document["paths"]["/v1/health"]["get"]


def test_fifty_thousand_wrong_fields_give_a_bounded_answer(
    client: TestClient, keys: dict[str, str]
) -> None:
    """A 0.7 MB body with 50,000 unknown keys answers 422 with the first 100 errors, the
    total in errors_total, and a body of a few kilobytes (it was 4.7 MB)."""
    body: dict[str, object] = {"birth_date": "2016-02-03", "sex": "male"}
    body.update({f"k{i:07d}": 1 for i in range(50_000)})
    raw = json.dumps(body).encode()
    assert 0.6e6 < len(raw) < 1 << 20  # under the body limit: it is parsed
    answer = client.put(
        "/v1/children/C9",
        content=raw,
        headers={**bearer(keys["case_system"]), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert len(problem["errors"]) == MAX_ERRORS
    assert problem["errors_total"] == 50_000
    assert problem["detail"].startswith("50,000 fields invalid: ")
    assert len(answer.content) < 20_000


def test_a_few_errors_are_all_listed_without_a_count(
    client: TestClient, keys: dict[str, str]
) -> None:
    """Below the cap nothing changes: every error listed, no errors_total."""
    answer = client.put(
        "/v1/children/C9", json={"birth_date": "soon", "sex": "x"}, headers=bearer(keys["admin"])
    )
    assert answer.status_code == 422
    assert len(answer.json()["errors"]) == 2 and "errors_total" not in answer.json()


def test_a_url_over_the_limit_answers_414(client: TestClient, keys: dict[str, str]) -> None:
    """A query string over 8 KiB answers 414 with a problem body (the path is not echoed in
    full), before the key is even looked at; one just under the limit is served."""
    long_query = "q=" + "C" * MAX_URL_BYTES
    answer = client.get(f"/v1/children?{long_query}")
    assert answer.status_code == 414
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert "the limit is 8,192 bytes" in answer.json()["detail"]
    assert len(answer.content) < 2_000
    fits = "/v1/children?limit=5&" + "x=" + "1" * (MAX_URL_BYTES - 40)
    assert len(fits) <= MAX_URL_BYTES
    assert client.get(fits, headers=bearer(keys["admin"])).status_code == 200


def test_an_unreachable_database_answers_503_with_retry_after(tmp_path: Any) -> None:
    """An engine pointing at a closed port: an API read, an API write and the home page
    answer 503 with Retry-After and a problem body, never 500."""
    engine = make_engine("postgresql+psycopg://fostermatch@127.0.0.1:9/nowhere")
    with TestClient(create_app(engine, run_plan_jobs=False)) as client:
        key = bearer("fm_00000000_" + "x" * 43)
        for method, path in (("get", "/v1/children"), ("put", "/v1/children/C1")):
            answer = client.request(method, path, headers=key, json={"sex": "male"})
            assert answer.status_code == 503, (method, path, answer.text)
            assert answer.headers["retry-after"] == str(RETRY_AFTER_S)
            assert answer.headers["content-type"] == PROBLEM_JSON
            problem = answer.json()
            assert problem["status"] == 503 and "database is unavailable" in problem["detail"]
            assert "127.0.0.1" not in answer.text and "psycopg" not in answer.text
        home = client.get("/")
        assert home.status_code == 503 and home.headers["retry-after"] == str(RETRY_AFTER_S)
    engine.dispose()


def test_a_lost_database_under_the_pages_answers_a_page(tmp_path: Any) -> None:
    """A person sees a short page saying to try again, with the page's security headers."""
    engine = make_engine("postgresql+psycopg://fostermatch@127.0.0.1:9/nowhere")
    with TestClient(create_app(engine, run_plan_jobs=False)) as client:
        from api.pages import session as cookie

        client.cookies.set(cookie.COOKIE, cookie.sign(1))
        answer = client.get("/pages/children")
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("text/html")
        assert "Try again in" in answer.text and 'role="alert"' in answer.text
        assert "content-security-policy" in answer.headers
    engine.dispose()


@pytest.mark.parametrize("path", ["/v1/health", "/v1/children"])
def test_a_missing_key_is_still_401_and_health_stays_public(client: TestClient, path: str) -> None:
    """The early check changes no answer for a request without a body."""
    expected = 200 if path == "/v1/health" else 401
    assert client.get(path).status_code == expected
