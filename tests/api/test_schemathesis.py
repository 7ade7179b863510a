"""Property-based requests from the OpenAPI document (schemathesis): every answer conforms.

Every operation is called with generated bodies, paths and queries (a few examples each,
bounded and derandomised so the suite stays quick and repeatable) by an admin key over the
small agency. Each answer must be no 500, and conform to the document: its status is one the
operation declares, its content type and body match the schema declared for that status.
Schemathesis's own pytest plugin does not run under pytest 9, so each operation's strategy is
driven here with Hypothesis directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from api.http.app import create_app
from data.db import make_engine
from tests.helpers.auth import bearer

MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _operations() -> list[tuple[str, str]]:
    engine = make_engine("sqlite://")  # only to build the document: never queried
    try:
        document = create_app(engine, run_plan_jobs=False).openapi()
    finally:
        engine.dispose()
    return [(method, path) for path, item in document["paths"].items() for method in item]


@pytest.fixture
def api_schema(api_engine: Engine) -> Iterator[Any]:
    """The application's OpenAPI schema, its app started (plan runner on; no webhook
    deliverer: the generated webhooks' URLs name hosts no test may call)."""
    app = create_app(api_engine, run_webhooks=False)
    with TestClient(app):
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize(("method", "path"), _operations(), ids=lambda v: str(v))
def test_answers_conform(api_schema: Any, keys: dict[str, str], method: str, path: str) -> None:
    """Generated requests to this operation never get a 500, and every answer is one the
    document declares, in status, content type, headers and body."""
    operation = api_schema[path][method]
    headers = bearer(keys["admin"])

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run: CI never flakes on a new example
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def call(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    call()
