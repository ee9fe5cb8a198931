"""Every error is problem+json, never a 500, and never repeats the input."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.helpers import assert_problem, state_fingerprint

ORGS = "/api/v1/organisations"


class TestHostileInput:
    @pytest.mark.parametrize(
        "raw",
        [
            '{"name": "bad\\u0000name", "type": "other"}',
            '{"name": "bad\\ud800name", "type": "other"}',
            '{"name": "fine", "type": "other", "acronym": "\\udfff"}',
            '{"name": "fine", "type": "other", "acr\\u0000onym": "x"}',
        ],
        ids=["nul", "lone-surrogate", "lone-surrogate-optional", "nul-in-key"],
    )
    def test_unstorable_text_is_422(
        self,
        client: TestClient,
        world: World,
        connection,
        raw: str,  # type: ignore[no-untyped-def]
    ) -> None:
        before = state_fingerprint(connection)
        response = client.post(
            ORGS,
            content=raw,
            headers={**world.headers("admin"), "Content-Type": "application/json"},
        )
        assert_problem(response, 422)
        assert state_fingerprint(connection) == before

    def test_huge_integer_is_422(self, client: TestClient, world: World) -> None:
        body = (
            '{"name": "S", "host_country": "UGA", "start_date": "2020-01-01", '
            f'"stale_after_days": {2**70}}}'
        )
        response = client.post(
            "/api/v1/situations",
            content=body,
            headers={**world.headers("admin"), "Content-Type": "application/json"},
        )
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["body", "stale_after_days"]
        assert str(2**70) not in response.text

    def test_huge_integer_in_the_query_is_422(self, client: TestClient, world: World) -> None:
        assert_problem(client.get(f"{ORGS}?limit={2**70}", headers=world.headers("admin")), 422)

    def test_unknown_country_is_422_without_echo(self, client: TestClient, world: World) -> None:
        response = client.post(
            ORGS,
            json={"name": "Org", "type": "other", "country": "QQZ"},
            headers=world.headers("admin"),
        )
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["loc"] == ["body", "country"]
        assert "QQZ" not in response.text

    def test_overlong_string_is_422_without_echo(self, client: TestClient, world: World) -> None:
        name = "Z" * 201
        response = client.post(
            ORGS, json={"name": name, "type": "other"}, headers=world.headers("admin")
        )
        assert_problem(response, 422)
        assert name not in response.text

    def test_unknown_field_is_422(self, client: TestClient, world: World) -> None:
        response = client.post(
            ORGS,
            json={"name": "Org", "type": "other", "colour": "red"},
            headers=world.headers("admin"),
        )
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["type"] == "extra_forbidden"

    def test_invalid_enum_value_is_not_echoed(self, client: TestClient, world: World) -> None:
        response = client.post(
            ORGS, json={"name": "Org", "type": "secret-agency-xyz"}, headers=world.headers("admin")
        )
        assert_problem(response, 422)
        assert "secret-agency-xyz" not in response.text

    def test_malformed_json_is_422(self, client: TestClient, world: World) -> None:
        response = client.post(
            ORGS,
            content=b'{"name": ',
            headers={**world.headers("admin"), "Content-Type": "application/json"},
        )
        assert_problem(response, 422)

    def test_invalid_uuid_in_path_is_422(self, client: TestClient, world: World) -> None:
        assert_problem(client.get(f"{ORGS}/not-a-uuid", headers=world.headers("admin")), 422)

    def test_tampered_cursor_is_400(self, client: TestClient, world: World) -> None:
        assert_problem(client.get(f"{ORGS}?cursor=WzEsMiwzXQ", headers=world.headers("admin")), 400)
        assert_problem(client.get(f"{ORGS}?cursor=%%%", headers=world.headers("admin")), 422)


class TestFrameworkErrors:
    def test_unknown_route_is_404_problem(self, client: TestClient, world: World) -> None:
        assert_problem(client.get("/api/v1/nothing-here", headers=world.headers("admin")), 404)

    def test_wrong_method_is_405_problem(self, client: TestClient, world: World) -> None:
        response = client.delete(ORGS, headers=world.headers("admin"))
        assert_problem(response, 405)
        assert "GET" in response.headers["allow"]

    def test_declared_oversize_body_is_413(self, client: TestClient, world: World) -> None:
        body = b'{"name": "' + b"x" * 1_100_000 + b'", "type": "other"}'
        response = client.post(
            ORGS,
            content=body,
            headers={**world.headers("admin"), "Content-Type": "application/json"},
        )
        assert_problem(response, 413)

    def test_streamed_oversize_body_is_413(self, client: TestClient, world: World) -> None:
        def chunks():  # type: ignore[no-untyped-def]
            yield b'{"name": "'
            for _ in range(20):
                yield b"x" * 100_000
            yield b'", "type": "other"}'

        response = client.post(
            ORGS,
            content=chunks(),
            headers={**world.headers("admin"), "Content-Type": "application/json"},
        )
        assert_problem(response, 413)


def test_api_responses_are_not_cached(client: TestClient, world: World) -> None:
    response = client.get(ORGS, headers=world.headers("admin"))
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
