"""Bearer tokens: required everywhere but the public probes and docs; hashed; revocable."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.tokens import hash_token
from app.core.base import utcnow
from app.models import ApiToken
from tests.factories import World, auth
from tests.helpers import assert_problem


class TestAuthentication:
    @pytest.mark.parametrize("path", ["/healthz", "/readyz", "/docs", "/openapi.json"])
    def test_public_paths_answer_without_a_token(self, client: TestClient, path: str) -> None:
        assert client.get(path).status_code == 200

    def test_api_needs_a_token(self, client: TestClient, world: World) -> None:
        response = client.get(world.url())
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")

    @pytest.mark.parametrize(
        "header",
        [
            "Bearer crrf_not-a-real-token",
            "Basic dXNlcjpwYXNz",
            "Bearer",
            "crrf_raw",
            "Bearer " + "x" * 5000,
        ],
    )
    def test_wrong_credentials_are_401(self, client: TestClient, world: World, header: str) -> None:
        assert_problem(client.get("/api/v1/users/me", headers={"Authorization": header}), 401)

    def test_token_is_stored_only_as_its_hash(self, db: Session, world: World) -> None:
        token = world.tokens["viewer"]
        stored = db.scalars(
            select(ApiToken).where(ApiToken.user_id == world.users["viewer"].id)
        ).one()
        assert stored.token_hash == hash_token(token)
        assert token not in (stored.token_hash, stored.prefix, stored.name)

    def test_revoked_token_is_refused(self, client: TestClient, world: World) -> None:
        user = world.users["partner_a"]
        headers = world.headers("partner_a")
        [token] = client.get(f"/api/v1/users/{user.id}/tokens", headers=headers).json()["items"]
        response = client.delete(f"/api/v1/users/{user.id}/tokens/{token['id']}", headers=headers)
        assert response.status_code == 204
        assert_problem(client.get("/api/v1/users/me", headers=headers), 401)

    def test_expired_token_is_refused(self, client: TestClient, db: Session, world: World) -> None:
        stored = db.scalars(
            select(ApiToken).where(ApiToken.user_id == world.users["viewer"].id)
        ).one()
        stored.expires_at = utcnow() - timedelta(seconds=1)
        db.commit()
        assert_problem(client.get("/api/v1/users/me", headers=world.headers("viewer")), 401)

    def test_deactivated_user_is_refused(self, client: TestClient, world: World) -> None:
        viewer = world.users["viewer"]
        response = client.patch(
            f"/api/v1/users/{viewer.id}", json={"is_active": False}, headers=world.headers("admin")
        )
        assert response.status_code == 200
        assert_problem(client.get("/api/v1/users/me", headers=world.headers("viewer")), 401)


class TestTokens:
    def test_admin_issues_a_token_shown_once(self, client: TestClient, world: World) -> None:
        viewer = world.users["viewer"]
        response = client.post(
            f"/api/v1/users/{viewer.id}/tokens",
            json={"name": "dashboard", "expires_in_days": 30},
            headers=world.headers("admin"),
        )
        assert response.status_code == 201
        issued = response.json()
        assert response.headers["location"] == f"/api/v1/users/{viewer.id}/tokens/{issued['id']}"
        assert issued["token"].startswith("crrf_")
        assert client.get("/api/v1/users/me", headers=auth(issued["token"])).json()["id"] == str(
            viewer.id
        )
        listed = client.get(
            f"/api/v1/users/{viewer.id}/tokens", headers=world.headers("admin")
        ).json()
        assert all("token" not in t for t in listed["items"])

    def test_a_user_issues_a_token_for_themself(self, client: TestClient, world: World) -> None:
        me = world.users["partner_b"]
        response = client.post(f"/api/v1/users/{me.id}/tokens", headers=world.headers("partner_b"))
        assert response.status_code == 201

    def test_a_user_cannot_see_anothers_tokens(self, client: TestClient, world: World) -> None:
        other = world.users["partner_a"]
        headers = world.headers("partner_b")
        assert_problem(client.get(f"/api/v1/users/{other.id}/tokens", headers=headers), 404)
        assert_problem(client.post(f"/api/v1/users/{other.id}/tokens", headers=headers), 404)

    def test_revoking_an_unknown_token_is_404(self, client: TestClient, world: World) -> None:
        me = world.users["viewer"]
        response = client.delete(
            f"/api/v1/users/{me.id}/tokens/00000000-0000-4000-8000-000000000000",
            headers=world.headers("viewer"),
        )
        assert_problem(response, 404)


def test_docs_need_no_network(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/docs/assets/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
