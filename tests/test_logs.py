"""Request ids on every answer; one structured log line per request, without secrets."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.factories import World
from tests.helpers import assert_problem

GENERATED = re.compile(r"[0-9a-f]{32}")
ITEM_ROUTE = "/api/v1/situations/{sid}/items/{code}"


def _request_lines(output: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "crrf.request"]


class TestRequestId:
    @pytest.mark.parametrize("sent", ["abc", "req-42.retry_1", "A" * 128])
    def test_a_sane_id_is_echoed(self, client: TestClient, sent: str) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": sent})
        assert response.headers["x-request-id"] == sent

    @pytest.mark.parametrize(
        "sent", ["two words", "A" * 129, "<script>", "id;rm", "é".encode(), "a\tb", "a/b"]
    )
    def test_an_insane_id_is_replaced(self, client: TestClient, sent: str | bytes) -> None:
        response = client.get("/healthz", headers={"X-Request-ID": sent})
        assert GENERATED.fullmatch(response.headers["x-request-id"])

    def test_a_new_id_is_generated_otherwise(self, client: TestClient) -> None:
        first = client.get("/healthz").headers["x-request-id"]
        second = client.get("/healthz").headers["x-request-id"]
        assert GENERATED.fullmatch(first)
        assert GENERATED.fullmatch(second)
        assert first != second

    def test_problems_carry_it(self, client: TestClient, world: World) -> None:
        sent = {"X-Request-ID": "problem-1"}
        not_found = client.get("/api/v1/nowhere", headers=sent)
        assert_problem(not_found, 404)
        assert not_found.headers["x-request-id"] == "problem-1"
        unauthorized = client.get(world.url(), headers={**sent, "Authorization": "Bearer bad"})
        assert_problem(unauthorized, 401)
        assert unauthorized.headers["x-request-id"] == "problem-1"

    def test_an_unexpected_error_is_a_problem_with_the_id(
        self, app: FastAPI, capsys: pytest.CaptureFixture[str]
    ) -> None:
        def fail() -> None:
            raise RuntimeError("boom")

        app.add_api_route("/fail", fail)
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/fail", headers={"X-Request-ID": "crash-1"})
        assert_problem(response, 500)
        assert response.headers["x-request-id"] == "crash-1"
        [line] = _request_lines(capsys.readouterr().out)
        assert (line["route"], line["status"], line["level"]) == ("/fail", 500, "error")
        assert line["request_id"] == "crash-1"

    def test_an_unreachable_database_is_a_503_problem_with_the_id(self, tmp_path: Path) -> None:
        missing = tmp_path / "missing" / "crrf.sqlite3"
        app = create_app(Settings(database_url=f"sqlite:///{missing}"))
        with TestClient(app) as client:
            response = client.get(
                "/api/v1/situations",
                headers={"X-Request-ID": "down-1", "Authorization": "Bearer whatever"},
            )
        assert_problem(response, 503)
        assert response.headers["x-request-id"] == "down-1"


class TestRequestLog:
    def test_one_json_line_per_request_with_its_fields(
        self, client: TestClient, world: World, capsys: pytest.CaptureFixture[str]
    ) -> None:
        token = world.tokens["viewer"]
        capsys.readouterr()
        response = client.get(
            world.url("/items/5a") + "?secret=hunter2",
            headers={**world.headers("viewer"), "X-Request-ID": "log-1"},
        )
        assert response.status_code == 200
        output = capsys.readouterr().out
        [line] = _request_lines(output)
        assert line["event"] == "request"
        assert line["method"] == "GET"
        assert line["route"] == ITEM_ROUTE
        assert line["status"] == 200
        assert isinstance(line["duration_ms"], float | int)
        assert line["duration_ms"] >= 0
        assert line["request_id"] == "log-1"
        assert line["user_id"] == str(world.users["viewer"].id)
        assert line["level"] == "info"
        assert line["timestamp"]
        server_lines = [ln for ln in output.splitlines() if '"logger": "httpx' not in ln]
        assert not [ln for ln in server_lines if token in ln or "hunter2" in ln]

    def test_failures_are_logged_with_their_status(
        self, client: TestClient, world: World, capsys: pytest.CaptureFixture[str]
    ) -> None:
        capsys.readouterr()
        client.get(world.url("/items/5a"), headers={"Authorization": "Bearer not-a-token"})
        client.get("/no/such/page")
        lines = _request_lines(capsys.readouterr().out)
        assert [(ln["route"], ln["status"], ln["user_id"], ln["level"]) for ln in lines] == [
            (ITEM_ROUTE, 401, None, "info"),
            ("unmatched", 404, None, "info"),
        ]
        assert "not-a-token" not in json.dumps(lines)

    def test_console_format_is_for_people(
        self, settings: Settings, capsys: pytest.CaptureFixture[str]
    ) -> None:
        app = create_app(settings.model_copy(update={"log_format": "console"}))
        try:
            with TestClient(app) as client:
                capsys.readouterr()
                client.get("/healthz", headers={"X-Request-ID": "console-1"})
            output = capsys.readouterr().out
        finally:
            create_app(settings)  # back to JSON for the tests that follow
        [line] = [ln for ln in output.splitlines() if "crrf.request" in ln]
        assert not line.startswith("{")
        assert "request" in line
        assert "route=/healthz" in line
        assert "request_id=console-1" in line
