"""Engines and sessions, on SQLite (embedded default) and PostgreSQL.

Python's ``sqlite3`` opens transactions lazily and on its own terms; the hooks below
take that over, as SQLAlchemy's pysqlite documentation recommends, so that BEGIN,
SAVEPOINT and ROLLBACK mean what they say. Writes on SQLite begin ``IMMEDIATE``: two
writers then queue on the busy timeout instead of failing when one upgrades a read.
"""

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
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
        pool_timeout=settings.db_wait_seconds,
        connect_args={"connect_timeout": 5},
    )


def _sqlite_engine(url: str, settings: Settings) -> Engine:
    database = make_url(url).database
    pool: dict[str, Any] = {}
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Connections beyond the pool are closed after use: reopening one costs its pragmas.
        pool = {
            "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_wait_seconds,
        }
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


def make_sessionmakers(
    engine: Engine, info: dict[str, Any] | None = None
) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    """Return the reader and the writer session factories for ``engine``.

    ``info`` is copied into every session's ``Session.info`` (e.g. whether mail is on:
    ``app.notify.config.session_info``).
    """
    reader = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True, info=info)
    writer_bind = engine
    if engine.dialect.name == "sqlite":
        writer_bind = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    writer = sessionmaker(bind=writer_bind, expire_on_commit=False, autoflush=True, info=info)
    return reader, writer
