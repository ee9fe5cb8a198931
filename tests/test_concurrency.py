"""Against a real server and real transactions: parallel clients, one result."""

import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.db import make_engine
from app.models import Update
from tests.databases import fresh_database
from tests.factories import World, migrated_world
from tests.live import LiveServer, live_server

PARALLEL = 16


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, World, str]]:
    """A fresh database with a world in it, and a server on it (two workers)."""
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        world = migrated_world(url)
        with live_server(url, workers=2) as server:
            yield server, world, url


def _updates_with(url: str, narrative: str) -> int:
    engine = make_engine(url, Settings(database_url=url))
    try:
        with Session(engine) as db:
            return (
                db.scalar(
                    select(func.count()).select_from(Update).where(Update.narrative == narrative)
                )
                or 0
            )
    finally:
        engine.dispose()


def test_parallel_retries_with_one_key_make_one_update(
    served: tuple[LiveServer, World, str],
) -> None:
    server, world, url = served
    narrative = f"Parallel report {uuid.uuid4().hex}"
    body = {"narrative": narrative, "proposed_status": "in_progress"}
    headers = {**world.headers("partner_a"), "Idempotency-Key": f"key-{uuid.uuid4().hex}"}
    target = f"{server.url}/api/v1/situations/{world.s1.id}/items/5a/updates"
    barrier = threading.Barrier(PARALLEL)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            response = http.post(target, json=body, headers=headers)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=client) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1, statuses
    assert _updates_with(url, narrative) == 1
    for conflict in (r for r in responses if r.status_code == 409):
        assert conflict.headers["content-type"].startswith("application/problem+json")
    retry = httpx.post(target, json=body, headers=headers, timeout=30)
    assert retry.status_code == 201
    assert retry.json()["id"] in created
    assert retry.headers["idempotent-replayed"] == "true"
    assert _updates_with(url, narrative) == 1


def test_parallel_reviews_review_once(served: tuple[LiveServer, World, str]) -> None:
    server, world, _ = served
    submitted = httpx.post(
        f"{server.url}/api/v1/situations/{world.s1.id}/items/6a/updates",
        json={"narrative": "To review", "proposed_status": "planned"},
        headers=world.headers("partner_b"),
        timeout=30,
    ).json()
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    lock = threading.Lock()

    def reviewer(decision: str) -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            response = http.post(
                f"{server.url}/api/v1/updates/{submitted['id']}/review",
                json={"decision": decision, "comment": "ok"},
                headers=world.headers("coordinator"),
            )
        with lock:
            statuses.append(response.status_code)

    threads = [
        threading.Thread(target=reviewer, args=("accept" if i % 2 else "return",)) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 7
    item = httpx.get(
        f"{server.url}/api/v1/situations/{world.s1.id}/items/6a/history",
        headers=world.headers("coordinator"),
        timeout=30,
    ).json()
    assert (
        sum(1 for e in item["items"] if e["action"] in ("update.accepted", "update.returned")) == 1
    )


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("", lambda w, i: {"stale_after_days": 30 + i}),
        ("/items/8a", lambda w, i: {"status_note": f"writer {i}"}),
        (
            "/items/8b/owners",
            lambda w, i: {
                "owners": [
                    {
                        "organisation_id": str(w.orgs["gov"].id),
                        "role": "support" if i % 2 else "funding",
                    }
                ]
            },
        ),
    ],
    ids=["patch situation", "patch item", "put owners"],
)
def test_parallel_writes_with_one_etag_let_one_through(
    served: tuple[LiveServer, World, str], path: str, change: Any
) -> None:
    """Writers that read the same version race: the row is locked, one passes, the rest 412."""
    server, world, _ = served
    url = f"{server.url}{world.url(path.removesuffix('/owners'))}"
    headers = world.headers("coordinator")
    etag = httpx.get(url, headers=headers, timeout=30).headers["etag"]
    writers = 8
    barrier = threading.Barrier(writers)
    statuses: list[int] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        body = change(world, index)
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            response = http.request(
                "PUT" if "owners" in body else "PATCH",
                f"{server.url}{world.url(path)}",
                json=body,
                headers={**headers, "If-Match": etag},
            )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [412] * (writers - 1), statuses
    after = httpx.get(url, headers=headers, timeout=30)
    assert after.headers["etag"] != etag and after.json()["version"] == int(etag[2:-1]) + 1


def test_a_burst_beyond_the_pool_waits_its_turn_instead_of_timing_out(
    served: tuple[LiveServer, World, str],
) -> None:
    """Many more requests than connections: each waits for its turn, none gets 503.

    A request keeps its connection between its hops to worker threads; without turns, a
    burst takes every connection, then every thread waits for a connection while the
    connections' holders wait for a thread, until the pool's timeout (seen on PostgreSQL:
    503s after 5 s; SQLite's reads run on the event loop and never wait for a thread).
    """
    _, world, url = served
    burst = 96
    settings = {
        "CRRF_DB_POOL_SIZE": "2",
        "CRRF_DB_MAX_OVERFLOW": "0",
        "CRRF_DB_CONCURRENCY": "32",
        "CRRF_DB_WAIT_SECONDS": "5",
        "CRRF_RATE_LIMIT_PER_MINUTE": "0",
    }
    barrier = threading.Barrier(burst)
    statuses: list[int] = []
    lock = threading.Lock()

    def client(base: str, index: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            http.get("/healthz")  # connected before the burst, so that it arrives at once
            barrier.wait()
            if index % 4:
                response = http.get(world.url("/summary"), headers=world.headers("coordinator"))
            else:
                response = http.post(
                    world.url("/items/5a/updates"),
                    json={"narrative": "Burst report"},
                    headers=world.headers("partner_a"),
                )
        with lock:
            statuses.append(response.status_code)

    with live_server(url, env=settings) as server:
        threads = [threading.Thread(target=client, args=(server.url, i)) for i in range(burst)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(set(statuses)) == [200, 201], statuses
    assert statuses.count(201) == burst // 4


def test_parallel_flows_on_one_item_all_count(served: tuple[LiveServer, World, str]) -> None:
    """Each writer recomputes the item's stored totals under the item's lock: none is lost."""
    server, world, _ = served
    target = f"{server.url}/api/v1/situations/{world.s1.id}/funding"
    body = {
        "status": "paid",
        "source_organisation_id": str(world.orgs["unhcr"].id),
        "items": ["8a", "8b"],
        "amount": "0.01",
        "currency": "USD",
        "date": "2024-01-01",
        "budget_year": 2024,
    }
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            response = http.post(target, json=body, headers=world.headers("coordinator"))
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=client) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {201, 503}, statuses
    made = statuses.count(201)
    summary = httpx.get(
        f"{server.url}/api/v1/situations/{world.s1.id}/summary",
        headers=world.headers("viewer"),
        timeout=30,
    ).json()
    funding = {entry["code"]: entry["funding"] for entry in summary["items_funding"]}
    # A cent each, split over two items: the first listed takes it.
    assert funding["8a"]["paid_usd"] == f"{made / 100:.2f}"
    assert "8b" not in funding
