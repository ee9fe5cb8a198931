"""Back up and restore the database: SQLite's online backup API, or pg_dump/pg_restore.

Both take a consistent snapshot while the service keeps writing. A restore goes into an
empty database (or, with ``force``, replaces what is there).
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from app.config import Settings
from app.core.db import make_engine


class BackupError(Exception):
    """A backup or restore that could not be made."""


def backup(database_url: str, target: Path) -> None:
    """Write a consistent snapshot of the database to ``target``."""
    url = make_url(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        return
    address, env = _libpq(url)
    _run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
            address,
        ],
        env,
    )


def restore(database_url: str, source: Path, *, force: bool = False) -> None:
    """Load a backup made by ``backup`` into the database."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    url = make_url(database_url)
    if not force and not _is_empty(database_url):
        raise BackupError(
            "the target database is not empty: restore into a fresh one, or pass --force"
        )
    if url.get_backend_name() == "sqlite":
        _restore_sqlite(source, _sqlite_path(url))
        return
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
    command += ["--single-transaction", *(["--clean", "--if-exists"] if force else [])]
    address, env = _libpq(url)
    _run([*command, f"--dbname={address}", str(source)], env)


def _restore_sqlite(source: Path, target: Path) -> None:
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if backup_file.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            raise BackupError(f"{source}: the backup fails SQLite's integrity check")
        destination = sqlite3.connect(target)
        try:
            with destination:
                backup_file.backup(destination)
        finally:
            destination.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source}: not a SQLite backup ({exc})") from exc
    finally:
        backup_file.close()


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The URL as libpq tools read it, and the password apart (never on a command line)."""
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return plain, env


def _is_empty(database_url: str) -> bool:
    engine = make_engine(database_url, Settings(database_url=database_url))
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools are needed)")
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")
