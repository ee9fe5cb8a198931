"""Admin pages: open a situation with its population, register an organisation, create a user
and show their invitation link once; errors next to their fields, with what was typed."""

from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.models import Organisation, Situation, User
from tests.factories import World
from tests.helpers import state_fingerprint
from tests.test_dashboard import assert_page, csrf_of, find, sign_in, text_of

SITUATION = {
    "name": "Burundian refugees in Tanzania",
    "host_country": "TZA",
    "origin_countries": "BDI, COD",
    "start_date": "2015-05-01",
    "phase": "protracted",
    "review_policy": "review",
    "stale_after_days": "60",
    "population-0-population_type": "REF",
    "population-0-date": "2024-12-31",
    "population-0-total": "250000",
}


def post(client: TestClient, path: str, data: dict[str, str], **extra: Any) -> Any:
    return client.post(
        path, data={**data, "csrf_token": csrf_of(client)}, follow_redirects=False, **extra
    )


def situations_named(db: Session, name: str) -> int:
    return db.scalar(select(func.count()).where(Situation.name == name)) or 0


class TestSituationForm:
    def test_opens_a_situation_with_its_population_and_checklist(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "admin")
        form = assert_page(client.get("/admin/situations/new"), 200)
        [key] = find(form, "input", name="idempotency_key")
        response = post(client, "/admin/situations", {**SITUATION, "idempotency_key": key["value"]})
        assert response.status_code == 303
        page = assert_page(client.get(response.headers["location"]), 200)
        assert "250,000" in text_of(page)
        assert len([a for a in find(page, "tr") if "data-code" in a]) == 43

    def test_a_double_tap_opens_one_situation(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "admin")
        data = {**SITUATION, "name": "Double tap", "idempotency_key": "tap-1"}
        first = post(client, "/admin/situations", data)
        second = post(client, "/admin/situations", data)
        assert first.status_code == second.status_code == 303
        assert first.headers["location"] == second.headers["location"]
        assert situations_named(db, "Double tap") == 1

    def test_errors_stand_next_to_their_fields_keeping_what_was_typed(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "admin")
        before = state_fingerprint(connection)
        bad = {**SITUATION, "host_country": "XXQ", "population-0-total": "-5", "name": ""}
        html = assert_page(post(client, "/admin/situations", bad), 422)
        for name in ("host_country", "population-0-total", "name"):
            [field] = find(html, "input", name=name)
            assert field["aria-invalid"] == "true", name
            assert f"{name}-error" in field["aria-describedby"].split()
            assert find(html, "p", id=f"{name}-error")
        assert find(html, "input", name="origin_countries", value="BDI, COD")
        assert find(html, "input", name="host_country", value="XXQ")
        assert state_fingerprint(connection) == before


class TestOrganisationForm:
    def test_registers_an_organisation(self, client: TestClient, world: World, db: Session) -> None:
        sign_in(client, world, "admin")
        data = {"name": "Tanzania Red Cross", "acronym": "TRCS", "type": "national_ngo"}
        response = post(client, "/admin/organisations", {**data, "country": "TZA"})
        assert response.status_code == 303
        page = assert_page(client.get(response.headers["location"]), 200)
        assert "Tanzania Red Cross is registered." in text_of(page)
        found = db.scalar(select(Organisation).where(Organisation.name == "Tanzania Red Cross"))
        assert found is not None and found.country == "TZA"

    def test_a_taken_name_is_told_next_to_the_name(self, client: TestClient, world: World) -> None:
        sign_in(client, world, "admin")
        taken = {"name": world.orgs["ngo_a"].name.upper(), "type": "national_ngo"}
        html = assert_page(post(client, "/admin/organisations", taken), 422)
        [field] = find(html, "input", name="name")
        assert field["aria-invalid"] == "true" and field["value"] == taken["name"]
        assert "exists already" in text_of(html)


class TestUserForm:
    def test_creates_a_user_and_shows_the_invitation_link_once(
        self, client: TestClient, world: World, db: Session
    ) -> None:
        sign_in(client, world, "admin")
        data = {
            "email": "Focal.Point@Example.org",
            "name": "Focal Point",
            "organisation_id": str(world.orgs["gov"].id),
        }
        response = post(client, "/admin/users", data)
        html = assert_page(response, 200)
        assert response.headers["cache-control"] == "no-store"
        [link] = find(html, "input", id="invitation-link")
        path = urlsplit(link["value"]).path
        assert path.startswith("/invitations/")
        user = db.scalar(select(User).where(User.email == "focal.point@example.org"))
        assert user is not None and user.organisation_id == world.orgs["gov"].id
        client.cookies.clear()
        assert_page(client.get(path), 200)  # the link works

    def test_sending_it_again_changes_nothing(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "admin")
        data = {"email": world.users["viewer"].email, "name": "Again"}
        before = state_fingerprint(connection)
        html = assert_page(post(client, "/admin/users", data), 422)
        [field] = find(html, "input", name="email")
        assert field["aria-invalid"] == "true"
        assert state_fingerprint(connection) == before


PAGES = [
    ("GET", "/admin", None),
    ("GET", "/admin/situations/new", None),
    ("POST", "/admin/situations", {**SITUATION, "name": "Not by you"}),
    ("GET", "/admin/organisations/new", None),
    ("POST", "/admin/organisations", {"name": "Not by you", "type": "national_ngo"}),
    ("GET", "/admin/users/new", None),
    ("POST", "/admin/users", {"email": "not-by-you@example.org", "name": "Not by you"}),
]


class TestOnlyAdmins:
    @pytest.mark.parametrize("who", ["coordinator", "partner_a", "viewer", "outsider"])
    @pytest.mark.parametrize(("method", "path", "data"), PAGES, ids=[p[1] for p in PAGES])
    def test_others_are_refused_and_nothing_changes(
        self,
        client: TestClient,
        world: World,
        connection: Connection,
        who: str,
        method: str,
        path: str,
        data: dict[str, str] | None,
    ) -> None:
        sign_in(client, world, who)
        before = state_fingerprint(connection)
        response = client.get(path) if method == "GET" else post(client, path, data or {})
        assert_page(response, 403)
        assert state_fingerprint(connection) == before

    def test_a_post_without_its_token_is_refused(
        self, client: TestClient, world: World, connection: Connection
    ) -> None:
        sign_in(client, world, "admin")
        before = state_fingerprint(connection)
        response = client.post("/admin/organisations", data={"name": "X", "type": "other"})
        assert_page(response, 403)
        assert state_fingerprint(connection) == before

    def test_signed_out_goes_to_sign_in(self, client: TestClient) -> None:
        response = client.get("/admin/users/new", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin")
