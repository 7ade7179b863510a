"""The OpenAPI document: every request body has an example; errors and auth are documented."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = document["components"]["schemas"][name]
    return schema


def test_every_json_request_body_has_an_example(client: TestClient) -> None:
    """Each JSON body schema carries an example (the issue: 'an example on every body')."""
    document = client.get("/openapi.json").json()
    bodies = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                bodies += 1
                schema = _resolve(document, content["application/json"]["schema"])
                assert schema.get("examples"), f"{method.upper()} {path} has no example"
    assert bodies == 13  # 7 record kinds, matches, plans, decisions, offers, webhooks and their
    # rotation


def test_bearer_auth_and_problems_are_documented(client: TestClient) -> None:
    """The bearer scheme is declared; protected operations document problem+json answers."""
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    operation = document["paths"]["/v1/decisions"]["post"]
    assert operation["security"] == [{"HTTPBearer": []}]
    for status in ("401", "403", "409", "422"):
        assert "application/problem+json" in operation["responses"][status]["content"]
