"""Requirements and funding flows: who records what, the money rules, the status that only
advances, the events, the filters; a denied or failed write changes nothing."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, select

from app.models import Event
from tests.factories import World
from tests.helpers import assert_problem, state_fingerprint, with_etag


def flow_body(world: World, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "commitment",
        "source_organisation_id": str(world.orgs["ngo_a"].id),
        "items": ["5a"],
        "amount": "1000.00",
        "currency": "USD",
        "date": "2024-03-01",
        "budget_year": 2024,
    }
    body.update(fields)
    return body


def record(client: TestClient, world: World, who: str = "coordinator", **fields: Any) -> Any:
    return client.post(
        world.url("/funding"), json=flow_body(world, **fields), headers=world.headers(who)
    )


def events(connection: Connection, action: str) -> list[Any]:
    """The (before, after) of the events of ``action``, oldest first."""
    stmt = select(Event.before, Event.after).where(Event.action == action).order_by(Event.at)
    return list(connection.execute(stmt).all())


class TestRequirements:
    def test_a_coordinator_sets_then_replaces_a_year_with_if_match(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        url = world.url("/items/5a/requirements/2024")
        headers = world.headers("coordinator")
        body = {"amount_usd": "250000.00", "budget_status": "committed", "note": "Border posts"}
        first = client.put(url, json=body, headers=headers)
        assert first.status_code == 201, first.text
        assert first.headers["location"].endswith("/items/5a/requirements/2024")
        assert first.json()["amount_usd"] == "250000.00"
        assert first.json()["budget_status"] == "committed"
        assert_problem(client.put(url, json=body, headers=headers), 428)
        second = client.put(
            url, json={**body, "amount_usd": "300000.5"}, headers=with_etag(client, url, headers)
        )
        assert second.status_code == 200, second.text
        assert second.json()["amount_usd"] == "300000.50"
        assert second.json()["version"] == 2
        stale = {**headers, "If-Match": first.headers["etag"]}
        assert_problem(client.put(url, json=body, headers=stale), 412)
        listed = client.get(world.url("/items/5a/requirements"), headers=world.headers("viewer"))
        assert [r["year"] for r in listed.json()["items"]] == [2024]
        assert len(events(connection, "requirement.set")) == 2

    def test_a_partner_may_read_but_not_set_one(self, client: TestClient, world: World) -> None:
        url = world.url("/items/5a/requirements/2025")
        body = {"amount_usd": "10.00"}
        assert_problem(client.put(url, json=body, headers=world.headers("partner_a")), 403)
        assert_problem(client.get(url, headers=world.headers("partner_a")), 404)

    def test_amounts_are_strings_of_cents(self, client: TestClient, world: World) -> None:
        url = world.url("/items/5a/requirements/2024")
        for wrong in (1250.5, "12.345", "-5", "abc", "0"):
            response = client.put(
                url, json={"amount_usd": wrong}, headers=world.headers("coordinator")
            )
            assert_problem(response, 422)

    def test_an_unknown_item_is_404(self, client: TestClient, world: World) -> None:
        url = world.url("/items/9z/requirements/2024")
        response = client.put(url, json={"amount_usd": "1"}, headers=world.headers("coordinator"))
        assert_problem(response, 404)


class TestDeleteRequirement:
    def test_a_coordinator_deletes_a_year_with_its_event_and_totals(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        headers = world.headers("coordinator")
        for year, amount in ((2024, "100.00"), (2025, "50.00")):
            url = world.url(f"/items/5a/requirements/{year}")
            assert client.put(url, json={"amount_usd": amount}, headers=headers).status_code == 201
        url = world.url("/items/5a/requirements/2024")
        deleted = client.delete(url, headers=headers)
        assert deleted.status_code == 204, deleted.text
        assert deleted.content == b""
        assert_problem(client.get(url, headers=headers), 404)
        listed = client.get(world.url("/items/5a/requirements"), headers=headers).json()
        assert [r["year"] for r in listed["items"]] == [2025]
        item = client.get(world.url("/items/5a"), headers=headers).json()
        assert item["funding"]["required_usd"] == "50.00"
        ((before, after),) = events(connection, "requirement.deleted")
        assert before == {
            "code": "5a",
            "year": 2024,
            "amount_usd": "100.00",
            "budget_status": "indicative",
            "note": None,
        }
        assert after is None

    def test_if_match_is_optional_but_must_be_current(
        self, client: TestClient, world: World
    ) -> None:
        headers = world.headers("coordinator")
        url = world.url("/items/5a/requirements/2024")
        first = client.put(url, json={"amount_usd": "1.00"}, headers=headers)
        client.put(url, json={"amount_usd": "2.00"}, headers=with_etag(client, url, headers))
        stale = {**headers, "If-Match": first.headers["etag"]}
        assert_problem(client.delete(url, headers=stale), 412)
        assert client.get(url, headers=headers).json()["amount_usd"] == "2.00"
        assert client.delete(url, headers=with_etag(client, url, headers)).status_code == 204

    def test_a_year_without_a_requirement_is_404(self, client: TestClient, world: World) -> None:
        headers = world.headers("coordinator")
        assert_problem(
            client.delete(world.url("/items/5a/requirements/2024"), headers=headers), 404
        )
        assert_problem(
            client.delete(world.url("/items/9z/requirements/2024"), headers=headers), 404
        )

    def test_a_partner_cannot_delete_one(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        url = world.url("/items/5a/requirements/2024")
        client.put(url, json={"amount_usd": "1.00"}, headers=world.headers("coordinator"))
        before = state_fingerprint(connection)
        assert_problem(client.delete(url, headers=world.headers("partner_a")), 403)
        assert state_fingerprint(connection) == before


class TestRecordFlow:
    def test_a_coordinator_records_a_flow_in_another_currency(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        response = record(
            client,
            world,
            amount="1000000",
            currency="eur",
            exchange_rate="0.8929",
            fts_flow_id="123456",
            items=["5a", "6a", "7a"],
        )
        assert response.status_code == 201, response.text
        flow = response.json()
        assert response.headers["location"].endswith(f"/funding/{flow['id']}")
        assert flow["currency"] == "EUR"
        # 1,000,000 ÷ 0.8929 = 1,119,946.2425… → half-even to the cent.
        assert flow["amount_usd"] == "1119946.24"
        assert flow["exchange_rate"] == "0.8929"
        # Split equally in cents; the cent left over goes to the first item.
        assert [s["amount_usd"] for s in flow["shares"]] == ["373315.42", "373315.41", "373315.41"]
        assert flow["items"] == ["5a", "6a", "7a"]
        assert len(events(connection, "funding.recorded")) == 1

    def test_the_usd_amount_given_must_agree_with_the_rate_to_the_dollar(
        self, client: TestClient, world: World
    ) -> None:
        agrees = record(
            client,
            world,
            amount="1000000",
            currency="EUR",
            exchange_rate="0.8929",
            amount_usd="1119946",
        )
        assert agrees.status_code == 201, agrees.text
        assert agrees.json()["amount_usd"] == "1119946.00"
        disagrees = record(
            client,
            world,
            amount="1000000",
            currency="EUR",
            exchange_rate="0.8929",
            amount_usd="1119950",
        )
        assert_problem(disagrees, 422)

    def test_a_usd_amount_alone_makes_the_rate(self, client: TestClient, world: World) -> None:
        response = record(client, world, amount="3700000", currency="UGX", amount_usd="1000.00")
        assert response.status_code == 201, response.text
        assert response.json()["exchange_rate"] == "3700.0000000000"

    def test_a_foreign_amount_needs_a_rate_or_usd(self, client: TestClient, world: World) -> None:
        assert_problem(record(client, world, currency="EUR"), 422)

    def test_an_unknown_currency_is_refused(self, client: TestClient, world: World) -> None:
        assert_problem(record(client, world, currency="XYZ", exchange_rate="1"), 422)

    def test_floats_are_refused(self, client: TestClient, world: World) -> None:
        assert_problem(record(client, world, amount=1000.1), 422)

    def test_a_partner_records_a_flow_of_their_organisation(
        self, client: TestClient, world: World
    ) -> None:
        assert record(client, world, "partner_a").status_code == 201

    def test_a_partner_cannot_record_for_another_organisation(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        assert_problem(record(client, world, "partner_b"), 403)
        assert state_fingerprint(connection) == before

    def test_a_viewer_cannot_record(self, client: TestClient, world: World) -> None:
        assert_problem(
            record(client, world, "viewer", source_organisation_id=str(world.orgs["gov"].id)), 403
        )

    def test_an_unknown_item_is_named(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        before = state_fingerprint(connection)
        body = assert_problem(record(client, world, items=["5a", "9z"]), 422)
        assert body["errors"][0]["loc"] == ["body", "items", 1]
        assert state_fingerprint(connection) == before

    def test_an_fts_id_is_unique_in_the_situation(self, client: TestClient, world: World) -> None:
        assert record(client, world, fts_flow_id="F-1").status_code == 201
        assert_problem(record(client, world, fts_flow_id="F-1"), 409)


class TestChangeFlow:
    def test_the_status_advances_and_never_goes_back(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        flow = record(client, world, status="pledge").json()
        url = world.url(f"/funding/{flow['id']}")
        headers = world.headers("coordinator")
        paid = client.patch(url, json={"status": "paid"}, headers=with_etag(client, url, headers))
        assert paid.status_code == 200, paid.text
        assert paid.json()["status"] == "paid"
        assert paid.json()["version"] == 2
        back = client.patch(
            url, json={"status": "commitment"}, headers=with_etag(client, url, headers)
        )
        assert_problem(back, 409)
        advanced = events(connection, "funding.advanced")
        assert [(b["status"], a["status"]) for b, a in advanced] == [("pledge", "paid")]

    def test_a_patch_needs_if_match(self, client: TestClient, world: World) -> None:
        flow = record(client, world).json()
        url = world.url(f"/funding/{flow['id']}")
        assert_problem(
            client.patch(url, json={"status": "paid"}, headers=world.headers("coordinator")), 428
        )

    def test_a_new_amount_is_split_again(self, client: TestClient, world: World) -> None:
        flow = record(client, world, items=["5a", "6a"]).json()
        url = world.url(f"/funding/{flow['id']}")
        headers = with_etag(client, url, world.headers("coordinator"))
        changed = client.patch(
            url, json={"amount": "10.01", "items": ["6a", "5a"]}, headers=headers
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["shares"] == [
            {"code": "6a", "amount_usd": "5.01"},
            {"code": "5a", "amount_usd": "5.00"},
        ]

    def test_a_partner_cannot_change_or_delete_another_organisations_flow(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        flow = record(client, world).json()
        url = world.url(f"/funding/{flow['id']}")
        before = state_fingerprint(connection)
        headers = with_etag(client, url, world.headers("partner_b"))
        assert_problem(client.patch(url, json={"status": "paid"}, headers=headers), 403)
        assert_problem(client.delete(url, headers=world.headers("partner_b")), 403)
        assert state_fingerprint(connection) == before

    def test_a_partner_cannot_hand_their_flow_to_another_organisation(
        self, client: TestClient, world: World
    ) -> None:
        flow = record(client, world, "partner_a").json()
        url = world.url(f"/funding/{flow['id']}")
        headers = with_etag(client, url, world.headers("partner_a"))
        moved = {"source_organisation_id": str(world.orgs["ngo_b"].id)}
        assert_problem(client.patch(url, json=moved, headers=headers), 403)

    def test_delete_writes_an_event(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        flow = record(client, world, "partner_a").json()
        url = world.url(f"/funding/{flow['id']}")
        assert client.delete(url, headers=world.headers("partner_a")).status_code == 204
        assert_problem(client.get(url, headers=world.headers("partner_a")), 404)
        assert len(events(connection, "funding.deleted")) == 1


class TestListFlows:
    def test_filters(self, client: TestClient, world: World) -> None:
        a = record(client, world, items=["5a"], status="pledge", budget_year=2023).json()
        b = record(
            client,
            world,
            items=["6a"],
            destination_organisation_id=str(world.orgs["gov"].id),
            budget_year=2024,
        ).json()
        headers = world.headers("viewer")

        def ids(query: str) -> list[str]:
            response = client.get(world.url(f"/funding?{query}"), headers=headers)
            assert response.status_code == 200, response.text
            return [f["id"] for f in response.json()["items"]]

        assert set(ids("")) == {a["id"], b["id"]}
        assert ids("item=5a") == [a["id"]]
        assert ids("status=commitment") == [b["id"]]
        assert ids(f"organisation_id={world.orgs['gov'].id}") == [b["id"]]
        assert ids("year=2023") == [a["id"]]

    def test_pages(self, client: TestClient, world: World) -> None:
        made = {record(client, world, date=f"2024-01-0{n}").json()["id"] for n in range(1, 4)}
        seen: list[str] = []
        url = world.url("/funding?limit=2")
        while url:
            page = client.get(url, headers=world.headers("viewer")).json()
            seen += [f["id"] for f in page["items"]]
            url = page["next_cursor"] and world.url(
                f"/funding?limit=2&cursor={page['next_cursor']}"
            )
        assert set(seen) == made and len(seen) == 3
