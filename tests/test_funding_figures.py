"""Funding figures in the summaries and the roll-up: exact to the cent on both databases,
mixed currencies, pledges apart from funding, and nobody adds up what they may not see."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select

from app.models import ChecklistItem, ItemFunding
from tests.factories import World


def requirement(client: TestClient, world: World, code: str, year: int, amount: str) -> None:
    url = world.url(f"/items/{code}/requirements/{year}")
    response = client.put(url, json={"amount_usd": amount}, headers=world.headers("coordinator"))
    assert response.status_code == 201, response.text


def flow(client: TestClient, world: World, items: list[str], **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "commitment",
        "source_organisation_id": str(world.orgs["unhcr"].id),
        "items": items,
        "currency": "USD",
        "date": "2024-05-01",
        "budget_year": 2024,
        **fields,
    }
    who = "outsider" if "situation" in fields else "coordinator"
    url = body.pop("situation", world.url("/funding"))
    response = client.post(url, json=body, headers=world.headers(who))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
def money(client: TestClient, world: World) -> None:
    """5a needs 1,000.10 over two years, 5b 0.20, 5c 1.00; the flows are in the tests' names."""
    requirement(client, world, "5a", 2024, "1000.00")
    requirement(client, world, "5a", 2025, "0.10")
    requirement(client, world, "5b", 2024, "0.20")
    requirement(client, world, "5c", 2024, "1.00")
    flow(client, world, ["5a"], amount="0.10")
    flow(client, world, ["5a"], amount="0.10")
    # 100 EUR at 0.9 EUR per dollar: 111.11 USD, split 55.56 / 55.55.
    flow(
        client,
        world,
        ["5a", "5b"],
        status="paid",
        amount="100",
        currency="EUR",
        exchange_rate="0.9",
    )
    # A pledge is shown apart and never counts as funding.
    flow(client, world, ["5a"], status="pledge", amount="500.00")
    # Ten dimes: 1.00 exactly (a float sum would make 0.9999999999999999).
    for _ in range(10):
        flow(client, world, ["5c"], amount="0.10")


FIVE_A = {
    "required_usd": "1000.10",
    "funded_usd": "55.76",
    "paid_usd": "55.56",
    "pledged_usd": "500.00",
    "gap_usd": "944.34",
    "funded_share": 0.0558,
}
RECEPTION = {
    "required_usd": "1001.30",
    "funded_usd": "112.31",
    "paid_usd": "111.11",
    "pledged_usd": "500.00",
    "gap_usd": "888.99",
    "funded_share": 0.1122,
}


@pytest.mark.usefixtures("money")
class TestSummaryFunding:
    def test_per_item_pillar_and_situation_to_the_cent(
        self, client: TestClient, world: World
    ) -> None:
        summary = client.get(world.url("/summary"), headers=world.headers("viewer")).json()
        items = {entry["code"]: entry["funding"] for entry in summary["items_funding"]}
        assert list(items) == ["5a", "5b", "5c"]
        assert items["5a"] == FIVE_A
        assert items["5b"] == {
            "required_usd": "0.20",
            "funded_usd": "55.55",
            "paid_usd": "55.55",
            "pledged_usd": "0.00",
            "gap_usd": "0.00",
            "funded_share": 277.75,
        }
        assert items["5c"]["funded_usd"] == "1.00"
        assert items["5c"]["gap_usd"] == "0.00"
        assert items["5c"]["funded_share"] == 1.0
        pillars = {p["code"]: p["funding"] for p in summary["pillars"]}
        assert pillars["reception"] == RECEPTION
        assert pillars["durable_solutions"]["required_usd"] == "0.00"
        assert pillars["durable_solutions"]["funded_share"] is None
        assert summary["funding"] == RECEPTION

    def test_a_past_day_has_no_funding_figures(self, client: TestClient, world: World) -> None:
        summary = client.get(
            world.url("/summary?as_of=2024-01-01"), headers=world.headers("viewer")
        ).json()
        assert summary["funding"] is None
        assert summary["items_funding"] is None
        assert {p["funding"] is None for p in summary["pillars"]} == {True}

    def test_advancing_a_pledge_makes_it_funding(self, client: TestClient, world: World) -> None:
        pledges = client.get(world.url("/funding?status=pledge"), headers=world.headers("viewer"))
        (pledge,) = pledges.json()["items"]
        url = world.url(f"/funding/{pledge['id']}")
        headers = {**world.headers("coordinator"), "If-Match": f'"v{pledge["version"]}"'}
        assert client.patch(url, json={"status": "commitment"}, headers=headers).status_code == 200
        summary = client.get(world.url("/summary"), headers=world.headers("viewer")).json()
        five_a = next(e["funding"] for e in summary["items_funding"] if e["code"] == "5a")
        assert five_a["funded_usd"] == "555.76"
        assert five_a["pledged_usd"] == "0.00"


@pytest.mark.usefixtures("money")
class TestItemReadFunding:
    def test_the_item_read_has_the_same_figures_as_the_summary(
        self, client: TestClient, world: World
    ) -> None:
        item = client.get(world.url("/items/5a"), headers=world.headers("partner_b")).json()
        assert item["funding"] == FIVE_A

    def test_an_item_without_money_reads_zeros(self, client: TestClient, world: World) -> None:
        item = client.get(world.url("/items/6a"), headers=world.headers("viewer")).json()
        assert item["funding"] == {
            "required_usd": "0.00",
            "funded_usd": "0.00",
            "paid_usd": "0.00",
            "pledged_usd": "0.00",
            "gap_usd": "0.00",
            "funded_share": None,
        }

    def test_lists_and_changes_carry_none(self, client: TestClient, world: World) -> None:
        listed = client.get(world.url("/items?limit=5"), headers=world.headers("viewer")).json()
        assert {item["funding"] is None for item in listed["items"]} == {True}
        headers = {**world.headers("coordinator"), "If-Match": '"v1"'}
        patched = client.patch(world.url("/items/7a"), json={"status": "planned"}, headers=headers)
        assert patched.json()["funding"] is None

    def test_the_response_model_declares_it(self, client: TestClient) -> None:
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
        funding = schemas["ItemRead"]["properties"]["funding"]
        assert {"$ref": "#/components/schemas/Funding"} in funding["anyOf"]


@pytest.mark.usefixtures("money")
class TestRollupFunding:
    def elements(self, client: TestClient, world: World, who: str, query: str = "") -> Any:
        response = client.get(f"/api/v1/summary{query}", headers=world.headers(who))
        assert response.status_code == 200, response.text
        return response.json()

    def test_per_element_across_the_situations_you_may_see(
        self, client: TestClient, world: World
    ) -> None:
        flow(client, world, ["5a"], amount="7.00", situation=world.url("/funding", world.s2))
        mine = self.elements(client, world, "partner_b")
        five_a = next(e for e in mine["elements"] if e["code"] == "5a")
        assert five_a["funding"] == FIVE_A  # not s2's seven dollars
        assert mine["funding"]["funded_usd"] == "112.31"
        theirs = self.elements(client, world, "outsider")
        five_a = next(e for e in theirs["elements"] if e["code"] == "5a")
        assert five_a["funding"]["funded_usd"] == "7.00"
        assert five_a["funding"]["required_usd"] == "0.00"
        every = self.elements(client, world, "admin")
        five_a = next(e for e in every["elements"] if e["code"] == "5a")
        # The admin sees every situation, those of other tests' worlds too.
        assert float(five_a["funding"]["funded_usd"]) >= 62.76

    def test_elements_with_a_gap_above_a_share(self, client: TestClient, world: World) -> None:
        found = self.elements(client, world, "viewer", "?funding_gap_above=0.9")
        assert [e["code"] for e in found["elements"]] == ["5a"]
        assert [
            e["code"]
            for e in self.elements(client, world, "viewer", "?funding_gap_above=0.95")["elements"]
        ] == []

    def test_a_share_outside_0_to_1_is_refused(self, client: TestClient, world: World) -> None:
        response = client.get(
            "/api/v1/summary?funding_gap_above=2", headers=world.headers("viewer")
        )
        assert response.status_code == 422


@pytest.mark.usefixtures("money")
class TestExportFunding:
    def test_hxl_rows_carry_the_funding_columns(self, client: TestClient, world: World) -> None:
        response = client.get(world.url("/export?format=hxl"), headers=world.headers("viewer"))
        header, tags, *body = list(csv.reader(io.StringIO(response.text)))
        rows = {row[header.index("code")]: dict(zip(tags, row, strict=True)) for row in body}
        assert {k: v for k, v in rows["5a"].items() if k.startswith("#value")} == {
            "#value+funding+required+usd": "1000.10",
            "#value+funding+total+usd": "55.76",
            "#value+funding+pct": "5.58",
            "#value+funding+paid+usd": "55.56",
            "#value+funding+pledged+usd": "500.00",
        }
        assert rows["5b"]["#value+funding+pct"] == "27775.00"
        assert rows["6a"]["#value+funding+pct"] == ""

    def test_the_rollup_export_adds_the_same(self, client: TestClient, world: World) -> None:
        response = client.get("/api/v1/summary/export", headers=world.headers("viewer"))
        rows = list(csv.DictReader(io.StringIO(response.text)))
        five_c = next(row for row in rows if row["code"] == "5c")
        assert (five_c["required_usd"], five_c["funded_usd"], five_c["funded_pct"]) == (
            "1.00",
            "1.00",
            "100.00",
        )


class TestStoredTotals:
    def test_each_item_s_totals_are_its_requirements_and_flows(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        requirement(client, world, "5a", 2024, "10.00")
        one = flow(client, world, ["5a", "5b"], amount="3.01")
        two = flow(client, world, ["5b"], status="pledge", amount="1.00")
        headers = world.headers("coordinator")
        url = world.url(f"/funding/{one['id']}")
        moved = {"items": ["5c"], "status": "paid"}
        response = client.patch(url, json=moved, headers={**headers, "If-Match": '"v1"'})
        assert response.status_code == 200, response.text
        assert client.delete(world.url(f"/funding/{two['id']}"), headers=headers).status_code == 204
        stored = {
            code: cents
            for code, *cents in connection.execute(
                select(
                    ChecklistItem.code,
                    ItemFunding.required_cents,
                    ItemFunding.committed_cents,
                    ItemFunding.paid_cents,
                    ItemFunding.pledged_cents,
                )
                .join(ChecklistItem, ChecklistItem.id == ItemFunding.item_id)
                .where(ItemFunding.situation_id == world.s1.id)
            )
        }
        # 5b's money went with the flow to 5c; the deleted pledge left no row behind.
        assert stored == {"5a": [1000, 0, 0, 0], "5c": [0, 0, 301, 0]}
