"""The services speak the domain, not HTTP: they load no web framework, and each of their
errors is answered as problem+json by one handler."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import api.services
from api.http.problems import PROBLEM_JSON, install_problem_handlers
from api.services.errors import (
    Conflict,
    Invalid,
    NotFound,
    ServiceError,
    TooLarge,
    TooMany,
    Unavailable,
    invalid,
)

SERVICES = sorted(m.name for m in pkgutil.iter_modules(api.services.__path__, "api.services."))


def test_importing_the_services_loads_no_web_framework() -> None:
    """Every module of api.services imports without fastapi or starlette."""
    assert "api.services.records" in SERVICES and "api.services.errors" in SERVICES
    code = (
        "import importlib, sys, json; "
        f"[importlib.import_module(m) for m in {SERVICES!r}]; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('fastapi', 'starlette'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []


def _answer(error: ServiceError) -> tuple[int, dict[str, str], dict[str, Any]]:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/v1/thing")
    def refuse() -> None:
        raise error

    response = TestClient(app).get("/v1/thing")
    assert response.headers["content-type"] == PROBLEM_JSON
    return response.status_code, dict(response.headers), response.json()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("no child C9 in the records"), 404),
        (Conflict("home H1 has 0 free bed(s) now"), 409),
        (Invalid("body.reason: is required"), 422),
        (TooLarge("homes.csv is larger than 100 MB"), 413),
        (TooMany("2 plans running already", retry_after_s=30), 429),
        (Unavailable("the identity provider did not answer", retry_after_s=5), 503),
    ],
)
def test_each_domain_error_has_its_status(error: ServiceError, status: int) -> None:
    """One handler maps each kind of service error to its status, with the sentence as
    ``detail`` and the request path as ``instance``."""
    got, headers, body = _answer(error)
    assert got == status == body["status"]
    assert body["detail"] == error.detail and body["instance"] == "/v1/thing"
    assert ("retry-after" in headers) == (error.retry_after_s is not None)


def test_field_errors_and_their_total_are_in_the_body() -> None:
    """The fields at fault are listed, and ``errors_total`` counts them all when given."""
    one = invalid(["query", "after"], "expected a whole number")
    status, _, body = _answer(one)
    assert status == 422 and body["detail"] == "query.after: expected a whole number"
    assert body["errors"] == [{"loc": ["query", "after"], "message": "expected a whole number"}]
    assert "errors_total" not in body
    many = Invalid("the folder was not written", errors=one.errors, errors_total=250)
    _, _, body = _answer(many)
    assert body["errors_total"] == 250 and len(body["errors"]) == 1


def test_retry_after_is_the_header_a_client_waits_for() -> None:
    """A limit reached says when to try again in ``Retry-After``, in whole seconds."""
    _, headers, _ = _answer(TooMany("the coordinator role has 4 plans", retry_after_s=17))
    assert headers["retry-after"] == "17"
