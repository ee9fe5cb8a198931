"""Slow clients: ``crrf serve`` closes a connection whose request trickles in.

A real server (``crrf serve``, so its protocol and timeouts) on loopback, and raw sockets
that send a byte a second, as the attack run did.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from app.config import PROJECT_ROOT
from app.ops import migrations
from tests.live import free_port

pytestmark = pytest.mark.slow

READ_TIMEOUT = 2.0
BOUND = READ_TIMEOUT + 2.5


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``crrf serve`` on a free port, against a migrated SQLite file of its own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('slow') / 'crrf.sqlite3'}"
    migrations.upgrade(url)
    port = free_port()
    env = {
        **os.environ,
        "CRRF_DATABASE_URL": url,
        "CRRF_REQUEST_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
        "CRRF_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "crrf serve exited"
            assert time.monotonic() < deadline, "crrf serve did not start"
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _trickle(port: int, prefix: bytes, trickle: bytes) -> tuple[float, bytes]:
    """Send ``prefix``, then ``trickle`` a byte a second; return when it closed, and the answer."""
    started = time.monotonic()
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND + 5) as sock:
        sock.setblocking(True)
        if prefix:
            sock.sendall(prefix)
        for byte in trickle:
            sock.settimeout(1.0)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                chunk = None
            except ConnectionResetError:
                break
            if chunk == b"":
                break
            if chunk:
                received += chunk
            if time.monotonic() - started > BOUND + 5:
                break
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(BOUND + 5)
        try:
            while chunk := sock.recv(4096):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return time.monotonic() - started, received


class TestSlowClients:
    def test_slow_headers_get_408_and_are_closed(self, served: int) -> None:
        elapsed, received = _trickle(
            served, b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 40
        )
        assert elapsed < BOUND
        assert received.startswith(b"HTTP/1.1 408 ")
        assert b"application/problem+json" in received

    def test_a_slow_body_gets_408_and_is_closed(self, served: int) -> None:
        head = (
            b"POST /api/v1/organisations HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
        )
        elapsed, received = _trickle(served, head, b"{" + b" " * 60)
        assert elapsed < BOUND
        # Unread bytes make the close a reset, which may drop the 408 on its way.
        assert received == b"" or received.startswith(b"HTTP/1.1 408 ")

    def test_a_connection_that_sends_nothing_is_closed(self, served: int) -> None:
        elapsed, received = _trickle(served, b"", b"")
        assert elapsed < BOUND
        assert received.startswith(b"HTTP/1.1 408 ")

    def test_a_prompt_request_is_served(self, served: int) -> None:
        assert httpx.get(f"http://127.0.0.1:{served}/healthz").status_code == 200
