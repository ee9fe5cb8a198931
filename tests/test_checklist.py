"""The checklist: filters, ETags and If-Match, owners, history."""

import uuid
from datetime import date, timedelta

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.models import Event
from tests.factories import World
from tests.helpers import assert_problem, state_fingerprint, with_etag


def _codes(client: TestClient, world: World, query: str, who: str = "viewer") -> list[str]:
    response = client.get(world.url(f"/items?limit=200&{query}"), headers=world.headers(who))
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


def _patch(
    client: TestClient, world: World, code: str, body: dict[str, object], etag: str | None
) -> httpx.Response:
    headers = world.headers("coordinator")
    if etag is not None:
        headers["If-Match"] = etag
    return client.patch(world.url(f"/items/{code}"), json=body, headers=headers)


class TestListItems:
    def test_lists_the_43_items_in_annex_order(self, client: TestClient, world: World) -> None:
        codes = _codes(client, world, "")
        assert len(codes) == 43
        assert codes[:3] == ["5a", "5b", "5c"] and codes[-2:] == ["15", "16"]

    def test_pages_through_with_a_cursor(self, client: TestClient, world: World) -> None:
        headers = world.headers("partner_b")
        seen: list[str] = []
        cursor = None
        while True:
            query = f"limit=10&cursor={cursor}" if cursor else "limit=10"
            page = client.get(world.url(f"/items?{query}"), headers=headers).json()
            seen += [i["code"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == _codes(client, world, "")

    def test_filters_by_pillar(self, client: TestClient, world: World) -> None:
        assert _codes(client, world, "pillar=host_support") == ["8a", "8b", "8c"]

    def test_filters_by_status(self, client: TestClient, world: World) -> None:
        etag = client.get(world.url("/items/7a"), headers=world.headers("viewer")).headers["etag"]
        _patch(client, world, "7a", {"status": "in_place"}, etag)
        assert _codes(client, world, "status=in_place") == ["7a"]
        assert len(_codes(client, world, "status=not_started&status=in_place")) == 43

    def test_filters_by_owner_organisation(self, client: TestClient, world: World) -> None:
        assert _codes(client, world, f"owner={world.orgs['unhcr'].id}") == ["5a"]
        assert _codes(client, world, f"owner={world.orgs['ngo_b'].id}") == ["6a"]

    def test_filters_by_lead_missing(self, client: TestClient, world: World) -> None:
        assert _codes(client, world, "lead_missing=false") == ["5a", "6a"]
        assert len(_codes(client, world, "lead_missing=true")) == 41

    def test_filters_by_overdue(self, client: TestClient, world: World) -> None:
        past = (date.today() - timedelta(days=3)).isoformat()
        future = (date.today() + timedelta(days=30)).isoformat()
        for code, body in (
            ("5b", {"target_date": past}),
            ("5c", {"target_date": past, "status": "in_place"}),
            ("5d", {"target_date": future}),
        ):
            etag = client.get(world.url(f"/items/{code}"), headers=world.headers("viewer")).headers[
                "etag"
            ]
            assert _patch(client, world, code, body, etag).status_code == 200
        assert _codes(client, world, "overdue=true") == ["5b"]
        assert "5b" not in _codes(client, world, "overdue=false")
        assert len(_codes(client, world, "overdue=false")) == 42

    def test_unknown_filter_values_are_422(self, client: TestClient, world: World) -> None:
        headers = world.headers("viewer")
        assert_problem(client.get(world.url("/items?pillar=nope"), headers=headers), 422)
        assert_problem(client.get(world.url("/items?status=done"), headers=headers), 422)
        assert_problem(client.get(world.url("/items?limit=0"), headers=headers), 422)
        assert_problem(client.get(world.url("/items?limit=201"), headers=headers), 422)


class TestReadItem:
    def test_has_annex_text_owners_and_etag(self, client: TestClient, world: World) -> None:
        response = client.get(world.url("/items/5a"), headers=world.headers("partner_b"))
        assert response.status_code == 200
        assert response.headers["etag"] == '"v2"'
        item = response.json()
        assert item["text"].startswith("Ensure, to the extent possible")
        assert item["lead_in"].startswith("At the outset of a large movement of refugees")
        assert item["lead"]["id"] == str(world.orgs["ngo_a"].id)
        assert {(o["organisation"]["name"], o["role"]) for o in item["owners"]} == {
            (world.orgs["ngo_a"].name, "lead"),
            (world.orgs["unhcr"].name, "funding"),
        }
        assert item["flags"] == {
            "overdue": False,
            "lead_missing": False,
            "stale": False,
            "no_data": True,
        }

    def test_unknown_code_is_404(self, client: TestClient, world: World) -> None:
        assert_problem(client.get(world.url("/items/5z"), headers=world.headers("viewer")), 404)
        assert_problem(
            client.get(world.url("/items/DROP TABLE"), headers=world.headers("viewer")), 422
        )


class TestPatchItem:
    def test_needs_if_match(self, client: TestClient, world: World, connection: Connection) -> None:
        before = state_fingerprint(connection)
        assert_problem(_patch(client, world, "5f", {"status": "planned"}, None), 428)
        assert state_fingerprint(connection) == before

    def test_stale_etag_is_412(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        assert _patch(client, world, "5f", {"status": "planned"}, '"v1"').status_code == 200
        before = state_fingerprint(connection)
        assert_problem(_patch(client, world, "5f", {"status": "in_progress"}, '"v1"'), 412)
        assert state_fingerprint(connection) == before

    def test_changes_make_one_version_and_one_event(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        response = _patch(
            client,
            world,
            "5f",
            {"status": "in_progress", "status_note": "Mobile teams", "target_date": "2027-06-30"},
            '"v1"',
        )
        assert response.status_code == 200
        assert response.headers["etag"] == '"v2"'
        body = response.json()
        assert (body["status"], body["status_note"], body["target_date"]) == (
            "in_progress",
            "Mobile teams",
            "2027-06-30",
        )
        [event] = db.scalars(
            select(Event).where(
                Event.item_id == uuid.UUID(body["id"]), Event.action == "item.updated"
            )
        ).all()
        assert event.before == {"status": "not_started", "status_note": None, "target_date": None}
        assert event.after == {
            "status": "in_progress",
            "status_note": "Mobile teams",
            "target_date": "2027-06-30",
        }
        assert event.item_version == 2

    def test_not_applicable_needs_a_justification(self, client: TestClient, world: World) -> None:
        assert_problem(_patch(client, world, "16", {"status": "not_applicable"}, '"v1"'), 422)
        assert_problem(
            _patch(client, world, "16", {"status": "not_applicable", "status_note": "  "}, '"v1"'),
            422,
        )
        ok = _patch(
            client,
            world,
            "16",
            {"status": "not_applicable", "status_note": "No resettlement quota"},
            '"v1"',
        )
        assert ok.status_code == 200
        assert ok.json()["flags"]["lead_missing"] is False

    def test_status_cannot_be_null(self, client: TestClient, world: World) -> None:
        assert_problem(_patch(client, world, "5f", {"status": None}, '"v1"'), 422)

    @pytest.mark.parametrize("who", ["partner_a", "partner_b", "viewer"])
    def test_partners_and_viewers_cannot_change_items(
        self, client: TestClient, world: World, connection: Connection, who: str
    ) -> None:
        before = state_fingerprint(connection)
        headers = {**world.headers(who), "If-Match": '"v2"'}
        assert_problem(
            client.patch(world.url("/items/5a"), json={"status": "planned"}, headers=headers), 403
        )
        assert_problem(
            client.put(world.url("/items/5a/owners"), json={"owners": []}, headers=headers), 403
        )
        assert state_fingerprint(connection) == before


class TestOwners:
    def test_replaces_the_owners(self, client: TestClient, world: World) -> None:
        owners = [
            {"organisation_id": str(world.orgs["gov"].id), "role": "lead"},
            {"organisation_id": str(world.orgs["ngo_a"].id), "role": "implementing"},
            {"organisation_id": str(world.orgs["ngo_a"].id), "role": "support"},
        ]
        response = client.put(
            world.url("/items/5d/owners"),
            json={"owners": owners},
            headers=with_etag(client, world.url("/items/5d"), world.headers("coordinator")),
        )
        assert response.status_code == 200
        assert response.headers["etag"] == '"v2"'
        assert response.json()["lead"]["id"] == str(world.orgs["gov"].id)
        assert len(response.json()["owners"]) == 3
        cleared = client.put(
            world.url("/items/5d/owners"),
            json={"owners": []},
            headers=with_etag(client, world.url("/items/5d"), world.headers("coordinator")),
        )
        assert cleared.json()["owners"] == [] and cleared.json()["flags"]["lead_missing"] is True

    def test_support_only_owners_leave_the_lead_missing(
        self, client: TestClient, world: World
    ) -> None:
        """Supporters are not a lead: the item, the lead_missing filter and the summary agree."""
        viewer = world.headers("viewer")
        summary = world.url("/summary")
        before = client.get(summary, headers=viewer).json()["lead_missing"]
        etag = client.get(world.url("/items/5a"), headers=viewer).headers["etag"]
        owners = [
            {"organisation_id": str(world.orgs["ngo_a"].id), "role": "support"},
            {"organisation_id": str(world.orgs["unhcr"].id), "role": "support"},
        ]
        response = client.put(
            world.url("/items/5a/owners"),
            json={"owners": owners},
            headers={**world.headers("coordinator"), "If-Match": etag},
        )
        assert response.status_code == 200, response.text
        assert response.json()["lead"] is None
        assert response.json()["flags"]["lead_missing"] is True
        item = client.get(world.url("/items/5a"), headers=viewer).json()
        assert {o["role"] for o in item["owners"]} == {"support"}
        assert item["flags"]["lead_missing"] is True
        listed = client.get(world.url("/items?limit=200"), headers=viewer).json()["items"]
        assert next(i for i in listed if i["code"] == "5a")["flags"]["lead_missing"] is True
        assert "5a" in _codes(client, world, "lead_missing=true")
        assert _codes(client, world, "lead_missing=false") == ["6a"]
        assert client.get(summary, headers=viewer).json()["lead_missing"] == before + 1
        today = utcnow().date().isoformat()
        as_of = client.get(f"{summary}?as_of={today}", headers=viewer).json()
        assert as_of["lead_missing"] == before + 1

    def test_two_leads_is_422(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        owners = [
            {"organisation_id": str(world.orgs["gov"].id), "role": "lead"},
            {"organisation_id": str(world.orgs["ngo_a"].id), "role": "lead"},
        ]
        assert_problem(
            client.put(
                world.url("/items/5d/owners"),
                json={"owners": owners},
                headers=with_etag(client, world.url("/items/5d"), world.headers("coordinator")),
            ),
            422,
        )
        assert state_fingerprint(connection) == before

    def test_unknown_organisation_is_422(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        owners = [{"organisation_id": "00000000-0000-4000-8000-000000000000", "role": "support"}]
        problem = assert_problem(
            client.put(
                world.url("/items/5d/owners"),
                json={"owners": owners},
                headers=with_etag(client, world.url("/items/5d"), world.headers("coordinator")),
            ),
            422,
        )
        assert problem["errors"][0]["loc"] == ["body", "owners", 0, "organisation_id"]
        assert state_fingerprint(connection) == before

    def test_unknown_role_is_422(self, client: TestClient, world: World) -> None:
        owners = [{"organisation_id": str(world.orgs["gov"].id), "role": "owner"}]
        assert_problem(
            client.put(
                world.url("/items/5d/owners"),
                json={"owners": owners},
                headers=with_etag(client, world.url("/items/5d"), world.headers("coordinator")),
            ),
            422,
        )

    def test_same_owners_again_change_nothing(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        owners = [
            {"organisation_id": str(world.orgs["unhcr"].id), "role": "funding"},
            {"organisation_id": str(world.orgs["ngo_a"].id), "role": "lead"},
        ]
        before = state_fingerprint(connection)
        response = client.put(
            world.url("/items/5a/owners"),
            json={"owners": owners},
            headers=with_etag(client, world.url("/items/5a"), world.headers("coordinator")),
        )
        assert response.status_code == 200 and response.headers["etag"] == '"v2"'
        assert state_fingerprint(connection) == before


class TestHistory:
    def test_lists_events_newest_first_with_who(self, client: TestClient, world: World) -> None:
        _patch(client, world, "5a", {"status": "planned"}, '"v2"')
        _patch(client, world, "5a", {"status": "in_progress"}, '"v3"')
        page = client.get(world.url("/items/5a/history"), headers=world.headers("viewer")).json()
        assert [(e["action"], e["item_version"]) for e in page["items"]] == [
            ("item.updated", 4),
            ("item.updated", 3),
            ("item.owners_set", 2),
            ("item.created", 1),
        ]
        latest = page["items"][0]
        assert latest["before"] == {"status": "planned"} and latest["after"] == {
            "status": "in_progress"
        }
        assert latest["actor"]["user_name"] == world.users["coordinator"].name
        assert latest["actor"]["organisation_name"] == world.orgs["unhcr"].name
        first = client.get(
            world.url("/items/5a/history?limit=1"), headers=world.headers("viewer")
        ).json()
        second = client.get(
            world.url(f"/items/5a/history?limit=3&cursor={first['next_cursor']}"),
            headers=world.headers("viewer"),
        ).json()
        assert [e["id"] for e in first["items"] + second["items"]] == [
            e["id"] for e in page["items"]
        ]


class TestContextItems:
    def test_coordinator_adds_a_context_item_under_an_element(
        self, client: TestClient, world: World
    ) -> None:
        response = client.post(
            world.url("/items"),
            json={"code": "5d.biometrics", "title": "Biometric enrolment in border sites"},
            headers=world.headers("coordinator"),
        )
        assert response.status_code == 201, response.text
        item = response.json()
        assert (item["element_code"], item["pillar"], item["is_custom"]) == (
            "5d",
            "reception",
            True,
        )
        codes = _codes(client, world, "pillar=reception")
        assert codes.index("5d.biometrics") == codes.index("5d") + 1
        assert_problem(
            client.post(
                world.url("/items"),
                json={"code": "5d.biometrics", "title": "Again"},
                headers=world.headers("coordinator"),
            ),
            409,
        )

    def test_context_item_needs_a_known_element(self, client: TestClient, world: World) -> None:
        headers = world.headers("coordinator")
        assert_problem(
            client.post(world.url("/items"), json={"code": "9z.x", "title": "X"}, headers=headers),
            422,
        )
        assert_problem(
            client.post(world.url("/items"), json={"code": "5d", "title": "X"}, headers=headers),
            422,
        )
