"""The HTTP contract a generated client relies on: media types checked, every answer declared.

:class:`ContractRoute` (the route class of every ``/v1`` router) answers, before the handler
runs, ``415`` to a JSON body sent with another ``Content-Type`` and ``406`` to an ``Accept``
that excludes every type the route produces. :func:`install_contract` completes the OpenAPI
document FastAPI builds from the routes: one ``Problem`` schema referenced by every error
response (``application/problem+json``), the errors each operation can return, and the
response headers (``Location``, ``X-Record-Outcome``, ``ETag``, ``Idempotent-Replayed``,
``Link``, ``Retry-After``, ``Allow``).
``fostermatch openapi`` prints the document; docs/openapi.json is its committed copy.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import FastAPI, params
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from api.http.access import leaf_routes
from api.http.problems import PROBLEM_JSON, Problem, problem_title
from api.responses import FieldProblem, GapFeatures
from api.responses import Problem as ProblemBody

__all__ = [
    "ContractRoute",
    "accepts",
    "install_contract",
    "operation_id",
]

_MORE_SCHEMAS = (GapFeatures,)
_RENAMES = {"Body_post_imports": "ImportUpload"}  # FastAPI's name for the upload form
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# FastAPI's own 422 shape: never sent by this API (its 422 is a Problem)
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")

_HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    },
    "WWW-Authenticate": {
        "description": "the scheme to authenticate with: `Bearer`",
        "schema": {"type": "string"},
    },
    "Allow": {
        "description": "the methods this path takes, comma-separated",
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "where to follow the job: `/v1/plans/{plan_id}`",
        "schema": {"type": "string"},
    },
    "X-Record-Outcome": {
        "description": "what the PUT did: `inserted` (201), `updated` or `unchanged` (200)",
        "schema": {"type": "string", "enum": ["inserted", "updated", "unchanged"]},
    },
    "Link": {
        "description": 'the next page, `<URL>; rel="next"`; absent on the last page of a list '
        "(the changes feed always sends it: the request to poll with next)",
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": 'the record\'s version as an entity tag, `"v7"`: send it as `If-Match` '
        "to replace or delete that version, as `If-None-Match` to read only a newer one",
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same `Idempotency-Key` (nothing was done again); absent otherwise",
        "schema": {"type": "string", "enum": ["true"]},
    },
}
_ERROR_HEADERS = {
    401: "WWW-Authenticate",
    405: "Allow",
    412: "ETag",  # the record's current version (none when there is no record)
    428: "ETag",
    429: "Retry-After",
    503: "Retry-After",
}
_WHY = {
    400: "the body could not be read (not UTF-8, or a broken upload)",
    401: "no valid API key (bearer token)",
    403: "the key's role may not do this",
    405: "the path does not take this method; `Allow` lists those it takes",
    406: "`Accept` excludes every type this operation answers with",
    413: "the body is larger than the limit",
    415: "the body is not sent as `application/json`",
    422: "a parameter or a field of the body is wrong; `errors` names each",
    503: "the database is unreachable; try again after `Retry-After` seconds",
}


def operation_id(route: APIRoute) -> str:
    """A route's OpenAPI operation id: its name (``put_child``, ``post_matches``, ...)."""
    return route.name


def _media_types(header: str) -> Iterator[tuple[str, float]]:
    for part in header.split(","):
        kind, *options = (p.strip() for p in part.split(";"))
        if not kind:
            continue
        q = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        yield kind.lower(), q


def accepts(header: str | None, produced: frozenset[str]) -> bool:
    """Does an ``Accept`` header allow one of the ``produced`` media types (or is it absent)?"""
    if not header or not header.strip():
        return True
    for kind, q in _media_types(header):
        if q <= 0:
            continue
        if kind == "*/*" or kind in produced:
            return True
        if kind.endswith("/*") and any(p.startswith(kind[:-1]) for p in produced):
            return True
    return False


def _is_json(content_type: str) -> bool:
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class ContractRoute(APIRoute):
    """An API route that refuses a body it cannot read (415) and an answer nobody accepts (406)."""

    @property
    def produces(self) -> frozenset[str]:
        """The media types of this route's successful answers (none for a 204)."""
        if self.status_code == 204:
            return frozenset()
        kinds = set()
        response_class = self.response_class
        if isinstance(response_class, DefaultPlaceholder):  # JSONResponse unless set
            response_class = response_class.value
        media_type = getattr(response_class, "media_type", None)
        if isinstance(media_type, str) and media_type:
            kinds.add(media_type)
        for status, response in self.responses.items():
            if str(status).startswith("2"):
                kinds.update(response.get("content", {}))
        return frozenset(kinds)

    @property
    def takes_json(self) -> bool:
        """Does this route read a JSON body (not a form)?"""
        return self.body_field is not None and not isinstance(
            self.body_field.field_info, params.Form
        )

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        produced = self.produces
        takes_json = self.takes_json

        async def checked(request: Request) -> Response:
            if produced and not accepts(request.headers.get("accept"), produced):
                raise Problem(
                    406,
                    f"this operation answers with {', '.join(sorted(produced))}; the request's "
                    f"Accept header allows none of them",
                )
            if takes_json:
                content_type = request.headers.get("content-type", "")
                if await request.body() and not _is_json(content_type):
                    sent = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
                    raise Problem(
                        415,
                        f"the body must be JSON sent with Content-Type: application/json; "
                        f"this request sent {sent}",
                        headers={"Accept": "application/json"},
                    )
            return await handler(request)

        return checked


def _error(status: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": _WHY.get(status, problem_title(status)),
        "content": {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}},
    }
    if status in _ERROR_HEADERS:
        name = _ERROR_HEADERS[status]
        out["headers"] = {name: _HEADERS[name]}
    return out


def _rename_refs(node: Any, old: str, new: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and value == old:
                node[key] = new
            else:
                _rename_refs(value, old, new)
    elif isinstance(node, list):
        for value in node:
            _rename_refs(value, old, new)


def _routes(app: FastAPI) -> dict[tuple[str, str], ContractRoute]:
    return {
        (route.path, method.lower()): route
        for route in leaf_routes(app.routes)
        if isinstance(route, ContractRoute)
        for method in route.methods or ()
    }


def _refine(document: dict[str, Any], app: FastAPI) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    for old, new in _RENAMES.items():
        if old in schemas:
            schemas[new] = schemas.pop(old)
            schemas[new]["title"] = new
            _rename_refs(document, f"#/components/schemas/{old}", f"#/components/schemas/{new}")
    problem = ProblemBody.model_json_schema(ref_template="#/components/schemas/{model}")
    problem.pop("$defs", None)
    schemas["Problem"] = problem
    schemas["FieldProblem"] = FieldProblem.model_json_schema()
    for model in _MORE_SCHEMAS:  # answers FastAPI cannot see (returned as a Response)
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            schemas.setdefault(name, sub)
        schemas[model.__name__] = schema
    routes = _routes(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            route = routes.get((path, method))
            responses: dict[str, Any] = operation.setdefault("responses", {})
            statuses = {int(s) for s in responses if str(s)[0] in "45"}  # 304 has no body
            statuses |= {405, 503}
            if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])):
                statuses.add(409)  # the first request with the key is still being answered
            if operation.get("security"):
                statuses |= {401, 403}
            if operation.get("parameters") or "requestBody" in operation:
                statuses.add(422)
            if "requestBody" in operation:
                statuses |= {400, 413}
                if route is not None and route.takes_json:
                    statuses.add(415)
            if route is not None and route.produces:
                statuses.add(406)
            for status in sorted(statuses):
                responses[str(status)] = _error(status)
            _success_headers(path, method, operation)


def _success_headers(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    parameters = {p["name"].lower() for p in operation.get("parameters", [])}
    names: dict[str, list[str]] = {}
    if method == "put" and "201" in responses:  # a record's upsert
        names = {"200": ["X-Record-Outcome", "ETag"], "201": ["X-Record-Outcome", "ETag"]}
    elif method == "get" and "304" in responses:  # a record's read
        names = {"200": ["ETag"], "304": ["ETag"]}
    elif method == "post" and path == "/v1/plans":
        names = {"202": ["Location"]}
    elif method == "get" and "after" in parameters:
        names = {"200": ["Link"]}
    if "idempotency-key" in parameters:
        for status in (s for s in responses if s.startswith("2")):
            names.setdefault(status, []).append("Idempotent-Replayed")
    for status, headers in names.items():
        declared = responses[status].setdefault("headers", {})
        declared.update({name: _HEADERS[name] for name in headers})


def install_contract(app: FastAPI) -> None:
    """Complete ``app``'s OpenAPI document (built once, on the first request for it)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            _refine(document, app)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
