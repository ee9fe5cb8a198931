"""The actor registry: read by any user, written by admins."""

from fastapi.testclient import TestClient

from app.core.vocab import OrganisationType
from tests.factories import World
from tests.helpers import assert_problem

ORGS = "/api/v1/organisations"


class TestCreateOrganisation:
    def test_admin_registers_an_organisation(
        self, client: TestClient, world: World, unique: str
    ) -> None:
        response = client.post(
            ORGS,
            json={
                "name": f"Refugee Welfare Council {unique}",
                "acronym": "RWC",
                "type": "refugee_led",
                "country": "uga",
            },
            headers=world.headers("admin"),
        )
        assert response.status_code == 201
        body = response.json()
        assert response.headers["location"] == f"{ORGS}/{body['id']}"
        assert body["country"] == "UGA"
        assert body["iati_type"] == "22"
        assert client.get(f"{ORGS}/{body['id']}", headers=world.headers("viewer")).json() == body

    def test_kosovo_is_a_country_as_xkx(
        self, client: TestClient, world: World, unique: str
    ) -> None:
        headers = world.headers("admin")
        response = client.post(
            ORGS,
            json={"name": f"Kosovo Council {unique}", "type": "refugee_led", "country": "XKX"},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        assert response.json()["country"] == "XKX"
        listed = client.get(f"{ORGS}?country=xkx&limit=100", headers=headers).json()["items"]
        assert response.json()["id"] in {o["id"] for o in listed}
        assert_problem(
            client.post(
                ORGS,
                json={"name": f"No such {unique}", "type": "other", "country": "XKY"},
                headers=headers,
            ),
            422,
        )

    def test_every_type_of_the_vocabulary_is_accepted(
        self, client: TestClient, world: World, unique: str
    ) -> None:
        for type_ in OrganisationType:
            response = client.post(
                ORGS,
                json={"name": f"{type_} {unique}", "type": type_.value},
                headers=world.headers("admin"),
            )
            assert response.status_code == 201, type_

    def test_duplicate_name_is_409(self, client: TestClient, world: World) -> None:
        name = world.orgs["unhcr"].name.upper()
        response = client.post(
            ORGS, json={"name": name, "type": "un_agency"}, headers=world.headers("admin")
        )
        assert_problem(response, 409)

    def test_non_admin_cannot_register(self, client: TestClient, world: World) -> None:
        response = client.post(
            ORGS, json={"name": "X", "type": "other"}, headers=world.headers("coordinator")
        )
        assert_problem(response, 403)


class TestListOrganisations:
    def test_filters_by_type_country_and_text(self, client: TestClient, world: World) -> None:
        headers = world.headers("partner_a")
        by_type = client.get(f"{ORGS}?type=refugee_led", headers=headers).json()["items"]
        assert {o["id"] for o in by_type} >= {str(world.orgs["rlo"].id)}
        assert all(o["type"] == "refugee_led" for o in by_type)
        by_country = client.get(f"{ORGS}?country=KEN", headers=headers).json()["items"]
        assert all(o["country"] == "KEN" for o in by_country)
        by_text = client.get(f"{ORGS}?q=unhcr", headers=headers).json()["items"]
        assert str(world.orgs["unhcr"].id) in {o["id"] for o in by_text}

    def test_pages_with_a_cursor(self, client: TestClient, world: World) -> None:
        headers = world.headers("viewer")
        seen: list[str] = []
        url = f"{ORGS}?limit=2"
        while url:
            page = client.get(url, headers=headers).json()
            assert len(page["items"]) <= 2
            seen += [o["id"] for o in page["items"]]
            url = f"{ORGS}?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
        everything = client.get(f"{ORGS}?limit=200", headers=headers).json()["items"]
        assert seen == [o["id"] for o in everything]
        assert len(seen) == len(set(seen)) >= 5


class TestUpdateOrganisation:
    def test_admin_changes_fields(self, client: TestClient, world: World) -> None:
        org = world.orgs["ngo_b"]
        response = client.patch(
            f"{ORGS}/{org.id}",
            json={"acronym": "NGOB", "country": "KEN"},
            headers=world.headers("admin"),
        )
        assert response.status_code == 200
        assert response.json()["acronym"] == "NGOB"
        assert response.json()["name"] == org.name

    def test_name_cannot_be_nulled(self, client: TestClient, world: World) -> None:
        org = world.orgs["ngo_b"]
        assert_problem(
            client.patch(f"{ORGS}/{org.id}", json={"name": None}, headers=world.headers("admin")),
            422,
        )

    def test_unknown_organisation_is_404(self, client: TestClient, world: World) -> None:
        assert_problem(
            client.get(
                f"{ORGS}/00000000-0000-4000-8000-000000000000", headers=world.headers("admin")
            ),
            404,
        )


def test_names_are_unique_ignoring_case_in_any_script(client: TestClient, world: World) -> None:
    headers = world.headers("admin")
    assert (
        client.post(ORGS, json={"name": "Íà Straße", "type": "donor"}, headers=headers).status_code
        == 201
    )
    assert_problem(
        client.post(ORGS, json={"name": "íÀ STRASSE", "type": "donor"}, headers=headers), 409
    )
    found = client.get(f"{ORGS}?q=STRASSE", headers=headers).json()["items"]
    assert [o["name"] for o in found] == ["Íà Straße"]
