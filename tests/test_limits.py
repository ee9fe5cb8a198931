"""Limits and headers: rate limits, body size, page and batch caps, CORS, CSP, docs switch."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from app.config import Settings
from app.core.db import make_engine
from app.core.ratelimit import TokenBuckets
from app.main import create_app
from tests.factories import World
from tests.helpers import assert_problem


@pytest.fixture
def make_client(
    settings: Settings, engine: Engine, connection: Connection, app: FastAPI
) -> Iterator[object]:
    """Build a client for an app with other settings, on the test's transaction."""
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        other = create_app(settings.model_copy(update=overrides), engine=engine)
        other.dependency_overrides.update(app.dependency_overrides)
        client = TestClient(other)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


class TestRateLimits:
    def test_a_token_over_its_rate_gets_429_with_retry_after(
        self, make_client, world: World
    ) -> None:  # type: ignore[no-untyped-def]
        client = make_client(rate_limit_per_minute=60, rate_limit_burst=3)
        headers = world.headers("viewer")
        statuses = [client.get("/api/v1/users/me", headers=headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/api/v1/users/me", headers=headers)
        assert_problem(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["x-content-type-options"] == "nosniff"
        assert client.get("/api/v1/users/me", headers=world.headers("partner_a")).status_code == 200
        assert client.get("/healthz").status_code == 200

    def test_buckets_refill_over_time(self) -> None:
        buckets = TokenBuckets(per_minute=60, burst=2)
        assert [buckets.take("k", 0.0) for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]
        assert buckets.take("k", 1.0) == 0.0

    def test_zero_disables_the_limit(self, make_client, world: World) -> None:  # type: ignore[no-untyped-def]
        client = make_client(rate_limit_per_minute=0, rate_limit_burst=1)
        assert all(
            client.get("/api/v1/users/me", headers=world.headers("viewer")).status_code == 200
            for _ in range(5)
        )


class TestFailedAuthenticationLimits:
    def test_a_new_bad_token_each_time_is_limited_per_address(
        self, make_client, world: World
    ) -> None:  # type: ignore[no-untyped-def]
        client = make_client(auth_failures_per_minute=6, auth_failure_burst=5)
        statuses = [
            client.get("/api/v1/users/me", headers={"Authorization": f"Bearer crrf_bad{i}"})
            for i in range(7)
        ]
        assert [r.status_code for r in statuses] == [401] * 5 + [429] * 2
        limited = statuses[-1]
        assert_problem(limited, 429)
        assert 1 <= int(limited.headers["retry-after"]) <= 10
        # While the address is refused, a good token from it is refused too (no oracle).
        assert_problem(client.get("/api/v1/users/me", headers=world.headers("viewer")), 429)
        assert client.get("/healthz").status_code == 200

    def test_good_requests_spend_nothing(self, make_client, world: World) -> None:  # type: ignore[no-untyped-def]
        client = make_client(auth_failures_per_minute=6, auth_failure_burst=2)
        headers = world.headers("viewer")
        assert all(
            client.get("/api/v1/users/me", headers=headers).status_code == 200 for _ in range(10)
        )

    def test_bad_dashboard_sign_ins_are_refused(self, make_client, world: World) -> None:  # type: ignore[no-untyped-def]
        client = make_client(auth_failures_per_minute=6, auth_failure_burst=3)
        statuses = [
            client.post(
                "/signin",
                data={"email": f"guess{i}@example.org", "password": "a guess at it"},
                follow_redirects=False,
            )
            for i in range(5)
        ]
        assert [r.status_code for r in statuses] == [400, 400, 400, 429, 429]
        assert_problem(statuses[-1], 429)
        assert int(statuses[-1].headers["retry-after"]) >= 1
        good = client.post(
            "/signin",
            data={"email": world.users["viewer"].email, "password": "whatever it is"},
            follow_redirects=False,
        )
        assert good.status_code == 429
        assert "set-cookie" not in good.headers

    def test_bad_session_cookies_count_as_failures(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(auth_failures_per_minute=6, auth_failure_burst=2)
        statuses = []
        for i in range(3):
            client.cookies.set("crrf_session", f"crrf_guess{i}")
            statuses.append(client.get("/", follow_redirects=False).status_code)
        assert statuses == [303, 303, 429]

    def test_zero_disables_the_failure_limit(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(auth_failures_per_minute=0)
        assert all(
            client.get("/api/v1/users/me", headers={"Authorization": f"Bearer x{i}"}).status_code
            == 401
            for i in range(30)
        )

    def test_waiting_spends_nothing(self) -> None:
        buckets = TokenBuckets(per_minute=60, burst=1)
        assert buckets.wait("k", 0.0) == 0.0
        assert buckets.take("k", 0.0) == 0.0
        assert buckets.wait("k", 0.0) == pytest.approx(1.0)
        assert buckets.wait("k", 0.0) == pytest.approx(1.0)
        assert buckets.wait("k", 1.0) == 0.0


class TestCaps:
    def test_body_size_is_configurable(self, make_client, world: World) -> None:  # type: ignore[no-untyped-def]
        client = make_client(max_body_bytes=2048)
        body = {"name": "x" * 3000, "type": "other"}
        assert_problem(
            client.post("/api/v1/organisations", json=body, headers=world.headers("admin")), 413
        )

    def test_page_size_is_capped(self, client: TestClient, world: World) -> None:
        assert_problem(
            client.get(world.url("/items?limit=500"), headers=world.headers("viewer")), 422
        )

    def test_batches_are_capped(self, client: TestClient, world: World) -> None:
        entries = [{"code": "5a", "client_ref": str(i), "narrative": "n"} for i in range(101)]
        assert_problem(
            client.post(
                world.url("/updates:batch"),
                json={"updates": entries},
                headers=world.headers("partner_a"),
            ),
            422,
        )


class TestHeaders:
    def test_authenticated_responses_are_not_cached(self, client: TestClient, world: World) -> None:
        response = client.get(world.url(), headers=world.headers("viewer"))
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in response.headers["content-security-policy"]

    def test_cors_answers_only_configured_origins(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(cors_origins=["https://dashboard.example.org"])
        preflight = {"Access-Control-Request-Method": "GET"}
        allowed = client.options(
            "/api/v1/templates", headers={"Origin": "https://dashboard.example.org", **preflight}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://dashboard.example.org"
        other = client.options(
            "/api/v1/templates", headers={"Origin": "https://evil.example", **preflight}
        )
        assert "access-control-allow-origin" not in other.headers

    def test_no_cors_without_configured_origins(self, client: TestClient) -> None:
        response = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in response.headers

    def test_docs_can_be_switched_off(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(docs_enabled=False)
        assert_problem(client.get("/docs"), 404)
        assert_problem(client.get("/openapi.json"), 404)


def test_engine_settings_apply(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    engine = make_engine(url, Settings(database_url=url, sqlite_busy_timeout_ms=123))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 123
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
