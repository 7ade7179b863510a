"""Servers on loopback for tests: `fostermatch serve` as a process, or an app in a thread."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(database: Path) -> Iterator[int]:
    """`fostermatch serve` on a free port over the SQLite file ``database``, answering
    /v1/health; its port. The server's error output is shown when it fails to start."""
    port = free_port()
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


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free loopback port; its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the page server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def at_once(count: int, run: Callable[[int], T]) -> list[T]:
    """``run(i)`` in ``count`` threads released together; their results in order."""
    start = threading.Barrier(count)
    results: list[T | None] = [None] * count

    def go(i: int) -> None:
        start.wait()
        results[i] = run(i)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done = [r for r in results if r is not None]
    assert len(done) == count, f"{count - len(done)} of {count} threads gave no result"
    return done
