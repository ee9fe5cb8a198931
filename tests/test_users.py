"""Users: admins create them; everyone reads themself."""

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.factories import World, auth
from tests.helpers import assert_problem

USERS = "/api/v1/users"


class TestCreateUser:
    def test_admin_creates_a_user_in_an_organisation(
        self, client: TestClient, world: World, unique: str
    ) -> None:
        org = world.orgs["ngo_a"]
        response = client.post(
            USERS,
            json={
                "email": f"Field.Officer-{unique}@Example.org",
                "name": "Field Officer",
                "organisation_id": str(org.id),
            },
            headers=world.headers("admin"),
        )
        assert response.status_code == 201
        body = response.json()
        assert body["email"] == f"field.officer-{unique}@example.org"
        assert body["organisation"]["id"] == str(org.id)
        assert response.headers["location"] == f"{USERS}/{body['id']}"

    def test_duplicate_email_is_409(self, client: TestClient, world: World) -> None:
        email = world.users["viewer"].email
        assert_problem(
            client.post(USERS, json={"email": email, "name": "X"}, headers=world.headers("admin")),
            409,
        )

    def test_unknown_organisation_is_422(
        self, client: TestClient, world: World, unique: str
    ) -> None:
        response = client.post(
            USERS,
            json={
                "email": f"x-{unique}@example.org",
                "name": "X",
                "organisation_id": "00000000-0000-4000-8000-000000000000",
            },
            headers=world.headers("admin"),
        )
        assert_problem(response, 422)

    def test_invalid_email_is_422(self, client: TestClient, world: World) -> None:
        assert_problem(
            client.post(
                USERS, json={"email": "nobody", "name": "X"}, headers=world.headers("admin")
            ),
            422,
        )

    def test_non_admin_cannot_create_or_list(self, client: TestClient, world: World) -> None:
        headers = world.headers("coordinator")
        assert_problem(
            client.post(USERS, json={"email": "a@b.org", "name": "X"}, headers=headers), 403
        )
        assert_problem(client.get(USERS, headers=headers), 403)


class TestReadUsers:
    def test_me_shows_organisation_and_situations(self, client: TestClient, world: World) -> None:
        me = client.get(f"{USERS}/me", headers=world.headers("partner_a")).json()
        assert me["id"] == str(world.users["partner_a"].id)
        assert me["organisation"]["name"] == world.orgs["ngo_a"].name
        assert [(m["situation_id"], m["role"]) for m in me["memberships"]] == [
            (str(world.s1.id), "partner")
        ]

    def test_users_read_themselves_but_not_others(self, client: TestClient, world: World) -> None:
        me, other = world.users["viewer"], world.users["partner_a"]
        assert client.get(f"{USERS}/{me.id}", headers=world.headers("viewer")).status_code == 200
        assert_problem(client.get(f"{USERS}/{other.id}", headers=world.headers("viewer")), 404)

    def test_admin_lists_users_by_organisation(self, client: TestClient, world: World) -> None:
        org = world.orgs["rlo"]
        page = client.get(
            f"{USERS}?organisation_id={org.id}", headers=world.headers("admin")
        ).json()
        assert {u["id"] for u in page["items"]} == {
            str(world.users["outsider"].id),
            str(world.users["stranger"].id),
        }


class TestCommandLine:
    def test_users_create_prints_a_working_token_last(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        env = {**os.environ, "CRRF_DATABASE_URL": url}

        def crrf(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "app.cli", *args],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )

        assert crrf("db", "upgrade").returncode == 0
        created = crrf(
            "users", "create", "--email", "Admin@Example.org", "--name", "Admin", "--admin"
        )
        assert created.returncode == 0, created.stderr
        token = created.stdout.strip().splitlines()[-1]
        again = crrf("tokens", "create", "--email", "admin@example.org")
        second = again.stdout.strip().splitlines()[-1]
        assert token.startswith("crrf_") and second.startswith("crrf_") and token != second
        duplicate = crrf("users", "create", "--email", "admin@example.org", "--name", "Again")
        assert duplicate.returncode == 1
        assert "exists already" in duplicate.stderr
        with TestClient(create_app(Settings(database_url=url))) as client:
            for secret in (token, second):
                me = client.get(f"{USERS}/me", headers=auth(secret)).json()
                assert me["is_admin"] is True
