"""The API's documentation pages, Swagger UI at ``/docs`` and ReDoc at ``/redoc``, served with
their scripts and styles from the package (``api/http/docs/``): they work offline.

FastAPI's own pages load both from a CDN; an agency's network often has no way out, and a
page that silently stays blank is worse than none.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import FileResponse, HTMLResponse

from api.http.problems import Problem

__all__ = ["ASSETS", "ASSETS_DIR", "add_docs"]

ASSETS_DIR = Path(__file__).parent / "docs"
# the files the pages load, with their media types: nothing else is served from the folder
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
    "redoc.standalone.js": "text/javascript",
}
ASSET_URL = "/docs/assets"


def add_docs(app: FastAPI) -> None:
    """Add ``/docs``, ``/docs/oauth2-redirect``, ``/redoc`` and their assets to ``app``
    (built with ``docs_url=None, redoc_url=None``)."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSET_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSET_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSET_URL}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{ASSET_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSET_URL}/favicon-32x32.png",
            with_google_fonts=False,
        )

    @app.get(f"{ASSET_URL}/{{name}}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise Problem(404, f"no documentation asset named {name!r}")
        return FileResponse(
            ASSETS_DIR / name,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400"},
        )
