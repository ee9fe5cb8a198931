"""The dashboard's funding bars: per pillar and per item on the situation page, the item's
requirements and flows on its page, per element on the roll-up; in words, not only bars.
The item page's money forms: a year's requirement, and a funding flow."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tests.factories import World, make_pledge
from tests.helpers import state_fingerprint
from tests.test_dashboard import assert_page, csrf_of, find, sign_in, text_of
from tests.test_funding import events
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


class TestFlowForm:
    def page(self, client: TestClient, world: World, code: str = "5a") -> str:
        return assert_page(client.get(f"/situations/{world.s1.id}/items/{code}"), 200)

    def fields(self, client: TestClient, world: World, **values: str) -> dict[str, str]:
        (key,) = find(self.page(client, world), "input", name="flow_key")
        return {
            "csrf_token": csrf_of(client),
            "flow_key": key["value"],
            "status": "commitment",
            "source_organisation_id": str(world.orgs["unhcr"].id),
            "destination_organisation_id": str(world.orgs["ngo_a"].id),
            "amount": "900.00",
            "currency": "EUR",
            "exchange_rate": "0.9",
            "date": "2024-06-01",
            "budget_year": "2024",
            "fts_flow_id": "FTS-123",
            **values,
        }

    def post(self, client: TestClient, world: World, fields: dict[str, str]) -> Any:
        url = f"/situations/{world.s1.id}/items/5a/funding"
        return client.post(url, data=fields, follow_redirects=False)

    def flows(self, client: TestClient, world: World) -> list[dict[str, Any]]:
        listed = client.get(world.url("/funding?item=5a"), headers=world.headers("coordinator"))
        items: list[dict[str, Any]] = listed.json()["items"]
        return items

    def test_a_coordinator_records_a_flow_through_the_api_s_rules(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "coordinator")
        sent = self.post(client, world, self.fields(client, world))
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"].endswith("/items/5a?saved=flow#funding-title")
        (flow,) = self.flows(client, world)
        assert (flow["amount_usd"], flow["currency"], flow["fts_flow_id"]) == (
            "1000.00",
            "EUR",
            "FTS-123",
        )
        assert flow["destination_organisation_id"] == str(world.orgs["ngo_a"].id)
        assert flow["items"] == ["5a"]
        assert len(events(connection, "funding.recorded")) == 1
        html = assert_page(client.get(sent.headers["location"]), 200)
        assert "The funding flow was recorded." in text_of(html)
        assert bar(html, "item")["value"] == "0"  # funded, but nothing is required

    def test_a_double_tap_or_a_retry_records_one_flow(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        fields = self.fields(client, world)
        first = self.post(client, world, fields)
        again = self.post(client, world, fields)
        assert again.status_code == 303
        assert again.headers["location"] == first.headers["location"]
        assert len(self.flows(client, world)) == 1
        # The same key with other values: refused, with a fresh key to send them again.
        other = self.post(client, world, {**fields, "amount": "450.00"})
        html = assert_page(other, 422)
        assert "that flow was recorded" in text_of(html)
        (key,) = find(html, "input", name="flow_key")
        assert key["value"] != fields["flow_key"]
        assert len(self.flows(client, world)) == 1

    def test_errors_show_next_to_their_fields_with_what_was_typed(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "coordinator")
        before = state_fingerprint(connection)
        wrong = {"amount": "12,5", "currency": "EUX", "budget_year": "1066"}
        html = assert_page(self.post(client, world, self.fields(client, world, **wrong)), 422)
        assert state_fingerprint(connection) == before
        assert "Nothing was recorded" in text_of(html)
        for name in ("amount", "currency", "budget_year"):
            (field,) = find(html, "input", id=f"flow-{name}")
            assert field["value"] == wrong[name]
            assert field["aria-invalid"] == "true"
            assert f"flow-{name}-error" in field["aria-describedby"]
            assert find(html, "p", id=f"flow-{name}-error")
        (rate,) = find(html, "input", id="flow-exchange_rate")
        assert rate["value"] == "0.9"

    def test_the_money_rules_speak_next_to_their_field(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        fields = self.fields(client, world, exchange_rate="", amount_usd="")
        html = assert_page(self.post(client, world, fields), 422)
        assert find(html, "p", id="flow-amount_usd-error")
        assert "give the amount in US dollars or the rate" in text_of(html)
        taken = self.fields(client, world)
        assert self.post(client, world, taken).status_code == 303
        again = self.fields(client, world)  # a new form, the same FTS id
        html = assert_page(self.post(client, world, again), 422)
        assert find(html, "p", id="flow-fts_flow_id-error")
        assert len(self.flows(client, world)) == 1

    def test_a_partner_records_only_their_organisation_s_flows(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "partner_b")  # not an owner of 5a: a flow may serve any item
        html = self.page(client, world)
        sources = html.split('id="flow-source_organisation_id"', 1)[1].split("</select>", 1)[0]
        assert [o["value"] for o in find(sources, "option")] == [str(world.orgs["ngo_b"].id)]
        own = self.fields(client, world, source_organisation_id=str(world.orgs["ngo_b"].id))
        assert self.post(client, world, own).status_code == 303
        before = state_fingerprint(connection)
        other = self.fields(client, world)  # UNHCR's money: refused, as by the API
        assert_page(self.post(client, world, other), 403)
        assert state_fingerprint(connection) == before

    def test_viewers_see_no_form_and_may_not_post(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "viewer")
        assert not find(self.page(client, world), "input", name="flow_key")
        before = state_fingerprint(connection)
        fields = {"csrf_token": csrf_of(client), "flow_key": "k", "amount": "1", "currency": "USD"}
        assert_page(self.post(client, world, fields), 403)
        assert state_fingerprint(connection) == before

    def test_in_french(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "coordinator")
        client.cookies.set("crrf_language", "fr")
        words = text_of(self.page(client, world))
        assert "Enregistrer un flux de financement" in words
        assert "Engagement ferme" in words


@pytest.mark.usefixtures("money")
class TestRollupFilters:
    def elements(self, html: str) -> list[str]:
        return [row["data-element"] for row in find(html, "tr") if "data-element" in row]

    def test_a_funding_gap_above_a_share_keeps_the_less_funded(
        self, client: TestClient, world: World
    ) -> None:
        sign_in(client, world, "coordinator")
        html = assert_page(client.get("/rollup?funding_gap_above=0.5"), 200)
        assert self.elements(html) == ["5a"]  # three quarters of it unfunded
        assert find(html, "option", value="0.5", selected="")
        assert bar(html, "element-5a")["value"] == "0.25"
        html = assert_page(client.get("/rollup?funding_gap_above=0.8"), 200)
        assert self.elements(html) == []
        assert find(html, "option", value="0.8", selected="")  # a share of one's own
        assert len(self.elements(assert_page(client.get("/rollup?funding_gap_above="), 200))) == 43

    def test_pledged_but_not_in_place(self, client: TestClient, world: World, db: Session) -> None:
        make_pledge(db, world.users["partner_b"], world.orgs["ngo_b"], world.s1, ("6a",))
        db.commit()
        sign_in(client, world, "viewer")
        html = assert_page(client.get("/rollup?pledged_not_in_place=true"), 200)
        assert self.elements(html) == ["6a"]
        assert find(html, "input", id="r-pledged", checked="")
        assert "pledged, not in place in 1 situation" in text_of(html)
        assert not find(assert_page(client.get("/rollup"), 200), "input", checked="")

    def test_a_share_outside_0_to_1_is_refused(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "viewer")
        assert_page(client.get("/rollup?funding_gap_above=2"), 422)
