"""Whether this instance can write to its database, for ``/readyz``.

A database that answers reads but refuses writes (a read-only or full filesystem, a
read-only SQLite connection, a PostgreSQL standby or a read-only session) would fail
every write with 503 while looking healthy: readiness says so instead. The checks are
cheap: a ``statvfs`` and two ``access`` calls, and one write transaction that is rolled
back (SQLite), or one query (PostgreSQL).
"""

import os
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from app.core.db import SQLITE_BEGIN_OPTION

MIN_FREE_BYTES = 1_048_576
"""Less free space than this next to the SQLite file counts as a full filesystem."""

# Changes nothing, but SQLite must be able to write for it; it is rolled back anyway.
_SQLITE_WRITE_PROBE = text("UPDATE alembic_version SET version_num = version_num")
_POSTGRES_READ_ONLY = text(
    "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'"
)


def cannot_write(connection: Connection) -> str | None:
    """Why this instance cannot write to its database, or ``None`` when it can."""
    if connection.dialect.name == "sqlite":
        return _sqlite_file_problem(connection.engine.url.database) or _sqlite_write_problem(
            connection
        )
    if (
        connection.dialect.name == "postgresql"
        and connection.execute(_POSTGRES_READ_ONLY).scalar_one()
    ):
        return "The database is read-only (a standby, or a read-only session)."
    return None


def _sqlite_file_problem(database: str | None) -> str | None:
    path = _sqlite_path(database)
    if path is None:
        return None
    directory = path.parent
    stats = os.statvfs(directory)
    if stats.f_flag & os.ST_RDONLY:
        return "The database file is on a read-only filesystem."
    if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
        return "The filesystem of the database file is full."
    # SQLite writes its journal (-wal, -shm) next to the file: both must be writable.
    if not os.access(path, os.W_OK) or not os.access(directory, os.W_OK):
        return "The database file or its directory is not writable."
    return None


def _sqlite_path(database: str | None) -> Path | None:
    if not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
        if not database or database == ":memory:":
            return None
    return Path(database)


def _sqlite_write_problem(connection: Connection) -> str | None:
    # Never wait behind a writer: a lock held by one shows that writing works.
    busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    connection.exec_driver_sql("PRAGMA busy_timeout=0")
    connection.rollback()
    try:
        with connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"}).begin():
            connection.execute(_SQLITE_WRITE_PROBE)
            connection.rollback()
    except OperationalError as exc:
        if "locked" in str(exc.orig) or "busy" in str(exc.orig):
            return None
        return "The database refuses writes (read-only)."
    finally:
        connection.rollback()
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_timeout)}")
    return None
