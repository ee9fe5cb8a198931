"""Backups that restore: taken while the service writes, restored into a fresh database."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.db import make_engine
from app.main import create_app
from app.models import Base, ChecklistItem, Event, Update
from app.ops import migrations
from app.templates.registry import cached_registry
from tests.databases import fresh_database
from tests.factories import build_world
from tests.live import live_server

pytestmark = pytest.mark.slow

SERVER = os.environ.get("CRRF_TEST_DATABASE_URL")


def crrf(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, "CRRF_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )


def dump(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table."""
    with engine.connect() as connection:
        return {
            table.name: sorted(
                tuple(str(v) for v in row) for row in connection.execute(table.select())
            )
            for table in Base.metadata.sorted_tables
        }


def consistent(engine: Engine) -> None:
    """Nothing half-written: versions match version events, every update has its events."""
    with Session(engine) as db:
        versions = dict(db.execute(select(ChecklistItem.id, ChecklistItem.version)).all())
        counts = dict(
            db.execute(
                select(Event.item_id, func.count())
                .where(Event.item_version.is_not(None))
                .group_by(Event.item_id)
            ).all()
        )
        assert versions == counts
        updates = db.scalar(select(func.count()).select_from(Update))
        submitted_events = db.scalar(
            select(func.count()).select_from(Event).where(Event.action == "update.submitted")
        )
        assert updates == submitted_events


def test_backup_while_writing_then_restore(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    with fresh_database(SERVER, tmp_path_factory) as source_url:
        migrations.upgrade(source_url)
        settings = Settings(database_url=source_url)
        source = make_engine(source_url, settings)
        with Session(source, expire_on_commit=False) as db:
            world = build_world(db, cached_registry(Path(settings.templates_dir).resolve()))
        with live_server(source_url, env={"CRRF_RATE_LIMIT_PER_MINUTE": "0"}) as server:
            stop = threading.Event()
            written: list[int] = []

            def writer() -> None:
                target = f"{server.url}/api/v1/situations/{world.s1.id}/items/5a/updates"
                with httpx.Client(timeout=30, headers=world.headers("partner_a")) as http:
                    while not stop.is_set():
                        written.append(
                            http.post(target, json={"narrative": "During the backup"}).status_code
                        )

            thread = threading.Thread(target=writer)
            thread.start()
            while len(written) < 20:
                threading.Event().wait(0.05)
            during = crrf(source_url, "db", "backup", str(tmp_path / "during.backup"))
            stop.set()
            thread.join()
        assert during.returncode == 0, during.stderr
        assert set(written) == {201}
        after = crrf(source_url, "db", "backup", str(tmp_path / "after.backup"))
        assert after.returncode == 0, after.stderr

        with fresh_database(SERVER, tmp_path_factory) as target_url:
            restored = crrf(target_url, "db", "restore", str(tmp_path / "during.backup"))
            assert restored.returncode == 0, restored.stderr
            target = make_engine(target_url, Settings(database_url=target_url))
            consistent(target)
            target.dispose()

        with fresh_database(SERVER, tmp_path_factory) as target_url:
            restored = crrf(target_url, "db", "restore", str(tmp_path / "after.backup"))
            assert restored.returncode == 0, restored.stderr
            again = crrf(target_url, "db", "restore", str(tmp_path / "after.backup"))
            assert again.returncode != 0
            assert "not empty" in again.stderr
            target = make_engine(target_url, Settings(database_url=target_url))
            assert dump(target) == dump(source)
            with target.connect() as connection:
                assert migrations.current_revision(connection) == migrations.head_revision()
            target.dispose()
            with TestClient(create_app(Settings(database_url=target_url))) as client:
                assert client.get("/readyz").status_code == 200
                item = client.get(
                    f"/api/v1/situations/{world.s1.id}/items/5a",
                    headers=world.headers("coordinator"),
                )
                assert item.status_code == 200
                patched = client.patch(
                    f"/api/v1/situations/{world.s1.id}/items/5a",
                    json={"status": "planned"},
                    headers={**world.headers("coordinator"), "If-Match": item.headers["etag"]},
                )
                assert patched.status_code == 200
        source.dispose()


def test_restore_refuses_a_missing_or_broken_file(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    with fresh_database(SERVER, tmp_path_factory) as url:
        missing = crrf(url, "db", "restore", str(tmp_path / "nothing.backup"))
        assert missing.returncode != 0
        assert "no such backup file" in missing.stderr
        broken = tmp_path / "broken.backup"
        broken.write_bytes(b"not a backup at all")
        assert crrf(url, "db", "restore", str(broken)).returncode != 0
