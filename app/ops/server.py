"""The HTTP protocol ``crrf serve`` runs: uvicorn's, with a deadline to read each request.

uvicorn closes idle keep-alive connections, but not one that trickles its headers or body
a byte at a time, nor a new connection that sends nothing: a few of those hold the server
open indefinitely. Here each request, from its connection or its first byte until its
last body byte, must arrive within ``CRRF_REQUEST_READ_TIMEOUT_SECONDS``; if not, the
server answers 408 problem+json (unless the application has already answered) and closes
the connection. A reverse proxy in front should still buffer requests (README).
"""

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import get_settings
from app.core.problem_types import problem_type
from app.core.problems import PROBLEM_MEDIA_TYPE

_BODY = json.dumps(
    {
        "type": problem_type("request-timeout"),
        "title": "Request Timeout",
        "status": 408,
        "detail": "The request did not arrive in time; the connection is closed.",
    }
).encode()
REQUEST_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    + f"content-type: {PROBLEM_MEDIA_TYPE}\r\n".encode()
    + f"content-length: {len(_BODY)}\r\n".encode()
    + b"connection: close\r\n\r\n"
    + _BODY
)


class DeadlineHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose request arrives too slowly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read_timeout = get_settings().request_read_timeout_seconds
        self.read_deadline: asyncio.TimerHandle | None = None
        self.reading_headers = True

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.reading_headers = True
        self._arm()

    def on_headers_complete(self) -> None:
        self.reading_headers = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _arm(self) -> None:
        self._disarm()
        if self.read_timeout > 0:
            self.read_deadline = self.loop.call_later(self.read_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self.read_deadline is not None:
            self.read_deadline.cancel()
            self.read_deadline = None

    def _timed_out(self) -> None:
        self.read_deadline = None
        if self.transport.is_closing():
            return
        if self.reading_headers:
            self.transport.write(REQUEST_TIMEOUT_RESPONSE)
        elif not self.cycle.response_started:
            self.transport.write(REQUEST_TIMEOUT_RESPONSE)
            # The application, still waiting for the body, hears a disconnect.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()
