"""Pledges on the dashboard: the public list with its filters, and an item's pledges."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import World, make_pledge
from tests.test_dashboard import assert_page, find, parse, sign_in, text_of


def pledge(db: Session, world: World, **fields: object) -> None:
    make_pledge(db, world.users["admin"], world.orgs["ngo_a"], world.s1, **fields)
    db.commit()


class TestPledgesPage:
    def test_every_user_reads_every_pledge_with_its_parties(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        parties = [
            {"organisation_id": world.orgs["ngo_a"].id, "role": "submitter", "share": "0.75"},
            {"organisation_id": world.orgs["unhcr"].id, "role": "matcher"},
        ]
        pledge(db, world, title="Registration desks", parties=parties, codes=("5a", "6a"))
        sign_in(client, world, "stranger")  # a member of no situation
        html = assert_page(client.get("/pledges"), 200)
        text = text_of(html)
        assert "Registration desks" in text and "Submitter" in text
        assert world.orgs["ngo_a"].name in text
        assert "75%" in text and "Matcher" in text
        assert "2 elements in situations you are not a member of" in text
        assert not find(html, "a", href=f"/situations/{world.s1.id}/items/5a")
        assert find(html, "a", href="/pledges", **{"aria-current": "page"})
        sign_in(client, world, "viewer")
        html = client.get("/pledges").text
        assert find(html, "a", href=f"/situations/{world.s1.id}/items/5a")
        assert world.s1.name in text_of(html)

    def test_filters_by_forum_type_objective_and_status(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        pledge(db, world, title="Cash for schools", forum="GRF 2019", gcr_objectives=[2])
        pledge(db, world, title="Resettlement places", type="resettlement", status="fulfilled")
        sign_in(client, world, "viewer")
        for query, shown, hidden in (
            ("forum=grf+2019", "Cash for schools", "Resettlement places"),
            ("type=resettlement", "Resettlement places", "Cash for schools"),
            ("objective=2", "Cash for schools", "Resettlement places"),
            ("status=fulfilled&type=&forum=", "Resettlement places", "Cash for schools"),
        ):
            text = text_of(assert_page(client.get(f"/pledges?{query}"), 200))
            assert shown in text and hidden not in text, query
        html = client.get("/pledges?objective=2").text
        assert find(html, "option", value="2", selected="")
        assert find(html, "label", **{"for": "p-objective"})
        assert_page(client.get("/pledges?objective=9"), 422)

    def test_a_table_with_headers(self, client: TestClient, world: World, db: Session) -> None:
        pledge(db, world)
        sign_in(client, world, "viewer")
        html = client.get("/pledges").text
        tags = [name for name, _ in parse(html).found]
        assert "caption" in tags and find(html, "th", scope="col") and find(html, "th", scope="row")

    def test_in_french(self, client: TestClient, world: World, db: Session) -> None:
        pledge(db, world, type="complementary_pathways")
        sign_in(client, world, "viewer")
        text = text_of(client.get("/pledges", headers={"Accept-Language": "fr"}).text)
        assert "Engagements" in text and "Voies complémentaires" in text


class TestItemPledges:
    def test_the_item_page_lists_its_pledges(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        pledge(db, world, title="Border screening kits", forum="national")
        sign_in(client, world, "viewer")
        text = text_of(assert_page(client.get(f"/situations/{world.s1.id}/items/5a"), 200))
        assert "Border screening kits" in text and "national" in text
        assert "Pledge made" in text  # its history
        other = text_of(client.get(f"/situations/{world.s1.id}/items/7a").text)
        assert "No pledge serves this item yet." in other
