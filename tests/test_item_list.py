"""The item list: never out of date, flags always fresh, filters and flags agree."""

import json
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.checklist import listing
from app.checklist.list_cache import ItemListCache
from app.core.base import utcnow
from app.templates.registry import TemplateRegistry
from tests.factories import World
from tests.helpers import with_etag


def _list(client: TestClient, world: World, query: str = "") -> list[dict[str, Any]]:
    response = client.get(world.url(f"/items?limit=200{query}"), headers=world.headers("viewer"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _item(client: TestClient, world: World, code: str) -> dict[str, Any]:
    response = client.get(world.url(f"/items/{code}"), headers=world.headers("viewer"))
    assert response.status_code == 200, response.text
    item: dict[str, Any] = response.json()
    # One item's read lists its pledges and its funding; a list does not.
    item["pledges"] = item["funding"] = None
    return item


def _listed(client: TestClient, world: World, code: str) -> dict[str, Any]:
    return next(item for item in _list(client, world) if item["code"] == code)


def _etag(client: TestClient, world: World, code: str) -> str:
    return client.get(world.url(f"/items/{code}"), headers=world.headers("viewer")).headers["etag"]


class TestEveryChangeShowsAtOnce:
    """A list read before a change never hides the change from the next list."""

    def test_a_listed_item_is_the_item_itself(self, client: TestClient, world: World) -> None:
        for _ in range(2):  # rendered, then kept
            for code in ("5a", "6a", "16"):
                assert _listed(client, world, code) == _item(client, world, code)

    def test_status_note_and_target_date(self, client: TestClient, world: World) -> None:
        _list(client, world)
        target = (utcnow().date() + timedelta(days=30)).isoformat()
        response = client.patch(
            world.url("/items/5b"),
            json={"status": "planned", "status_note": "Planned with OPM", "target_date": target},
            headers={**world.headers("coordinator"), "If-Match": _etag(client, world, "5b")},
        )
        assert response.status_code == 200, response.text
        listed = _listed(client, world, "5b")
        assert (listed["status"], listed["status_note"], listed["target_date"]) == (
            "planned",
            "Planned with OPM",
            target,
        )
        assert listed == _item(client, world, "5b")

    def test_owners(self, client: TestClient, world: World) -> None:
        assert _listed(client, world, "5b")["lead"] is None
        response = client.put(
            world.url("/items/5b/owners"),
            json={"owners": [{"organisation_id": str(world.orgs["rlo"].id), "role": "lead"}]},
            headers=with_etag(client, world.url("/items/5b"), world.headers("coordinator")),
        )
        assert response.status_code == 200, response.text
        listed = _listed(client, world, "5b")
        assert listed["lead"]["id"] == str(world.orgs["rlo"].id)
        assert listed["flags"]["lead_missing"] is False
        assert [i["code"] for i in _list(client, world, "&lead_missing=false")] == [
            "5a",
            "5b",
            "6a",
        ]

    def test_an_accepted_update(self, client: TestClient, world: World) -> None:
        _list(client, world)
        submitted = client.post(
            world.url("/items/5a/updates"),
            json={"narrative": "Registration running", "proposed_status": "in_progress"},
            headers=world.headers("partner_a"),
        )
        assert submitted.status_code == 201, submitted.text
        response = client.post(
            f"/api/v1/updates/{submitted.json()['id']}/review",
            json={"decision": "accept", "comment": "Thanks"},
            headers=world.headers("coordinator"),
        )
        assert response.status_code == 200, response.text
        listed = _listed(client, world, "5a")
        assert listed["status"] == "in_progress"
        assert listed["last_accepted_update_at"] == response.json()["reviewed_at"]
        assert listed["flags"]["no_data"] is False

    def test_a_renamed_owner_organisation(self, client: TestClient, world: World) -> None:
        lead = _listed(client, world, "5a")["lead"]
        response = client.patch(
            f"/api/v1/organisations/{lead['id']}",
            json={"name": f"Renamed {uuid.uuid4().hex[:6]}", "acronym": "REN"},
            headers=world.headers("admin"),
        )
        assert response.status_code == 200, response.text
        listed = _listed(client, world, "5a")
        assert (listed["lead"]["name"], listed["lead"]["acronym"]) == (
            response.json()["name"],
            "REN",
        )
        lead_owner = next(o for o in listed["owners"] if o["role"] == "lead")
        assert lead_owner["organisation"]["name"] == response.json()["name"]
        assert listed == _item(client, world, "5a")

    def test_a_context_item(self, client: TestClient, world: World) -> None:
        before = _list(client, world)
        response = client.post(
            world.url("/items"),
            json={"code": "5d.biometrics", "title": "Biometric registration in Adjumani"},
            headers=world.headers("coordinator"),
        )
        assert response.status_code == 201, response.text
        after = _list(client, world)
        assert len(after) == len(before) + 1
        assert "5d.biometrics" in [item["code"] for item in after]

    def test_pages_and_filters_agree_with_the_whole_list(
        self, client: TestClient, world: World
    ) -> None:
        whole = _list(client, world)
        paged, cursor = [], ""
        while True:
            response = client.get(
                world.url(f"/items?limit=7{cursor}"), headers=world.headers("viewer")
            )
            page = response.json()
            paged += page["items"]
            if page["next_cursor"] is None:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert paged == whole
        pillar = _list(client, world, "&pillar=durable_solutions")
        assert pillar == [item for item in whole if item["pillar"] == "durable_solutions"]


class TestFlagsFollowTheClock:
    def _page(
        self, db: Session, world: World, registry: TemplateRegistry, days_later: int, **filters: Any
    ) -> list[dict[str, Any]]:
        # One cache for the test's pages: a later day's page is the cached one, its flags
        # computed again.
        cache = self.__dict__.setdefault("cache", ItemListCache(8))
        now = utcnow() + timedelta(days=days_later)
        page = listing.as_page(
            listing.items_page(
                db,
                world.s1,
                registry,
                cache,
                listing.ItemFilters(**filters),
                cursor=None,
                limit=200,
                now=now,
            )
        )
        return [item.model_dump(mode="json") for item in page.items]

    def test_an_item_whose_flags_did_not_move_is_sent_as_cached(
        self, db: Session, world: World, registry: TemplateRegistry
    ) -> None:
        cache = ItemListCache(8)

        def items(days_later: int) -> list[Any]:
            now = utcnow() + timedelta(days=days_later)
            filters = listing.ItemFilters()
            page = listing.items_page(
                db, world.s1, registry, cache, filters, cursor=None, limit=200, now=now
            )
            return listing.as_page(page).items

        first, again = items(0), items(0)
        assert all(a is b for a, b in zip(first, again, strict=True))
        later = items(world.s1.stale_after_days + 1)
        assert not any(a is b for a, b in zip(first, later, strict=True))
        assert all(item.flags.stale for item in later)

    def test_a_page_whose_flags_moved_is_sent_with_them(
        self, db: Session, world: World, registry: TemplateRegistry
    ) -> None:
        """The body a page keeps is made again once the clock moved its flags."""
        cache = ItemListCache(8)

        def kept(days_later: int) -> Any:
            now = utcnow() + timedelta(days=days_later)
            filters = listing.ItemFilters()
            return listing.items_page(
                db, world.s1, registry, cache, filters, cursor=None, limit=200, now=now
            )

        today = kept(0)
        assert kept(0) is today
        later = kept(world.s1.stale_after_days + 1)
        assert later is not today

        def stale(page: Any) -> list[bool]:
            items = json.loads(page.body(gzipped=False))["items"]
            return [item["flags"]["stale"] for item in items]

        assert all(stale(later))
        assert not any(stale(today))

    def test_flags_follow_the_clock_and_the_sql_filter_agrees(
        self, db: Session, world: World, registry: TemplateRegistry
    ) -> None:
        today = self._page(db, world, registry, 0)
        assert len(today) == 43
        assert not any(item["flags"]["stale"] for item in today)
        later = self._page(db, world, registry, world.s1.stale_after_days + 1)
        assert all(item["flags"]["stale"] for item in later)
        assert [{**i, "flags": None} for i in later] == [{**i, "flags": None} for i in today]
        # The SQL filter and the flags computed in Python agree.
        stale = self._page(db, world, registry, world.s1.stale_after_days + 1, stale=True)
        assert len(stale) == 43
        assert self._page(db, world, registry, 0, stale=True) == []
