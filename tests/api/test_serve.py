"""`fostermatch serve` answers on HTTP (a real uvicorn process on loopback)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from tests.helpers.server import serving


def test_serve_answers_health(tmp_path: Path) -> None:
    """The server migrates its database and answers /v1/health and the home page."""
    with (
        serving(tmp_path / "serve.db") as port,
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r,
    ):
        assert "fostermatch" in r.read().decode()
