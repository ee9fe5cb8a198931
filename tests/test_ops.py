"""Operations: liveness, readiness, Prometheus metrics."""

import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from app.config import Settings
from app.core.db import is_sqlite
from app.main import create_app
from app.ops import migrations
from tests.factories import World
from tests.helpers import assert_problem

REPORT = {"narrative": "Monthly report", "proposed_status": "in_progress"}


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the Prometheus text format."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        match = re.match(r"^([a-z_]+)(\{(.*)\})? (.+)$", line)
        if match is None or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(3) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(4))
    return 0.0


class TestProbes:
    def test_healthz_answers(self, client: TestClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}

    def test_readyz_reports_the_migration(self, client: TestClient) -> None:
        body = client.get("/readyz").json()
        assert body["status"] == "ready"
        assert body["migration"]

    def test_readyz_is_503_when_the_database_is_not_migrated(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}"))
        with TestClient(app) as client:
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["retry-after"]
            assert client.get("/healthz").status_code == 200


class TestReadinessCannotWrite:
    """Readiness answers 503 when the database reads but refuses every write."""

    @pytest.fixture
    def sqlite_file(self, database_url: str, tmp_path: Path) -> Iterator[Path]:
        if not is_sqlite(database_url):
            pytest.skip("a SQLite file")
        path = tmp_path / "db" / "crrf.sqlite3"
        path.parent.mkdir()
        migrations.upgrade(f"sqlite:///{path}")
        # Held open, as a running instance would: the -wal and -shm files stay.
        keep = sqlite3.connect(path)
        keep.execute("SELECT 1 FROM alembic_version").fetchall()
        yield path
        keep.close()

    def test_a_read_only_sqlite_connection_is_not_ready(self, sqlite_file: Path) -> None:
        url = f"sqlite:///file:{sqlite_file}?mode=ro&uri=true"
        with TestClient(create_app(Settings(database_url=url))) as client:
            response = client.get("/readyz")
        assert_problem(response, 503)
        assert "refuses writes" in response.json()["detail"]
        assert response.headers["retry-after"]

    @pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
    def test_a_sqlite_file_on_a_read_only_filesystem_is_not_ready(self, sqlite_file: Path) -> None:
        # Root ignores permission bits, not a read-only mount: the probe runs in a user and
        # mount namespace of its own where the file's directory is bind-mounted read-only.
        directory = str(sqlite_file.parent)
        script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$0" -c "$2" "$3"'
        probe = (
            "import sys\n"
            "from fastapi.testclient import TestClient\n"
            "from app.config import Settings\n"
            "from app.main import create_app\n"
            "with TestClient(create_app(Settings(database_url=sys.argv[1]))) as client:\n"
            "    r = client.get('/readyz')\n"
            "    print(r.status_code, r.json()['detail'])\n"
        )
        url = f"sqlite:///{sqlite_file}"
        command = ["unshare", "-rm", "sh", "-c", script, sys.executable, directory, probe, url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0 and "unshare" in done.stderr:
            pytest.skip(f"no user namespaces here: {done.stderr.strip()}")
        # The last line: the probe's; the lines before it are the request's log lines.
        assert done.stdout.strip().splitlines()[-1] == (
            "503 The database file is on a read-only filesystem. Every write would fail."
        ), done.stderr

    def test_a_read_only_postgresql_session_is_not_ready(self, database_url: str) -> None:
        if is_sqlite(database_url):
            pytest.skip("PostgreSQL")
        url = make_url(database_url).update_query_dict(
            {"options": "-c default_transaction_read_only=on"}
        )
        read_only = url.render_as_string(hide_password=False)
        with TestClient(create_app(Settings(database_url=read_only))) as client:
            response = client.get("/readyz")
        assert_problem(response, 503)
        assert "read-only" in response.json()["detail"]

    def test_a_writable_database_is_ready_and_the_probe_leaves_nothing(
        self, client: TestClient
    ) -> None:
        first = client.get("/readyz").json()
        assert client.get("/readyz").json() == first
        assert first["status"] == "ready"


class TestMetrics:
    def test_counts_requests_by_route_template(self, client: TestClient, world: World) -> None:
        route = "/api/v1/situations/{sid}/items/{code}"
        before = _sample(
            client.get("/metrics").text,
            "crrf_http_requests_total",
            route=route,
            status="200",
            method="GET",
        )
        client.get(world.url("/items/5a"), headers=world.headers("viewer"))
        client.get(world.url("/items/6a"), headers=world.headers("viewer"))
        text = client.get("/metrics").text
        assert (
            _sample(text, "crrf_http_requests_total", route=route, status="200", method="GET")
            == before + 2
        )
        assert (
            _sample(text, "crrf_http_request_duration_seconds_count", route=route, method="GET")
            >= 2
        )
        assert str(world.s1.id) not in text

    def test_counts_submissions_and_the_review_backlog(
        self, client: TestClient, world: World
    ) -> None:
        before = client.get("/metrics").text
        assert _sample(before, "crrf_review_backlog") == 3
        assert _sample(before, "crrf_database_up") == 1
        client.post(world.url("/items/5a/updates"), json=REPORT, headers=world.headers("partner_a"))
        after = client.get("/metrics").text
        assert _sample(after, "crrf_review_backlog") == 4
        assert _sample(after, "crrf_update_submissions_total", channel="single") == (
            _sample(before, "crrf_update_submissions_total", channel="single") + 1
        )

    def test_needs_no_token(self, client: TestClient) -> None:
        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")


def _app_on_a_new_database(tmp_path: Path, **settings: Any) -> FastAPI:
    """The application on a SQLite file of its own, migrated, with these settings."""
    url = f"sqlite:///{tmp_path / 'own.sqlite3'}"
    migrations.upgrade(url)
    return create_app(Settings(database_url=url, **settings))


def test_writers_wait_their_turn_then_get_503(tmp_path: Path) -> None:
    app = _app_on_a_new_database(tmp_path, sqlite_busy_timeout_ms=50, retry_after_seconds=4)
    with TestClient(app) as client:
        writer = app.state.admission.writer
        assert client.portal is not None
        client.portal.call(writer.enter)  # another request of this process is writing
        try:
            # A request without a token is refused before it needs the database; with one,
            # it waits for the writer's turn.
            response = client.post(
                "/api/v1/organisations",
                json={"name": "X", "type": "other"},
                headers={"Authorization": "Bearer crrf_any"},
            )
        finally:
            client.portal.call(writer.leave)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "4"
        assert client.get("/healthz").status_code == 200


def test_requests_wait_their_turn_at_the_database_then_get_503(tmp_path: Path) -> None:
    app = _app_on_a_new_database(
        tmp_path, db_concurrency=1, db_wait_seconds=0.05, retry_after_seconds=3
    )
    with TestClient(app) as client:
        turns = app.state.admission.sessions
        assert client.portal is not None
        client.portal.call(turns.enter)  # another request of this process holds the turn
        try:
            response = client.get(
                "/api/v1/organisations", headers={"Authorization": "Bearer crrf_any"}
            )
        finally:
            client.portal.call(turns.leave)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "3"
        assert response.headers["content-type"] == "application/problem+json"
        # Requests that fail (no token, a bad token, a bad body) hand their turn on.
        for _ in range(3):
            assert client.get("/api/v1/organisations").status_code == 401
            bad = {"Authorization": "Bearer crrf_nope"}
            assert client.post("/api/v1/organisations", json={}, headers=bad).status_code == 401
        client.portal.call(turns.enter)  # free again, or this would time out
        client.portal.call(turns.leave)
