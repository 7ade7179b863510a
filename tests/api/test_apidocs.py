"""The API documentation comes from the service itself: no script, style or font from
another site (an agency's network often has no way out)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.http.apidocs import ASSETS, ASSETS_DIR

EXTERNAL = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""", re.IGNORECASE)


def test_swagger_ui_and_redoc_load_nothing_from_elsewhere(client: TestClient) -> None:
    for path, script in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        page = client.get(path)
        assert page.status_code == 200
        assert f"/docs/assets/{script}" in page.text
        assert not EXTERNAL.search(page.text), path  # once cdn.jsdelivr.net and Google fonts
        assert "fonts.googleapis" not in page.text


def test_every_asset_is_served_and_nothing_else(client: TestClient) -> None:
    for name, media_type in ASSETS.items():
        answer = client.get(f"/docs/assets/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["content-type"].startswith(media_type)
        assert answer.content == (ASSETS_DIR / name).read_bytes()
    for name in ("../apidocs.py", "README.md", "swagger-ui.LICENSE", "nope.js"):
        assert client.get(f"/docs/assets/{name}").status_code == 404
