"""Run the tasks: once (``run_once``), until told to stop (``run_forever``), or in a thread."""

import logging
import threading
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.core.base import utcnow
from app.core.db import make_engine, make_sessionmakers
from app.i18n import catalogs
from app.notify.config import session_info
from app.notify.outbox import SessionFactory
from app.worker import tasks

log = logging.getLogger("crrf.worker")


def worker_sessions(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """An engine of the worker's own and its writing sessions (which carry the mail settings)."""
    engine = make_engine(settings.database_url, settings)
    _, writer = make_sessionmakers(engine, info=session_info(settings))
    return engine, writer


def run_once(session_factory: SessionFactory, now: datetime) -> int:
    """Run every task once, as of ``now``; return how much they did in all.

    A task that fails is logged and the others still run: the next pass tries it again.
    """
    done = 0
    for task in tasks.TASKS:
        name = getattr(task, "__name__", repr(task))
        try:
            done += task(session_factory, now)
        except DBAPIError as exc:  # the database is away or not migrated: /readyz says so
            log.warning("worker task %s: the database failed: %s", name, _first_line(exc))
        except Exception:
            log.exception("worker task %s failed", name)
    return done


def _first_line(exc: DBAPIError) -> str:
    lines = str(exc.orig).strip().splitlines()
    return lines[0] if lines else type(exc.orig).__name__


def run_forever(
    session_factory: SessionFactory, stop: threading.Event, *, poll_seconds: float
) -> None:
    """Run the tasks until ``stop`` is set: again at once while they find work, else after
    ``poll_seconds`` (or as soon as ``stop`` is set)."""
    while not stop.is_set():
        if run_once(session_factory, utcnow()) == 0:
            stop.wait(poll_seconds)


class BackgroundWorker:
    """A worker in a daemon thread of this process, with its own engine."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread."""
        catalogs.load()
        engine, sessions = worker_sessions(self.settings)

        def work() -> None:
            try:
                run_forever(sessions, self.stopping, poll_seconds=self.settings.worker_poll_seconds)
            finally:
                engine.dispose()

        self.thread = threading.Thread(target=work, name="crrf-worker", daemon=True)
        self.thread.start()
        log.info("worker started in-process")

    def stop(self, timeout: float = 30) -> None:
        """Let the current pass finish, then end the thread (waiting at most ``timeout``)."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
