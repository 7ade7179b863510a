"""Requests too long to parse, against a real `fostermatch serve` (uvicorn, h11) on loopback:
an answer, not a reset."""

from __future__ import annotations

import contextlib
import json
import socket
import time
import urllib.request
from collections.abc import Iterator

import pytest

from api.http.faults import MAX_URL_BYTES
from tests.helpers.server import serving


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`fostermatch serve` on a free port over a new SQLite file; the port."""
    with serving(tmp_path_factory.mktemp("serve") / "serve.db") as port:
        yield port


def _exchange(port: int, request: bytes, *more: bytes) -> bytes:
    """Send ``request`` whole (as a careless client does), then, a moment later, ``more``
    (which the server may refuse to read); then read the answer to its end."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(request)
        for part in more:
            time.sleep(0.3)
            try:
                connection.sendall(part)
            except OSError:
                break
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def _problem(answer: bytes) -> tuple[str, dict[str, str], dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("ascii").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines)
    return status, headers, json.loads(body)


def test_a_one_megabyte_query_string_answers_414(served: int) -> None:
    """A 1 MB query string gets a 414 problem body (before: the connection was reset)."""
    answer = _exchange(
        served, b"GET /v1/children?q=" + b"C" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    status, headers, problem = _problem(answer)
    assert status == "HTTP/1.1 414 URI Too Long"
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert problem["status"] == 414 and f"{MAX_URL_BYTES:,} bytes" in str(problem["detail"])


def test_a_url_between_the_limits_is_answered_by_the_application(served: int) -> None:
    """A 12 KB URL is parsed by the server and refused by the application with its 414."""
    answer = _exchange(
        served,
        b"GET /v1/children?q="
        + b"C" * 12_000
        + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    status, _, problem = _problem(answer)
    assert status.startswith("HTTP/1.1 414") and problem["instance"] == "/v1/children"


def test_headers_too_long_to_read_answer_431(served: int) -> None:
    """A short request line with 40 KB of headers still coming gets 431, not a bare 400."""
    padding = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"y" * 1000) for i in range(40))
    answer = _exchange(served, b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + padding, b"\r\n")
    status, _, problem = _problem(answer)
    assert status == "HTTP/1.1 431 Request Header Fields Too Large" and problem["status"] == 431


def test_a_malformed_request_is_still_a_plain_400(served: int) -> None:
    """What is broken rather than long keeps uvicorn's own answer; the server serves on."""
    answer = _exchange(served, b"NOT HTTP AT ALL\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    with urllib.request.urlopen(f"http://127.0.0.1:{served}/v1/health", timeout=5) as reply:
        assert reply.status == 200


def test_the_server_survives_a_request_far_over_every_limit(served: int) -> None:
    """100 MB of request line: the server stops reading after its budget and still serves."""
    # closed after the budget: the point is that the server lives on
    with (
        socket.create_connection(("127.0.0.1", served), timeout=20) as connection,
        contextlib.suppress(OSError),
    ):
        connection.sendall(b"GET /?q=" + b"C" * 100_000_000)
    with urllib.request.urlopen(f"http://127.0.0.1:{served}/v1/health", timeout=5) as reply:
        assert reply.status == 200
