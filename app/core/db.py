"""Engines and sessions, on SQLite (embedded default) and PostgreSQL.

Python's ``sqlite3`` opens transactions lazily and on its own terms; the hooks below
take that over, as SQLAlchemy's pysqlite documentation recommends, so that BEGIN,
SAVEPOINT and ROLLBACK mean what they say. Writes on SQLite begin ``IMMEDIATE``: two
writers then queue on the busy timeout instead of failing when one upgrades a read.
"""

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings

SQLITE_BEGIN_OPTION = "crrf_sqlite_begin"


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL names SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, settings: Settings) -> Engine:
    """Create an engine configured for the dialect behind ``url``."""
    if is_sqlite(url):
        return _sqlite_engine(url, settings)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=10,
        connect_args={"connect_timeout": 5},
    )


def _sqlite_engine(url: str, settings: Settings) -> Engine:
    database = make_url(url).database
    pool: dict[str, Any] = {}
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Connections beyond the pool are closed after use: reopening one costs its pragmas.
        pool = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
    engine = create_engine(
        url,
        **pool,
        connect_args={
            "check_same_thread": False,
            "timeout": settings.sqlite_busy_timeout_ms / 1000,
        },
    )
    busy_timeout = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_sessionmakers(engine: Engine) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    """Return the reader and the writer session factories for ``engine``."""
    reader = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    writer_bind = engine
    if engine.dialect.name == "sqlite":
        writer_bind = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    writer = sessionmaker(bind=writer_bind, expire_on_commit=False, autoflush=True)
    return reader, writer


class WriterQueue:
    """Let a process's SQLite writers take turns, in order, instead of polling the lock.

    SQLite allows one writer at a time; left to its busy timeout, waiting writers sleep and
    retry, and under a burst the unlucky ones wait far longer than their turn. Queuing them
    here first keeps the wait fair. The queue is the event loop's: a writer waits for its
    turn without holding a thread. Other processes still meet at SQLite's own lock.
    """

    def __init__(self, timeout_seconds: float) -> None:
        self._lock = asyncio.Lock()
        self._timeout = timeout_seconds

    async def enter(self) -> None:
        """Wait for this process's turn to write, or fail like a locked database."""
        try:
            await asyncio.wait_for(self._lock.acquire(), self._timeout)
        except TimeoutError:
            raise OperationalError(
                "waiting for a turn to write", None, sqlite3.OperationalError("database is locked")
            ) from None

    def leave(self) -> None:
        """Hand the turn on."""
        self._lock.release()


def writer_queue(engine: Engine, settings: Settings) -> WriterQueue | None:
    """A writer queue for SQLite engines (PostgreSQL has row locks and needs none)."""
    if engine.dialect.name != "sqlite":
        return None
    return WriterQueue(settings.sqlite_busy_timeout_ms / 1000)
