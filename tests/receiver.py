"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 and a free port."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    """What the receiver answers to one request (after ``delay`` seconds)."""

    status: int = 204
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    peer: tuple[str, int] = ("", 0)  # the sender's address and port: one per connection


class _Server(ThreadingHTTPServer):
    # Several workers, 16 connections each, connect at once: a short listen queue (5) would
    # reset some of them.
    request_queue_size = 128


class Receiver:
    """Records every request; answers from ``answers`` in order, then with ``otherwise``."""

    def __init__(self, *, keep_alive: bool = False) -> None:
        self.requests: list[Received] = []
        self.answers: list[Answer] = []
        self.otherwise = Answer()
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), _handler(self, keep_alive))
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a slow answer still sleeping is not waited for

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self.answers.extend(answers)

    def next_answer(self, received: Received) -> Answer:
        with self._lock:
            self.requests.append(received)
            return self.answers.pop(0) if self.answers else self.otherwise


def _handler(receiver: Receiver, keep_alive: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 keeps a connection open for the next request; 1.0 closes it each time.
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            answer = receiver.next_answer(
                Received(self.path, headers, body, self.client_address[:2])
            )
            if answer.delay:
                time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except OSError:  # the sender gave up waiting (a time-out test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(*, keep_alive: bool = False) -> Iterator[Receiver]:
    """Serve a receiver in a thread; stop it afterwards."""
    receiver = Receiver(keep_alive=keep_alive)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join(timeout=5)
