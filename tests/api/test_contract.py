"""The OpenAPI contract: typed answers, one Problem schema, the committed document, examples
that work, and HTTP as clients expect it (415, 406, 405 with Allow, Link, strict dates)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.cli.main import openapi_text
from api.http.app import create_app
from api.http.contract import accepts
from api.http.problems import PROBLEM_JSON
from tests.helpers.auth import bearer, make_keys

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
DONE = ("done", "failed")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The served OpenAPI document (built from an app over an empty database)."""
    parsed: dict[str, Any] = json.loads(openapi_text())
    return parsed


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_the_committed_document_is_the_served_one() -> None:
    """docs/openapi.json is what the app serves: a client generated from either is the same."""
    committed = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi_text(), (
        "docs/openapi.json differs from the served document: regenerate it with "
        "`make openapi` (fostermatch openapi > docs/openapi.json) and commit it"
    )


def test_every_success_answer_is_typed(document: dict[str, Any]) -> None:
    """Each 2xx answer with a body refers to a named schema (no free-form object, no `{}`)."""
    typed = 0
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith("2") or status == "204":
                continue
            for media_type, content in response["content"].items():
                schema = content.get("schema", {})
                if media_type in ("image/svg+xml", "text/plain"):  # the gap map, /metrics
                    assert schema == {"type": "string"}, (method, path)
                    continue
                assert "$ref" in schema, f"{method.upper()} {path} {status} {media_type}"
                typed += 1
    assert typed >= 40  # 26 paths, 40 operations: the PUTs twice (200 and 201), geo+json


def test_every_error_is_a_problem(document: dict[str, Any]) -> None:
    """Every 4xx/5xx answer is the one Problem schema in problem+json, nothing inline."""
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["properties"]["errors"]["anyOf"][0]["items"] == {
        "$ref": "#/components/schemas/FieldProblem"
    }
    for method, path, operation in _operations(document):
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        assert {"405", "503"} <= set(errors), (method, path)
        for status, response in errors.items():
            assert response["content"] == {PROBLEM_JSON: {"schema": PROBLEM_REF}}, (
                method,
                path,
                status,
            )


def test_errors_declared_follow_what_the_operation_does(document: dict[str, Any]) -> None:
    """A JSON body brings 400/413/415/422, a key 401/403, a body 406; the headers are named."""
    put = document["paths"]["/v1/children/{record_id}"]["put"]
    assert {"400", "401", "403", "406", "409", "413", "415", "422"} <= set(put["responses"])
    for status in ("200", "201"):
        assert "X-Record-Outcome" in put["responses"][status]["headers"]
    assert put["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChildRecord"
    }
    plans = document["paths"]["/v1/plans"]["post"]["responses"]
    assert "Location" in plans["202"]["headers"]
    assert "Retry-After" in plans["429"]["headers"] and "Retry-After" in plans["503"]["headers"]
    assert "Link" in document["paths"]["/v1/children"]["get"]["responses"]["200"]["headers"]
    assert "Link" in document["paths"]["/v1/audit"]["get"]["responses"]["200"]["headers"]
    health = document["paths"]["/v1/health"]["get"]["responses"]
    assert "401" not in health and "422" not in health  # public, no parameters
    imports = document["paths"]["/v1/imports"]["post"]
    assert "415" not in imports["responses"]  # a multipart upload, not a JSON body
    assert "ImportUpload" in json.dumps(imports["requestBody"])


def test_operation_ids_and_schema_names_read_well(document: dict[str, Any]) -> None:
    """Operation ids are short verbs on the resource; no schema is named after a route."""
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    for wanted in ("put_child", "post_matches", "post_plans", "get_plan", "post_decisions"):
        assert wanted in ids
    assert all("_v1_" not in i for i in ids), ids
    assert all("_v1_" not in name for name in document["components"]["schemas"])


def test_bounds_are_in_the_schema(document: dict[str, Any]) -> None:
    """The bounds the server enforces (dates to 2200-12-31, the audit's numeric `after`)."""
    child = document["components"]["schemas"]["ChildIn"]["properties"]["birth_date"]
    assert child["format"] == "date"
    assert (child["formatMinimum"], child["formatMaximum"]) == ("1900-01-01", "2200-12-31")
    assert child["pattern"].startswith("^(19")
    audit = {p["name"]: p for p in document["paths"]["/v1/audit"]["get"]["parameters"]}
    assert audit["after"]["schema"]["anyOf"][0]["type"] == "integer"
    assert audit["after"]["schema"]["anyOf"][0]["maximum"] == 2**62


def test_accept_matching() -> None:
    """Accept ranges and q=0 are read as RFC 9110 says."""
    json_only = frozenset({"application/json"})
    assert accepts(None, json_only) and accepts("", json_only)
    assert accepts("application/*", json_only) and accepts("*/*;q=0.1", json_only)
    assert accepts("text/csv, application/json;q=0.5", json_only)
    assert not accepts("text/csv", json_only)
    assert not accepts("application/json;q=0", json_only)
    assert not accepts("image/*", json_only)


def test_a_body_not_sent_as_json_is_415(client: TestClient, keys: dict[str, str]) -> None:
    """text/plain (or no Content-Type) on a JSON body: 415 naming what was sent, not 422."""
    headers = bearer(keys["admin"])
    for content_type in ("text/plain", None):
        sent = {**headers, "Content-Type": content_type} if content_type else headers
        answer = client.post("/v1/matches", content=b'{"child_id": "C1"}', headers=sent)
        assert answer.status_code == 415, answer.text
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert "Content-Type: application/json" in answer.json()["detail"]
    charset = client.post(
        "/v1/matches",
        content=b'{"child_id": "nobody"}',
        headers={**headers, "Content-Type": "application/json; charset=utf-8"},
    )
    assert charset.status_code == 422  # read as JSON; the child is unknown


def test_an_accept_the_route_cannot_meet_is_406(client: TestClient, keys: dict[str, str]) -> None:
    """Accept: text/csv gets 406, not 200 JSON; geo+json and */* are served."""
    headers = bearer(keys["admin"])
    refused = client.get("/v1/children", headers={**headers, "Accept": "text/csv"})
    assert refused.status_code == 406
    assert "application/json" in refused.json()["detail"]
    assert client.get("/v1/children", headers={**headers, "Accept": "*/*"}).status_code == 200
    svg = client.get("/v1/recruitment/gaps.svg", headers={**headers, "Accept": "application/json"})
    assert svg.status_code == 406 and "image/svg+xml" in svg.json()["detail"]


def test_405_allows_every_method_of_the_path(client: TestClient, keys: dict[str, str]) -> None:
    """A POST to a record's path lists GET, PUT and DELETE in Allow (not PUT alone)."""
    answer = client.post("/v1/children/C1", json={}, headers=bearer(keys["admin"]))
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, GET, HEAD, PUT"
    assert "it takes DELETE, GET, HEAD, PUT" in answer.json()["detail"]


def test_pages_carry_a_next_link(client: TestClient, keys: dict[str, str]) -> None:
    """`next` comes with `Link: <...>; rel="next"` keeping the filters; none on the last page."""
    headers = bearer(keys["admin"])
    client.get("/v1/children", headers=headers)  # two reads of children, audited
    client.get("/v1/children", headers=headers)
    first = client.get("/v1/homes?status=active&limit=1", headers=headers)
    body = first.json()
    assert body["next"] is not None
    link = first.headers["link"]
    assert link.startswith("</v1/homes?") and link.endswith('>; rel="next"')
    assert "status=active" in link and f"after={body['next']}" in link
    following = client.get(link[1 : link.index(">")], headers=headers)
    assert following.status_code == 200
    assert following.json()["items"][0]["id"] > body["items"][0]["id"]  # `next`: the last seen
    last = client.get("/v1/homes?limit=500", headers=headers)
    assert last.json()["next"] is None and "link" not in last.headers
    audit = client.get("/v1/audit?limit=1", headers=headers)
    assert audit.headers["link"] == f'</v1/audit?limit=1&after={audit.json()["next"]}>; rel="next"'


@pytest.mark.parametrize("value", [0, 0.5, 20261031, "0", "2026-10-31T00:00:00", "31/10/2026"])
def test_dates_are_iso_strings_only(
    client: TestClient, keys: dict[str, str], value: object
) -> None:
    """`as_of: 0` is not 1970-01-01: a day must be written YYYY-MM-DD, and 422 names the field."""
    answer = client.post(
        "/v1/matches", json={"child_id": "C1", "as_of": value}, headers=bearer(keys["admin"])
    )
    assert answer.status_code == 422
    error = answer.json()["errors"][0]
    assert error["loc"] == ["body", "as_of"]
    assert "YYYY-MM-DD" in error["message"]


@pytest.mark.parametrize("value", ["0", "0.5", "1700000000"])
def test_moments_are_iso_strings_only(client: TestClient, keys: dict[str, str], value: str) -> None:
    """`until=0.5` is refused (it was read as seconds after 1970), naming the query field."""
    answer = client.get(f"/v1/audit?until={value}", headers=bearer(keys["admin"]))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["query", "until"]
    fine = client.get("/v1/audit?until=2026-10-31T12:00:00Z", headers=bearer(keys["admin"]))
    assert fine.status_code == 200


def test_a_path_day_is_strict_too(client: TestClient, keys: dict[str, str]) -> None:
    """A removal date in the path written as a number is refused with the path field."""
    answer = client.get("/v1/episodes/C1/0", headers=bearer(keys["admin"]))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["path", "removed_on"]


def test_broken_json_is_explained_in_words(client: TestClient, keys: dict[str, str]) -> None:
    """A malformed body says what is wrong and where, by line and column."""
    answer = client.post(
        "/v1/matches",
        content=b'{\n  "child_id": "C1",\n  "limit": }',
        headers={**bearer(keys["admin"]), "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail == "the body is not valid JSON: Expecting value at line 3, column 12"
    assert answer.json()["errors"] == [{"loc": ["body"], "message": detail, "type": "json_invalid"}]


def test_a_decision_reads_back_with_what_it_ended(
    county: tuple[TestClient, dict[str, str]], document: dict[str, Any]
) -> None:
    """GET of a decision has the `ended` stays its POST answered with."""
    client, keys = county
    example = document["components"]["schemas"]["DecisionIn"]["examples"][0]
    posted = client.post("/v1/decisions", json=example, headers=bearer(keys["coordinator"]))
    assert posted.status_code == 201, posted.text
    assert posted.json()["ended"]  # the child left a shelter or institution
    read = client.get(f"/v1/decisions/{posted.json()['id']}", headers=bearer(keys["coordinator"]))
    assert read.json() == posted.json()


def _example(schema: dict[str, Any], document: dict[str, Any]) -> Any:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema["examples"][0]


@pytest.fixture
def running_county(county_engine: Engine) -> Iterator[tuple[TestClient, str]]:
    """A client over a writable copy of the sample county that runs plans; an admin key. No
    webhook deliverer: the example webhook's URL names a host no test may call."""
    key = make_keys(county_engine)["admin"]
    with TestClient(create_app(county_engine, run_webhooks=False)) as client:
        yield client, key


def _finished(client: TestClient, headers: dict[str, str], plan_id: str) -> None:
    for _ in range(600):
        if client.get(f"/v1/plans/{plan_id}", headers=headers).json()["status"] in DONE:
            return
        time.sleep(0.1)
    raise AssertionError(f"plan {plan_id} did not finish in 60 s")


def test_every_example_succeeds_on_the_sample_county(
    running_county: tuple[TestClient, str], document: dict[str, Any]
) -> None:
    """Each operation, sent with the document's examples (path values, body), is answered 2xx
    on the sample county: the examples name records it holds. A plan and a webhook are read
    by the ids their creation answered; deletes come after the reads (the webhook deleted is
    the one read); decisions go last (they take a bed from the child the match example ranks).
    """
    client, key = running_county
    headers = bearer(key)
    operations = sorted(
        _operations(document),
        key=lambda op: (op[1].startswith("/v1/decisions"), op[0] == "delete", op[0] != "post"),
    )
    created = {"plan_id": "", "webhook_id": ""}
    sent = 0
    for method, path, operation in operations:
        if path == "/v1/imports":
            continue  # a zip upload: tests/api/test_imports.py
        url = path
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                value = created.get(parameter["name"]) or _example(parameter["schema"], document)
                url = url.replace("{" + parameter["name"] + "}", str(value))
        assert "{" not in url, f"{method.upper()} {path}: a path parameter has no example"
        if url.endswith("/equity"):
            _finished(client, headers, created["plan_id"])
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        kwargs = {"json": _example(body["schema"], document)} if body else {}
        answer = client.request(method.upper(), url, headers=headers, **kwargs)
        assert answer.status_code < 300, f"{method.upper()} {url}: {answer.text}"
        if method == "post" and path in ("/v1/plans", "/v1/webhooks"):
            created[path.removeprefix("/v1/").removesuffix("s") + "_id"] = str(answer.json()["id"])
        sent += 1
    assert sent == 52  # every operation but the upload
