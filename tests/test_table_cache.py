"""The situation page's items table cache: reused while the table would draw the same, and
never shown once anything it draws has changed (an item, an owner's name, the clock's flags,
the language)."""

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.core.lru import LRU
from app.models import ChecklistItem, Organisation
from tests.factories import World
from tests.test_dashboard import csrf_of, find, sign_in


def table_of(client: TestClient, world: World) -> str:
    response = client.get(f"/situations/{world.s1.id}")
    assert response.status_code == 200, response.text
    html = response.text
    return html[html.index('<table class="items-table"') : html.index("</table>")]


def test_a_second_page_reuses_the_table(client: TestClient, app: FastAPI, world: World) -> None:
    sign_in(client, world, "coordinator")
    first = table_of(client, world)
    assert len(app.state.table_cache) == 1
    assert table_of(client, world) == first
    assert len(app.state.table_cache) == 1


def test_changes_made_behind_its_back_show_at_once(
    client: TestClient, app: FastAPI, world: World, db: Session
) -> None:
    sign_in(client, world, "coordinator")
    assert "A renamed NGO" not in table_of(client, world)
    # A script renames an organisation and changes an item, telling nobody.
    db.execute(
        update(Organisation)
        .where(Organisation.id == world.orgs["ngo_a"].id)
        .values(acronym="RENAMED", version=Organisation.version + 1)
    )
    db.execute(
        update(ChecklistItem)
        .where(ChecklistItem.situation_id == world.s1.id, ChecklistItem.code == "6a")
        .values(status="in_progress", version=ChecklistItem.version + 1)
    )
    db.commit()
    html = table_of(client, world)
    assert "RENAMED" in html
    [row] = [r for r in find(html, "tr") if r.get("data-code") == "6a"]
    assert row is not None
    assert "badge--in_progress" in html.split('data-code="6a"')[1].split("</tr>")[0]
    assert len(app.state.table_cache) == 2


def test_the_flags_follow_the_clock(
    client: TestClient, app: FastAPI, world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, world, "coordinator")
    before = table_of(client, world)
    db.execute(
        update(ChecklistItem)
        .where(ChecklistItem.situation_id == world.s1.id, ChecklistItem.code == "7a")
        .values(target_date=None)
    )
    db.commit()
    import app.dashboard.router as router

    later = router.utcnow() + timedelta(days=400)  # every item goes stale
    monkeypatch.setattr(router, "utcnow", lambda: later)
    assert table_of(client, world) != before


def test_each_language_has_its_own(client: TestClient, app: FastAPI, world: World) -> None:
    sign_in(client, world, "coordinator")
    english = table_of(client, world)
    response = client.post(
        "/language", data={"language": "fr", "csrf_token": csrf_of(client)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    french = table_of(client, world)
    assert french != english
    assert len(app.state.table_cache) == 2


def test_the_lru_forgets_the_least_recently_used() -> None:
    cache: LRU[str] = LRU(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
    nothing: LRU[str] = LRU(0)
    nothing.put("a", "A")
    assert nothing.get("a") is None and len(nothing) == 0
