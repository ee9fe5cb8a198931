"""Trust under load and failure, against real servers and real databases (marker ``slow``).

- No lost update: 16 clients x 50 read-modify-write cycles on one item, If-Match and retry
  on 412. (Its counter-proof, the same test with If-Match enforcement switched off, went with
  the setting: If-Match is always required now, and ``test_concurrency`` shows two writers
  with one ETag cannot both pass.)
- Database outage: the test stops its own PostgreSQL cluster while clients write, and starts
  it again: failures are 503 problem+json with Retry-After, never 500; /readyz follows the
  database, /healthz stays up; writes resume within 10 s without a restart; nothing is
  half-written.
- SQLite's "database is locked" is a 503 too.
"""

import os
import random
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.db import make_engine
from app.main import create_app
from app.models import ChecklistItem, Event
from app.ops import migrations
from tests.databases import fresh_database, postgres_database
from tests.factories import World, auth, make_user, migrated_world
from tests.live import LiveServer, free_port, live_server

pytestmark = pytest.mark.slow

SERVER_URL = os.environ.get("CRRF_TEST_DATABASE_URL") or ""
ON_POSTGRES = bool(SERVER_URL) and make_url(SERVER_URL).get_backend_name() == "postgresql"
NO_LIMITS = {"CRRF_RATE_LIMIT_PER_MINUTE": "0"}


@dataclass
class Tally:
    successes: int = 0
    conflicts: int = 0
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _read_modify_write(
    url: str, headers: dict[str, str], tally: Tally, loops: int, start: threading.Barrier
) -> None:
    """Add one to the counter in the item's status note, ``loops`` times, retrying on 412."""
    rng = random.Random()
    with httpx.Client(timeout=30, headers=headers) as http:
        start.wait()
        for _ in range(loops):
            for attempt in range(500):
                read = http.get(url)
                if read.status_code != 200:
                    with tally.lock:
                        tally.failures.append(read.status_code)
                    break
                count = int((read.json()["status_note"] or "count=0").removeprefix("count="))
                write = http.patch(
                    url,
                    json={"status_note": f"count={count + 1}"},
                    headers={"If-Match": read.headers["etag"]},
                )
                if write.status_code == 200:
                    with tally.lock:
                        tally.successes += 1
                    break
                if write.status_code == 412:
                    with tally.lock:
                        tally.conflicts += 1
                    # Back off like a polite client, so that contention does not swamp the run.
                    time.sleep(rng.uniform(0, min(0.05, 0.002 * 2**attempt)))
                    continue
                with tally.lock:
                    tally.failures.append(write.status_code)
                break


def _hammer(
    server: LiveServer, world: World, code: str, clients: int, loops: int
) -> tuple[Tally, dict[str, object]]:
    url = f"{server.url}/api/v1/situations/{world.s1.id}/items/{code}"
    tally = Tally()
    start = threading.Barrier(clients)
    threads = [
        threading.Thread(
            target=_read_modify_write, args=(url, world.headers("coordinator"), tally, loops, start)
        )
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final: dict[str, object] = httpx.get(
        url, headers=world.headers("coordinator"), timeout=30
    ).json()
    return tally, final


def _events(url: str, world: World, code: str) -> int:
    engine = make_engine(url, Settings(database_url=url))
    try:
        with Session(engine) as db:
            item_id = db.scalar(
                select(ChecklistItem.id).where(
                    ChecklistItem.situation_id == world.s1.id, ChecklistItem.code == code
                )
            )
            return (
                db.scalar(
                    select(func.count())
                    .select_from(Event)
                    .where(Event.item_id == item_id, Event.action == "item.updated")
                )
                or 0
            )
    finally:
        engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="runs against PostgreSQL (set CRRF_TEST_DATABASE_URL)")
class TestNoLostUpdates:
    def test_if_match_makes_every_increment_count(self) -> None:
        with postgres_database(SERVER_URL) as url:
            world = migrated_world(url)
            with live_server(url, workers=2, env=NO_LIMITS) as server:
                tally, final = _hammer(server, world, "7b", clients=16, loops=50)
            assert tally.failures == []
            assert tally.successes == 16 * 50
            assert tally.conflicts > 0, "the clients never contended: the test proves nothing"
            assert final["version"] == tally.successes + 1
            assert final["status_note"] == f"count={tally.successes}"
            assert _events(url, world, "7b") == tally.successes


# --- database outage --------------------------------------------------------------------------


@dataclass
class Cluster:
    version: str
    name: str
    port: int

    def ctl(self, action: str) -> None:
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action]
        if action == "stop":
            command += ["-m", "fast"]
        subprocess.run(command, check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster on a free port (pg_createcluster; root or postgres)."""
    if shutil.which("pg_createcluster") is None or not Path("/etc/postgresql").is_dir():
        pytest.skip("pg_createcluster (Debian's postgresql-common) is not installed")
    if os.geteuid() != 0:
        pytest.skip("making a PostgreSQL cluster needs root here")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    made = Cluster(version, f"crrf_{uuid.uuid4().hex[:8]}", free_port())
    subprocess.run(
        ["pg_createcluster", version, made.name, "-p", str(made.port), "--", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    try:
        made.ctl("start")
        yield made
    finally:
        subprocess.run(
            ["pg_dropcluster", version, made.name, "--stop"], check=False, capture_output=True
        )


@dataclass
class Observed:
    at: float
    status: int
    problem: bool
    retry_after: bool


@pytest.mark.skipif(
    not ON_POSTGRES, reason="runs in the PostgreSQL pass (set CRRF_TEST_DATABASE_URL)"
)
def test_database_outage_is_503_and_recovers(cluster: Cluster) -> None:
    with postgres_database(cluster.url) as url:
        world = migrated_world(url)
        with live_server(
            url, workers=1, env={**NO_LIMITS, "CRRF_RETRY_AFTER_SECONDS": "1"}
        ) as server:
            observed: list[Observed] = []
            stop = threading.Event()
            lock = threading.Lock()

            def writer(code: str) -> None:
                item = f"{server.url}/api/v1/situations/{world.s1.id}/items/{code}"
                with httpx.Client(timeout=15, headers=world.headers("coordinator")) as http:
                    while not stop.is_set():
                        responses = []
                        read = http.get(item)
                        responses.append(read)
                        if read.status_code == 200:
                            note = uuid.uuid4().hex
                            responses.append(
                                http.patch(
                                    item,
                                    json={"status_note": note},
                                    headers={"If-Match": read.headers["etag"]},
                                )
                            )
                        with lock:
                            observed.extend(
                                Observed(
                                    time.monotonic(),
                                    r.status_code,
                                    r.headers.get("content-type", "").startswith(
                                        "application/problem+json"
                                    ),
                                    "retry-after" in r.headers,
                                )
                                for r in responses
                            )
                        time.sleep(0.02)

            threads = [
                threading.Thread(target=writer, args=(code,)) for code in ("7a", "7b", "7c", "7d")
            ]
            for thread in threads:
                thread.start()
            time.sleep(1.5)
            cluster.ctl("stop")
            stopped = time.monotonic()
            time.sleep(1.0)
            ready_down = httpx.get(f"{server.url}/readyz", timeout=15)
            health_down = httpx.get(f"{server.url}/healthz", timeout=15)
            time.sleep(1.0)
            cluster.ctl("start")
            restarted = time.monotonic()
            recovered = None
            while time.monotonic() - restarted < 15:
                with lock:
                    recovered = next(
                        (o.at for o in observed if o.at > restarted and o.status == 200), None
                    )
                if recovered is not None:
                    break
                time.sleep(0.1)
            time.sleep(1.0)
            stop.set()
            for thread in threads:
                thread.join()
            ready_up = httpx.get(f"{server.url}/readyz", timeout=15)

        assert ready_down.status_code == 503
        assert ready_down.headers["content-type"].startswith("application/problem+json")
        assert health_down.status_code == 200
        assert ready_up.status_code == 200
        during = [o for o in observed if stopped <= o.at <= restarted]
        assert any(o.status == 503 for o in during), (
            "no request failed: the outage was not observed"
        )
        failures = [o for o in observed if o.status not in (200, 412)]
        assert {o.status for o in failures} <= {503}, sorted({o.status for o in failures})
        assert all(o.problem and o.retry_after for o in failures)
        assert recovered is not None, "writes did not resume within 15 s"
        assert recovered - restarted <= 10

        engine = make_engine(url, Settings(database_url=url))
        try:
            with Session(engine) as db:
                versions = dict(db.execute(select(ChecklistItem.id, ChecklistItem.version)).all())
                counts = dict(
                    db.execute(
                        select(Event.item_id, func.count())
                        .where(Event.item_version.is_not(None))
                        .group_by(Event.item_id)
                    ).all()
                )
        finally:
            engine.dispose()
        assert versions == counts


@pytest.mark.skipif(ON_POSTGRES, reason="runs in the SQLite pass")
def test_sqlite_database_is_locked_is_503(tmp_path_factory: pytest.TempPathFactory) -> None:
    with fresh_database(None, tmp_path_factory) as url:
        migrations.upgrade(url)
        engine = make_engine(url, Settings(database_url=url))
        with Session(engine) as db:
            _admin, token = make_user(db, admin=True)
            db.commit()
        engine.dispose()
        app = create_app(
            Settings(database_url=url, sqlite_busy_timeout_ms=50, retry_after_seconds=3)
        )
        blocker = sqlite3.connect(make_url(url).database or "", isolation_level=None)
        try:
            with TestClient(app) as client:
                blocker.execute("BEGIN IMMEDIATE")
                response = client.post(
                    "/api/v1/organisations",
                    json={"name": "Blocked", "type": "other"},
                    headers=auth(token),
                )
                blocker.execute("ROLLBACK")
                assert response.status_code == 503
                assert response.headers["content-type"].startswith("application/problem+json")
                assert response.headers["retry-after"] == "3"
                after = client.post(
                    "/api/v1/organisations",
                    json={"name": "Unblocked", "type": "other"},
                    headers=auth(token),
                )
                assert after.status_code == 201
        finally:
            blocker.close()
