"""Real processes for the tests that need them, on loopback: the app under uvicorn
(``live_server``), ``crrf serve`` with its in-process worker (``crrf_serve``), and
``crrf worker`` (``crrf_worker``)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.config import PROJECT_ROOT

CRRF = str(Path(sys.executable).parent / "crrf")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], seconds: float = 20, every: float = 0.05) -> bool:
    """Poll ``condition`` (real processes work in real time) for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def _running(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``command`` in the project with ``env`` added; SIGTERM it afterwards (then
    SIGKILL if it does not stop within 15 s)."""
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env})
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start within 30 s")
        time.sleep(0.1)


@contextmanager
def live_server(
    database_url: str, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """Serve the app on a free port against ``database_url``; stop it afterwards."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with _running(command, {"CRRF_DATABASE_URL": database_url, **(env or {})}) as process:
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(url, process)
        yield LiveServer(url, process)


@contextmanager
def crrf_serve(database_url: str, env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """``crrf serve`` on a free port (with the worker it runs in-process, unless ``env`` says
    ``CRRF_WORKER_IN_PROCESS=false``); stopped with SIGTERM afterwards."""
    port = free_port()
    command = [CRRF, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with _running(command, {"CRRF_DATABASE_URL": database_url, **(env or {})}) as process:
        url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(url, process)
        yield LiveServer(url, process)


@contextmanager
def crrf_worker(
    database_url: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A ``crrf worker`` process; stopped with SIGTERM afterwards (if still running)."""
    with _running([CRRF, "worker"], {"CRRF_DATABASE_URL": database_url, **(env or {})}) as process:
        yield process
