"""Who may call what: the role x route matrix, read from the routes themselves.

An API route's permission is the :func:`api.http.auth.require` dependency it declares;
a page's is the permission its handler (or a helper of the same module it calls) passes to
the pages' gate. A route with neither is public, and only the routes named in :data:`PUBLIC` may be.
``fostermatch keys roles`` prints the matrix; docs/security.md holds it, and a test fails
when a route is added that the matrix does not cover.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from api.services.keys import PERMISSIONS, ROLES

__all__ = ["PUBLIC", "RouteAccess", "leaf_routes", "matrix_markdown", "route_access"]

# routes anyone may call, each with why
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/"): "the service's home page: counts only",
    ("GET", "/v1/health"): "liveness for load balancers",
    ("GET", "/v1/health/live"): "liveness: the process answers",
    ("GET", "/v1/health/ready"): "readiness: the database answers and its schema is current",
    ("GET", "/openapi.json"): "the API's description",
    ("GET", "/docs"): "the API's description",
    ("GET", "/docs/oauth2-redirect"): "the API's description",
    ("GET", "/docs/assets/{name}"): "the API description's scripts and styles",
    ("GET", "/redoc"): "the API's description",
    ("GET", "/pages/"): "sends each signed-in role to its first page",
    ("GET", "/pages/static/pages.css"): "the stylesheet",
    ("GET", "/pages/static/map/{name}"): "the map's script and styles (Leaflet, vendored)",
    ("GET", "/pages/lang"): "chooses the pages' language",
    ("GET", "/pages/signin"): "the sign-in form",
    ("POST", "/pages/signin"): "signing in",
    ("POST", "/pages/signout"): "signing out",
    ("GET", "/pages/signin/oidc"): "starts a sign-in at the agency's identity provider",
    ("GET", "/pages/signin/callback"): "ends a sign-in at the agency's identity provider",
}

# the pages' gates: gate(request, "permission"), and gated_form(request, "permission") for a
# posted form
_PAGE_GATES = ("gate", "gated_form")


@dataclass(frozen=True, slots=True)
class RouteAccess:
    """One method of one route and the permission it needs (None: public)."""

    method: str
    path: str
    permission: str | None

    def allows(self, role: str) -> bool:
        return self.permission is None or role in PERMISSIONS[self.permission]


def _required(dependant: Dependant) -> Iterator[str]:
    for sub in dependant.dependencies:
        permission = getattr(sub.call, "permission", None)
        if isinstance(permission, str):
            yield permission
        yield from _required(sub)


def _gated(function: Callable[..., Any], seen: set[str] | None = None) -> Iterator[str]:
    """The permissions a page handler passes to the gate, itself or through module helpers."""
    seen = seen if seen is not None else set()
    if function.__name__ in seen:
        return
    seen.add(function.__name__)
    module = sys.modules[function.__module__]
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        name = node.func.id
        if name in _PAGE_GATES:
            literal = node.args[1] if len(node.args) > 1 else None
            if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
                yield literal.value
            else:
                raise ValueError(f"{function.__qualname__}: the gate needs a literal permission")
        elif (
            inspect.isfunction(helper := getattr(module, name, None))
            and helper.__module__ == function.__module__
        ):
            yield from _gated(helper, seen)


def leaf_routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, also those of the included routers (all included without a prefix)."""
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's included router
        if included is not None:
            yield from leaf_routes(included.routes)
        else:
            yield route


def route_access(app: FastAPI) -> list[RouteAccess]:
    """Every method of every route of ``app`` with its permission, sorted by path.

    Raises
    ------
    ValueError
        A route needs two different permissions, or needs none and is not in :data:`PUBLIC`.
    """
    rows: list[RouteAccess] = []
    for route in leaf_routes(app.routes):
        path = getattr(route, "path", "")
        methods = sorted((getattr(route, "methods", None) or set()) - {"HEAD", "OPTIONS"})
        endpoint = getattr(route, "endpoint", None)
        if isinstance(route, APIRoute):
            found = set(_required(route.dependant))
            if not found and path.startswith("/pages"):
                found = set(_gated(route.endpoint))
        elif endpoint is not None and path.startswith("/pages"):
            found = set(_gated(endpoint))
        else:
            found = set()
        if len(found) > 1:
            raise ValueError(f"{path} needs several permissions: {sorted(found)}")
        permission = found.pop() if found else None
        for method in methods:
            if permission is None and (method, path) not in PUBLIC:
                raise ValueError(
                    f"{method} {path} checks no permission and is not listed as public"
                )
            rows.append(RouteAccess(method, path, permission))
    return sorted(rows, key=lambda row: (row.path, row.method))


def matrix_markdown(rows: list[RouteAccess]) -> str:
    """The matrix as a Markdown table: one row per route and method, one column per role."""
    header = ["route", "permission", *ROLES]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] * len(header)) + "|",
    ]
    for row in rows:
        cells = [f"`{row.method} {row.path}`", row.permission or "public"]
        cells += ["yes" if row.allows(role) else "no" for role in ROLES]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
