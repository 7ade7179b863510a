"""The HTTP protocol ``fostermatch serve`` runs: uvicorn's h11 protocol, with an answer for
requests too long to parse.

uvicorn (h11) stops reading a request whose request line and headers pass 16 KiB without
ending, answers a bare ``400`` and closes at once. A client still sending (a 1 MB query
string) then gets a TCP reset instead of any answer. :class:`LimitedH11Protocol` answers
such a request the way the application answers a URL over
:data:`api.http.faults.MAX_URL_BYTES`: ``414 URI Too Long`` with a problem body when the request
line itself never ended, ``431 Request Header Fields Too Large`` when the headers did not.
It then closes its sending side and reads (and drops) what the client still sends, for at
most :data:`LINGER_S` seconds or :data:`LINGER_BYTES` bytes, before closing, so that the
client reads the answer instead of a reset.

URLs between the application's limit (8 KiB) and h11's (16 KiB) reach the application,
whose :class:`api.http.faults.UrlLimit` answers them with the same 414.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.h11_impl import H11Protocol

from api.http.faults import MAX_URL_BYTES
from api.http.headers import API_CSP
from api.http.problems import PROBLEM_BASE, PROBLEM_JSON

__all__ = ["LINGER_BYTES", "LINGER_S", "LimitedH11Protocol"]

LINGER_S = 5.0
H11_LIMIT = 16 * 1024  # h11's default for a request line and headers together
LINGER_BYTES = 64 << 20

_TOO_LONG = {
    414: (
        "URI Too Long",
        "URI too long",
        f"the request line is too long to read; the URL limit is {MAX_URL_BYTES:,} bytes. "
        "Send long criteria in a request body instead",
    ),
    431: (
        "Request Header Fields Too Large",
        "Request header fields too large",
        "the request's headers are too long to read (16 KiB with the request line)",
    ),
}


def too_long_response(status: int) -> bytes:
    """The whole HTTP/1.1 answer for a request too long to parse (414 or 431)."""
    reason, title, detail = _TOO_LONG[status]
    body = json.dumps(
        {"type": f"{PROBLEM_BASE}{status}", "title": title, "status": status, "detail": detail}
    ).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"content-type: {PROBLEM_JSON}\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n"
        "x-content-type-options: nosniff\r\n"
        f"content-security-policy: {API_CSP}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering 414/431 to requests too long to parse."""

    _lingering = False
    _dropped = 0

    def data_received(self, data: bytes) -> None:
        if self._lingering:  # the answer is sent: drop the rest of the request
            self._dropped += len(data)
            if self._dropped > LINGER_BYTES:
                self.transport.close()
            return
        super().data_received(data)

    def eof_received(self) -> None:
        if self._lingering:  # the client has sent everything: it has read or will read
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        buffered, _ = self.conn.trailing_data
        if len(buffered) <= (self.config.h11_max_incomplete_event_size or H11_LIMIT):
            super().send_400_response(msg)  # malformed, not too long
            return
        status = 431 if b"\n" in buffered else 414  # did the request line end?
        self.logger.warning("request too long to read: answered %d", status)
        self.transport.write(too_long_response(status))
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)
