"""``Idempotency-Key`` on every POST that creates: situations, organisations, users, items,
reporting cycles.

One rule (``app.idempotency.service.run_once``) for all of them and for updates: a retry
with the same key and body gets the first response again, marked ``Idempotent-Replayed``,
and creates nothing; the same key with another body is 422 and changes nothing.
"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from tests.factories import World
from tests.helpers import assert_problem, state_fingerprint, table_counts

Payload = Callable[[str], dict[str, Any]]

CREATES: dict[str, tuple[str, str, Payload]] = {
    # name: (path, table, body for a distinguishing word)
    "situation": (
        "/api/v1/situations",
        "situation",
        lambda word: {
            "name": f"Refugees from {word}",
            "host_country": "UGA",
            "origin_countries": ["SSD"],
            "start_date": "2016-07-01",
            "phase": "protracted",
            "population": [{"population_type": "REF", "date": "2024-06-30", "total": 9000}],
        },
    ),
    "organisation": (
        "/api/v1/organisations",
        "organisation",
        lambda word: {"name": f"Office {word}", "type": "government", "country": "UGA"},
    ),
    "user": (
        "/api/v1/users",
        "user_account",
        lambda word: {"email": f"{word}@example.org", "name": f"Focal {word}"},
    ),
    "item": ("{s1}/items", "checklist_item", lambda word: {"code": f"5d.{word}", "title": word}),
    "cycle": (
        "{s1}/cycles",
        "reporting_cycle",
        lambda word: {
            "name": f"Round {word}",
            "period_start": "2030-01-01",
            "period_end": "2030-03-31",
            "due_date": "2030-04-15",
            "closes_on": "2030-04-30",
        },
    ),
}


def _post(client: TestClient, world: World, name: str, word: str, key: str) -> Any:
    path, _, body = CREATES[name]
    headers = {**world.headers("admin"), "Idempotency-Key": key}
    return client.post(path.format(s1=world.url()), json=body(word), headers=headers)


@pytest.mark.parametrize("name", sorted(CREATES))
class TestIdempotentCreate:
    def test_a_retry_replays_the_first_response_and_creates_nothing(
        self, name: str, client: TestClient, world: World, connection: Connection
    ) -> None:
        table = CREATES[name][1]
        before = table_counts(connection)[table]
        first = _post(client, world, name, "alpha", "create-1")
        assert first.status_code == 201, first.text
        retry = _post(client, world, name, "alpha", "create-1")
        assert retry.status_code == 201
        assert retry.json() == first.json()
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.headers["location"] == first.headers["location"]
        assert "idempotent-replayed" not in first.headers
        assert table_counts(connection)[table] == before + 1

    def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
        self, name: str, client: TestClient, world: World, connection: Connection
    ) -> None:
        assert _post(client, world, name, "alpha", "create-2").status_code == 201
        before = state_fingerprint(connection)
        body = assert_problem(_post(client, world, name, "beta", "create-2"), 422)
        assert body["errors"][0]["loc"] == ["header", "Idempotency-Key"]
        assert state_fingerprint(connection) == before

    def test_another_key_creates_another(
        self, name: str, client: TestClient, world: World, connection: Connection
    ) -> None:
        table = CREATES[name][1]
        before = table_counts(connection)[table]
        assert _post(client, world, name, "alpha", "create-3").status_code == 201
        assert _post(client, world, name, "gamma", "create-4").status_code == 201
        assert table_counts(connection)[table] == before + 2
