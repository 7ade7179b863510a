"""`fostermatch serve` answers on HTTP (a real uvicorn process on loopback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(database: Path) -> Iterator[int]:
    """`fostermatch serve` on a free port over the SQLite file ``database``, answering
    /v1/health; its port. The server's error output is shown when it fails to start."""
    port = _free_port()
    env = {**os.environ, "FOSTERMATCH_DATABASE_URL": f"sqlite:///{database}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        body = None
        for _ in range(100):  # up to ~20 s for start-up on a loaded machine
            if process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert process.stderr is not None
        assert body is not None, (
            process.stderr.read().decode() if process.poll() is not None else "no answer"
        )
        assert '"status":"ok"' in body
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


def test_serve_answers_health(tmp_path: Path) -> None:
    """The server migrates its database and answers /v1/health and the home page."""
    with (
        serving(tmp_path / "serve.db") as port,
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r,
    ):
        assert "fostermatch" in r.read().decode()
