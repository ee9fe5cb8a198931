"""A new version of a template never changes a running situation; an upgrade is explicit."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.checklist import service as checklist
from app.checklist.schemas import ItemPatch
from app.config import PROJECT_ROOT, Settings
from app.core.base import utcnow
from app.core.db import make_engine
from app.core.errors import Conflict, Unprocessable
from app.events.service import SYSTEM
from app.models import ChecklistItem, Event, Situation
from app.templates.registry import TemplateRegistry, registry_of
from app.templates.upgrade import upgrade
from tests.databases import fresh_database
from tests.factories import World, make_situation
from tests.test_cli import crrf

FOLDER = PROJECT_ROOT / "crrf_templates"
ANNEX_I = FOLDER / "crrf-annex-i.yaml"
NEW_TITLE = "Identification of refugees and safe, dignified reception"


def next_version(folder: Path) -> Path:
    """Annex I 2026.1: 5a's title corrected, paragraph 16 (element 16) gone."""
    text = ANNEX_I.read_text(encoding="utf-8")
    text = text.replace("version: '2016.1'", "version: '2026.1'", 1)
    text = text.replace("released: '2016-09-19'", "released: '2026-01-01'", 1)
    text = text.replace("en: Identification and safe, dignified reception", f"en: {NEW_TITLE}", 1)
    text = text[: text.index("  - number: '16'")]
    path = folder / "crrf-annex-i-2026.1.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def both(tmp_path: Path) -> TemplateRegistry:
    return registry_of([ANNEX_I, next_version(tmp_path)])


def codes(db: Session, situation: Situation) -> list[str]:
    return list(
        db.scalars(
            select(ChecklistItem.code)
            .where(ChecklistItem.situation_id == situation.id)
            .order_by(ChecklistItem.sort_order)
        )
    )


class TestNoSilentChange:
    def test_a_running_situation_keeps_its_version_and_labels(
        self, db: Session, world: World, both: TemplateRegistry
    ) -> None:
        item = checklist.get_item(db, world.s1.id, "5a")
        read = checklist.item_read(item, world.s1, both, utcnow())
        assert world.s1.template_version == "2016.1"
        assert read.title == "Identification and safe, dignified reception"
        assert len(codes(db, world.s1)) == 43

    def test_a_new_situation_takes_the_newest_version(
        self, db: Session, both: TemplateRegistry
    ) -> None:
        situation = make_situation(db, both)
        assert situation.template_version == "2026.1"
        assert len(codes(db, situation)) == 42


class TestUpgrade:
    def test_moves_titles_drops_an_item_without_history_and_records_it(
        self, db: Session, world: World, both: TemplateRegistry
    ) -> None:
        version = world.s1.version
        moved = upgrade(db, world.s1, both, "2026.1", SYSTEM)
        assert (moved.before, moved.after, moved.added, moved.removed) == (
            "2016.1",
            "2026.1",
            [],
            ["16"],
        )
        assert (world.s1.template_version, world.s1.version) == ("2026.1", version + 1)
        assert "16" not in codes(db, world.s1)
        item = checklist.get_item(db, world.s1.id, "5a")
        assert item.title == NEW_TITLE
        event = db.scalar(
            select(Event).where(
                Event.situation_id == world.s1.id, Event.action == "situation.template_upgraded"
            )
        )
        assert event is not None and event.after is not None
        assert event.after["removed"] == ["16"]
        # The dropped item's creation stays in the log.
        created = db.scalars(
            select(Event).where(
                Event.situation_id == world.s1.id,
                Event.action == "item.created",
                Event.item_id.is_(None),
            )
        ).all()
        assert [e.after["code"] for e in created if e.after] == ["16"]

    def test_back_again_adds_the_item(
        self, db: Session, world: World, both: TemplateRegistry
    ) -> None:
        upgrade(db, world.s1, both, "2026.1", SYSTEM)
        moved = upgrade(db, world.s1, both, "2016.1", SYSTEM)
        assert moved.added == ["16"]
        assert codes(db, world.s1)[-1] == "16"

    def test_refuses_to_drop_an_item_that_has_history(
        self, db: Session, world: World, both: TemplateRegistry
    ) -> None:
        item = checklist.get_item(db, world.s1.id, "16", for_update=True)
        checklist.patch_item(db, item, ItemPatch(status="planned"), SYSTEM)
        with pytest.raises(Conflict, match="history here: 16"):
            upgrade(db, world.s1, both, "2026.1", SYSTEM)
        assert world.s1.template_version == "2016.1"
        assert "16" in codes(db, world.s1)

    def test_refuses_an_unknown_or_the_same_version(
        self, db: Session, world: World, both: TemplateRegistry
    ) -> None:
        with pytest.raises(Unprocessable, match=r"no version 9\.9"):
            upgrade(db, world.s1, both, "9.9", SYSTEM)
        with pytest.raises(Conflict, match="already"):
            upgrade(db, world.s1, both, "2016.1", SYSTEM)


@pytest.fixture
def served_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A migrated database of its own and a templates folder with both versions of Annex I."""
    folder = tmp_path_factory.mktemp("templates")
    for path in FOLDER.glob("*.yaml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    next_version(folder)
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        assert crrf(url, "db", "upgrade").returncode == 0
        yield url, folder


class TestUpgradeCommand:
    def test_upgrades_then_refuses_a_move_that_drops_history(
        self, served_folder: tuple[str, Path]
    ) -> None:
        url, folder = served_folder
        engine = make_engine(url, Settings(database_url=url))
        try:
            with Session(engine, expire_on_commit=False) as db, db.begin():
                situation = make_situation(db, registry_of([ANNEX_I]))
                sid = str(situation.id)
        finally:
            engine.dispose()
        env = {"CRRF_TEMPLATES_DIR": str(folder)}
        moved = crrf(url, "templates", "upgrade", sid, "--to", "2026.1", env=env)
        assert moved.returncode == 0, moved.stderr
        assert "from crrf-annex-i 2016.1 to 2026.1; items added: none; removed: 16" in moved.stdout
        back = crrf(url, "templates", "upgrade", sid, "--to", "2016.1", env=env)
        assert back.returncode == 0, back.stderr
        assert "items added: 16" in back.stdout
        engine = make_engine(url, Settings(database_url=url))
        try:
            with Session(engine) as db, db.begin():
                item = checklist.get_item(db, situation.id, "16", for_update=True)
                checklist.patch_item(db, item, ItemPatch(status="planned"), SYSTEM)
        finally:
            engine.dispose()
        refused = crrf(url, "templates", "upgrade", sid, "--to", "2026.1", env=env)
        assert refused.returncode == 1
        assert "history here: 16" in refused.stderr
