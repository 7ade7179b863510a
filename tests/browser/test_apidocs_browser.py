"""Swagger UI and ReDoc render in a browser that may reach nothing but the service."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.browser import shoot

pytestmark = pytest.mark.browser


def test_the_api_documentation_renders_offline(page: Any, page_server: dict[str, Any]) -> None:
    url = page_server["url"]
    elsewhere: list[str] = []

    def only_the_service(route: Any) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:  # the network beyond the service is gone, as on an agency's closed network
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_service)
    page.goto(f"{url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "fostermatch" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag", timeout=15_000)
    shoot(page, "api-docs-swagger")
    page.goto(f"{url}/redoc")
    page.wait_for_selector("h1", timeout=15_000)
    assert "fostermatch" in page.inner_text("h1")
    shoot(page, "api-docs-redoc")
    # ReDoc's sidebar asks for its maker's logo and removes the image when that fails: the
    # one request beyond the service, and nothing depends on it
    assert set(elsewhere) <= {"https://cdn.redoc.ly/redoc/logo-mini.svg"}
