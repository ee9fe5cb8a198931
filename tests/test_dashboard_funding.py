"""The dashboard's funding bars: per pillar and per item on the situation page, the item's
requirements and flows on its page, per element on the roll-up; in words, not only bars."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.test_dashboard import assert_page, find, sign_in, text_of
from tests.test_funding_figures import flow, requirement


@pytest.fixture
def money(client: TestClient, world: World) -> None:
    requirement(client, world, "5a", 2024, "1000.00")
    flow(client, world, ["5a"], amount="250.00")
    flow(client, world, ["5a"], status="pledge", amount="100.00")


def bar(html: str, name: str) -> dict[str, str]:
    (found,) = find(html, "progress", id=f"funding-{name}")
    return found


@pytest.mark.usefixtures("money")
class TestFundingBars:
    def test_the_situation_page_has_a_bar_per_pillar_and_per_funded_item(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "viewer")
        html = assert_page(client.get(f"/situations/{world.s1.id}"), 200)
        assert bar(html, "reception")["value"] == "0.25"
        assert bar(html, "durable_solutions")["value"] == "0"
        assert bar(html, "item-5a")["value"] == "0.25"
        assert find(html, "label", for_="funding-reception")
        words = text_of(html)
        assert "$250.00 of $1,000.00 funded (25%)" in words
        assert "Pledged, not counted as funding: $100.00" in words
        assert "Gap: $750.00" in words

    def test_the_item_page_lists_its_requirements_and_flows(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "partner_b")
        html = assert_page(client.get(f"/situations/{world.s1.id}/items/5a"), 200)
        assert bar(html, "item")["value"] == "0.25"
        assert len([row for row in find(html, "tr") if "data-flow" in row]) == 2
        words = text_of(html)
        assert "2024 $1,000.00 Indicative" in words
        # The requirement's event, in the item's history.
        assert "Requirement set" in words and "Required (USD) 1000.00" in words
        assert "Pledge" in words and "Commitment" in words

    def test_an_item_without_money_says_so(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        html = assert_page(client.get(f"/situations/{world.s1.id}/items/6a"), 200)
        assert "No requirement set." in text_of(html)
        assert "No funding flow recorded." in text_of(html)
        assert "$0.00 funded, no requirement set" in text_of(html)

    def test_the_rollup_has_a_bar_per_funded_element(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        html = assert_page(client.get("/rollup"), 200)
        assert bar(html, "element-5a")["value"] == "0.25"
        assert bar(html, "rollup")["value"] == "0.25"
        assert not find(html, "progress", id="funding-element-6a")

    def test_in_french(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        client.cookies.set("crrf_language", "fr")
        html = assert_page(client.get(f"/situations/{world.s1.id}"), 200)
        assert "1 000,00 $US" in text_of(html).replace("\u202f", " ").replace("\xa0", " ")
