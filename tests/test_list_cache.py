"""The item list's cache: it saves work, and it never serves a page its items have left behind."""

import gzip
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.checklist.list_cache import CachedPage, ItemListCache
from app.core.vocab import ItemStatus
from app.models import ChecklistItem, Organisation
from tests.factories import World


def _items(client: TestClient, world: World, query: str = "") -> list[dict[str, Any]]:
    response = client.get(world.url(f"/items?limit=200{query}"), headers=world.headers("viewer"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_second_read_reuses_the_page_and_reads_less(
    client: TestClient, app: FastAPI, world: World, statements: list[str]
) -> None:
    first = _items(client, world)
    rendered = len(statements)
    statements.clear()
    second = _items(client, world)
    assert second == first
    assert len(app.state.item_list_cache) == 1
    # Neither the items' rows nor their owners are read again: only the fingerprint is.
    assert not any("checklist_item.title" in s or "organisation.name" in s for s in statements)
    assert len(statements) < rendered


def test_a_change_the_cache_was_never_told_of_shows_at_once(
    client: TestClient, world: World, db: Session
) -> None:
    """A change made outside this process's routes (another worker, a script) moves the
    fingerprint: the next list has it."""
    assert next(i for i in _items(client, world) if i["code"] == "5b")["status"] == "not_started"
    db.execute(
        update(ChecklistItem)
        .where(ChecklistItem.situation_id == world.s1.id, ChecklistItem.code == "5b")
        .values(status=ItemStatus.PLANNED, version=ChecklistItem.version + 1)
    )
    db.flush()
    assert next(i for i in _items(client, world) if i["code"] == "5b")["status"] == "planned"


def test_an_owner_renamed_outside_the_routes_shows_at_once(
    client: TestClient, world: World, db: Session
) -> None:
    lead = next(i for i in _items(client, world) if i["code"] == "5a")["lead"]
    db.execute(
        update(Organisation)
        .where(Organisation.id == world.orgs["ngo_a"].id)
        .values(name="Renamed elsewhere", version=Organisation.version + 1)
    )
    db.flush()
    listed = next(i for i in _items(client, world) if i["code"] == "5a")
    assert lead["name"] != "Renamed elsewhere"
    assert listed["lead"]["name"] == "Renamed elsewhere"


def test_a_kept_page_is_sent_as_the_response_model_would_be(
    client: TestClient, world: World
) -> None:
    """The kept body is byte for byte what FastAPI makes of the route's response model: a
    filter on the clock is never kept, so FastAPI serialises it (no item here is overdue)."""
    url, headers = world.url("/items?limit=200"), world.headers("viewer")
    kept = client.get(url, headers=headers)
    again = client.get(url, headers=headers)
    served = client.get(f"{url}&overdue=false", headers=headers)
    assert served.json()["items"]
    assert kept.content == again.content == served.content
    assert kept.headers["content-type"] == served.headers["content-type"] == "application/json"
    assert kept.headers["content-length"] == served.headers["content-length"]


def test_a_kept_page_is_gzipped_once_and_only_for_clients_that_take_it(
    client: TestClient, world: World
) -> None:
    url, headers = world.url("/items?limit=200"), world.headers("viewer")
    plain = client.get(url, headers={**headers, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    for _ in range(2):  # rendered, then kept
        zipped = client.get(url, headers={**headers, "Accept-Encoding": "gzip"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.headers["vary"] == "Accept-Encoding"
        assert int(zipped.headers["content-length"]) < len(plain.content) / 3
        assert zipped.content == plain.content  # decoded once: it was compressed once
    none = world.url("/items?status=not_applicable")
    small = client.get(none, headers={**headers, "Accept-Encoding": "gzip"})
    assert small.json()["items"] == []
    assert "content-encoding" not in small.headers  # one packet's worth travels as it is


def test_a_kept_page_makes_its_body_once() -> None:
    page = CachedPage((1,), (), None)
    assert page.body(gzipped=False) == b'{"items":[],"next_cursor":null}'
    assert page.body(gzipped=False) is page.body(gzipped=False)
    assert gzip.decompress(page.body(gzipped=True)) == page.body(gzipped=False)
    assert page.body(gzipped=True) is page.body(gzipped=True)


def test_filters_on_the_clock_are_never_kept(
    client: TestClient, app: FastAPI, world: World
) -> None:
    _items(client, world, "&overdue=false")
    _items(client, world, "&stale=true")
    assert len(app.state.item_list_cache) == 0
    _items(client, world, "&lead_missing=true")
    assert len(app.state.item_list_cache) == 1


def test_a_page_is_kept_under_its_fingerprint_only() -> None:
    cache = ItemListCache(2)
    cache.put("a", CachedPage((43, 43, None), (), None))
    assert cache.get("a", (43, 43, None)) is not None
    assert cache.get("a", (43, 44, None)) is None
    assert cache.get("b", (43, 43, None)) is None


def test_the_least_recently_used_page_goes_first() -> None:
    cache = ItemListCache(2)
    for key in ("a", "b"):
        cache.put(key, CachedPage((1,), (), None))
    cache.get("a", (1,))
    cache.put("c", CachedPage((1,), (), None))
    assert len(cache) == 2
    assert cache.get("b", (1,)) is None
    assert cache.get("a", (1,)) is not None


def test_size_zero_keeps_nothing() -> None:
    cache = ItemListCache(0)
    cache.put("a", CachedPage((1,), (), None))
    assert len(cache) == 0
