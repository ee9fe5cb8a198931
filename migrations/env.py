"""Alembic environment: one migration tree for SQLite and PostgreSQL.

SQLite cannot ALTER most things in place, so migrations run in batch mode there
(``render_as_batch``): Alembic copies the table, which the constraint naming convention
on the metadata makes possible.
"""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from app.config import Settings, get_settings
from app.core.db import make_engine
from app.models import Base

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else get_settings().database_url


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_database_url(), Settings())
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                _run_sqlite(connection)
            else:
                _run(connection)
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def _run_sqlite(connection: Connection) -> None:
    """Migrate with foreign keys unenforced, then check them, as SQLite's ALTER TABLE asks.

    Batch mode drops the old table after copying it: with foreign keys enforced, dropping a
    table deletes every row that refers to it with ON DELETE CASCADE (items' owners,
    updates, events) or fails on ON DELETE RESTRICT. The pragma takes effect only outside a
    transaction, so it is set on the driver's connection before the migration's begins.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"The migration broke foreign keys: {broken[:10]}")
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
