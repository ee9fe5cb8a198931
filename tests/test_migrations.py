"""Alembic makes the schema: up, down, up again, and no drift from the models."""

import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select, table, text

from app import demo
from app.config import Settings
from app.core.db import make_engine, make_sessionmakers
from app.models import Base
from app.ops import migrations
from app.ops.migrations import alembic_config
from app.templates.registry import cached_registry
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


def test_every_step_down_and_up_keeps_the_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Migrations that copy a table (SQLite's batch mode) lose no row that refers to it."""
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        settings = Settings(database_url=url)
        engine = make_engine(url, settings)
        try:
            migrations.upgrade(url)
            _, writer = make_sessionmakers(engine)
            with writer() as session:
                demo.load(session, cached_registry(Path(settings.templates_dir).resolve()))
                session.commit()
            loaded = _counts(engine)
            assert loaded["item_owner"] and loaded["partner_update"] and loaded["event"]
            steps = [
                s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()
            ]
            # Down to the first revision whose tables still hold the demo's rows, and up again.
            for revision in steps[1 : steps.index(LAST_DOWN) + 1]:
                migrations.downgrade(url, revision)
                _assert_kept(engine, loaded)
            migrations.upgrade(url)
            # The tables of the demo's sign-in (0010), pledges (0016) and adopted frameworks
            # (0017) go with their step down, and come back empty.
            assert _counts(engine) == loaded | dict.fromkeys(BACK_EMPTY, 0)
            with engine.connect() as connection:
                wrong = connection.execute(
                    text(
                        "SELECT count(*) FROM checklist_item i WHERE i.has_lead <> EXISTS "
                        "(SELECT 1 FROM item_owner o WHERE o.item_id = i.id AND o.role = 'lead')"
                    )
                ).scalar_one()
                assert wrong == 0
                leads = connection.execute(
                    text("SELECT count(*) FROM checklist_item WHERE has_lead")
                ).scalar_one()
                assert leads > 0
        finally:
            engine.dispose()


# Revisions below this one drop the tables of partner updates.
LAST_DOWN = "0002"
BACK_EMPTY = (
    "invitation",
    "sign_in_failure",
    "web_session",
    "pledge",
    "pledge_link",
    "pledge_objective",
    "pledge_party",
    "situation_framework",
)


def _counts(engine: Engine) -> dict[str, int]:
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in sorted(names)
        }


def _assert_kept(engine: Engine, loaded: dict[str, int]) -> None:
    # A table that a step down brings back (``generation``, below 0008) holds no data of ours.
    now = {name: count for name, count in _counts(engine).items() if name in loaded}
    assert {name: loaded[name] for name in now} == now
