"""Build the database with Alembic once per run; roll every test back.

``CRRF_TEST_DATABASE_URL`` picks the server (PostgreSQL in CI); each run makes a fresh
database on it and drops it afterwards. Without it, a temporary SQLite file is used.
"""

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.db import make_engine
from app.core.deps import get_session
from app.exports.deps import get_export_sessions
from app.main import create_app
from app.notify.config import session_info
from app.ops import migrations
from app.templates.registry import TemplateRegistry, cached_registry
from tests.databases import fresh_database
from tests.factories import World, build_world


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture(scope="session")
def engine(database_url: str, settings: Settings) -> Iterator[Engine]:
    migrations.upgrade(database_url)
    engine = make_engine(database_url, settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def registry(settings: Settings) -> TemplateRegistry:
    return cached_registry(Path(settings.templates_dir).resolve())


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One connection per test, inside a transaction that is rolled back at the end."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


def _savepoint_session(connection: Connection, info: dict[str, Any] | None = None) -> Session:
    return Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        info=info,
    )


@pytest.fixture
def db(connection: Connection) -> Iterator[Session]:
    """A session for factories and assertions, on the test's connection."""
    session = _savepoint_session(connection)
    yield session
    session.close()


@pytest.fixture
def app(settings: Settings, engine: Engine, connection: Connection) -> FastAPI:
    return app_on_connection(settings, engine, connection)


def app_on_connection(settings: Settings, engine: Engine, connection: Connection) -> FastAPI:
    """The application with ``settings``, its sessions on the test's connection (rolled back
    at the end), carrying what the app's own would (whether mail is on)."""
    app = create_app(settings, engine=engine)
    info = session_info(settings)

    def session_on_test_connection() -> Iterator[Session]:
        session = _savepoint_session(connection, info)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def export_sessions_on_test_connection() -> Callable[[], Session]:
        # Exports stream from sessions of their own: here, on the test's connection too.
        return lambda: _savepoint_session(connection)

    app.dependency_overrides[get_session] = session_on_test_connection
    app.dependency_overrides[get_export_sessions] = export_sessions_on_test_connection
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def world(db: Session, registry: TemplateRegistry) -> World:
    """Two situations, organisations and users in every role (see ``tests.factories``)."""
    return build_world(db, registry)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent while the test runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)
