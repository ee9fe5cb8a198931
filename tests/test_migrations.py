"""Alembic makes the schema: up, down, up again, and no drift from the models."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app.config import Settings
from app.core.db import make_engine
from app.models import Base
from app.ops import migrations
from tests.databases import fresh_database


def test_upgrade_downgrade_upgrade_and_no_drift(tmp_path_factory: pytest.TempPathFactory) -> None:
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        engine = make_engine(url, Settings(database_url=url))
        try:
            migrations.upgrade(url)
            tables = set(inspect(engine).get_table_names())
            assert set(Base.metadata.tables) <= tables
            migrations.downgrade(url, "base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            migrations.upgrade(url)
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection, opts={"compare_type": True, "compare_server_default": True}
                )
                assert compare_metadata(context, Base.metadata) == []
                assert migrations.current_revision(connection) == migrations.head_revision()
        finally:
            engine.dispose()
