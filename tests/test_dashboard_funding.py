"""The dashboard's funding bars: per pillar and per item on the situation page, the item's
requirements and flows on its page, per element on the roll-up; in words, not only bars."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.test_dashboard import assert_page, csrf_of, find, sign_in, text_of
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


class TestRequirementForm:
    def page(self, client: TestClient, world: World) -> str:
        return assert_page(client.get(f"/situations/{world.s1.id}/items/5a"), 200)

    def test_a_coordinator_sets_a_year_and_replaces_it(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        url = f"/situations/{world.s1.id}/items/5a/requirements"
        form = {"csrf_token": csrf_of(client), "year": "2026", "amount_usd": "1200.50"}
        sent = client.post(url, data={**form, "versions": ""}, follow_redirects=False)
        assert sent.status_code == 303, sent.text
        assert "2026 $1,200.50 Indicative" in text_of(self.page(client, world))
        (versions,) = find(self.page(client, world), "input", name="versions")
        assert versions["value"] == "2026:1"
        again = {**form, "amount_usd": "900", "budget_status": "committed", "versions": "2026:1"}
        assert client.post(url, data=again, follow_redirects=False).status_code == 303
        assert "2026 $900.00 Committed" in text_of(self.page(client, world))
        # A page that showed the first version is stale now: refused, nothing changed.
        stale = client.post(url, data={**form, "versions": "2026:1"}, follow_redirects=False)
        assert stale.status_code == 412
        assert "2026 $900.00 Committed" in text_of(self.page(client, world))

    def test_a_wrong_amount_is_refused(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        url = f"/situations/{world.s1.id}/items/5a/requirements"
        form = {"csrf_token": csrf_of(client), "year": "2026", "amount_usd": "12,5"}
        assert client.post(url, data=form, follow_redirects=False).status_code == 422

    def test_only_coordinators_see_the_form(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "partner_a")
        assert not find(self.page(client, world), "input", name="versions")
        sign_in(client, world, "coordinator")
        assert find(self.page(client, world), "input", name="versions")
