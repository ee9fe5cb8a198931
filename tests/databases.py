"""Throw-away databases for a test run: a SQLite file, or a fresh PostgreSQL database."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


@contextmanager
def fresh_database(server_url: str | None, tmp: pytest.TempPathFactory) -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it afterwards."""
    if not server_url or make_url(server_url).get_backend_name() == "sqlite":
        path = tmp.mktemp("db") / f"crrf-{uuid.uuid4().hex[:8]}.sqlite3"
        yield f"sqlite:///{path}"
        return
    with postgres_database(server_url) as url:
        yield url


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """Create a database beside the one ``server_url`` names; drop it afterwards."""
    base = make_url(server_url)
    name = f"crrf_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
