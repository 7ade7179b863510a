"""``fostermatch bench --only http``: ``POST /v1/matches`` over HTTP on loopback.

A real uvicorn server runs in a thread of this process on a free port, over a seeded
database (:func:`data.generate.generate` + :func:`data.importing.import_folder`), with a
coordinator key. After warm-up requests (the first builds the matching snapshot), each
request asks for the matches of one waiting child, in a fixed seeded order, one at a time;
the figures are the median and 95th percentile of the wall-clock latency seen by the client.
State scale (generation and import, about 100 s) is for the bench only, never for tests.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

__all__ = ["bench_section", "free_port", "measure_matches", "serve_in_thread"]

Progress = Callable[[str], None]


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(app: Any, *, timeout_s: float = 30.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields the base URL.

    The access log is off (paths carry child ids). The server stops when the block ends.
    """
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the test server on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout_s)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[position]


def measure_matches(
    engine: Engine,
    *,
    requests: int = 300,
    warmup: int = 5,
    seed: int = 0,
    limit: int = 10,
) -> dict[str, Any]:
    """Latency of ``POST /v1/matches`` on loopback over the records of ``engine``.

    Returns ``{"requests", "p50_ms", "p95_ms", "mean_ms", "homes", "waiting", "snapshot_build_s"}``.
    """
    from sqlmodel import Session

    from api.http.app import create_app
    from api.services.keys import create_key
    from data.db import session_scope
    from data.queries import waiting_children

    with session_scope(engine) as session:
        _, key = create_key(session, "coordinator", "bench http")
    with Session(engine) as session:
        waiting = waiting_children(session)
    if not waiting:
        raise ValueError("the database has no waiting child to match")
    rng = random.Random(seed)
    order = [rng.choice(waiting) for _ in range(requests + warmup)]
    app = create_app(engine, run_plan_jobs=False)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    timings: list[float] = []
    with serve_in_thread(app) as base:
        host, port = base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        build_started = time.perf_counter()
        for i, child_id in enumerate(order):
            body = json.dumps({"child_id": child_id, "limit": limit})
            started = time.perf_counter()
            connection.request("POST", "/v1/matches", body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200:
                raise RuntimeError(f"/v1/matches answered {response.status}: {payload[:200]!r}")
            if i == 0:
                build_s = time.perf_counter() - build_started
            if i >= warmup:
                timings.append(elapsed * 1000)
        connection.close()
        homes = len(app.state.snapshots.get_cached_homes())
    return {
        "requests": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 0.95), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "homes": homes,
        "waiting": len(waiting),
        "first_request_s": round(build_s, 2),
    }


def seeded_engine(folder_root: Path, scale: str, seed: int, progress: Progress) -> Engine:
    from data.db import make_engine, upgrade
    from data.generate import generate
    from data.importing import import_folder

    progress(f"generating the {scale} records (seed {seed})")
    generate(folder_root / "folder", seed=seed, scale=scale)
    engine = make_engine(f"sqlite:///{folder_root / 'bench.db'}")
    upgrade(engine)
    progress(f"importing the {scale} records")
    import_folder(engine, folder_root / "folder")
    return engine


def bench_section(
    seed: int = 0,
    *,
    scales: tuple[str, ...] = ("county", "state"),
    requests: int = 300,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The ``api_matches`` section of the bench JSON: one entry per scale."""
    say = progress or (lambda _message: None)
    out: dict[str, Any] = {}
    for scale in scales:
        with tempfile.TemporaryDirectory(prefix=f"fostermatch-bench-{scale}-") as tmp:
            engine = seeded_engine(Path(tmp), scale, seed, say)
            try:
                say(f"measuring POST /v1/matches at {scale} scale")
                out[scale] = measure_matches(engine, requests=requests, seed=seed)
            finally:
                engine.dispose()
    return out
