"""The OpenAPI document tells the truth a generated client needs (``app.core.openapi``)."""

import re
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import PROJECT_ROOT
from app.core.errors import AppError
from app.core.problem_types import PROBLEM_TYPES
from app.core.problems import PROBLEM_MEDIA_TYPE
from tests.helpers import assert_problem

OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]{2,40}$")
WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["paths"][path][method]
    return found


def statuses(spec: dict[str, Any], method: str, path: str) -> set[int]:
    return {int(status) for status in operation(spec, method, path)["responses"]}


class TestOperations:
    def test_every_operation_id_is_short_camel_case_and_unique(self, spec: dict[str, Any]) -> None:
        ids = [op["operationId"] for _, _, op in operations(spec)]
        assert len(ids) > 30
        assert [i for i in ids if not OPERATION_ID.match(i)] == []
        assert len(set(ids)) == len(ids)

    def test_operation_ids_are_named_for_what_they_do(self, spec: dict[str, Any]) -> None:
        assert operation(spec, "get", "/api/v1/situations/{sid}/items")["operationId"] == (
            "listItems"
        )
        submit = operation(spec, "post", "/api/v1/situations/{sid}/items/{code}/updates")
        assert submit["operationId"] == "submitUpdate"

    def test_every_summary_is_a_sentence(self, spec: dict[str, Any]) -> None:
        bad = [
            (method, path, op.get("summary"))
            for method, path, op in operations(spec)
            if not re.match(r"^[A-Z`].{8,}[.)]$", op.get("summary", ""))
        ]
        assert bad == []

    def test_the_version_is_the_package_version(self, spec: dict[str, Any]) -> None:
        assert spec["info"]["version"] == version("crrf-case-manager")


class TestErrors:
    def test_every_error_is_a_problem_under_problem_json(self, spec: dict[str, Any]) -> None:
        wrong = []
        for method, path, op in operations(spec):
            for status, response in op["responses"].items():
                if int(status) >= 400 and set(response.get("content", {})) != {PROBLEM_MEDIA_TYPE}:
                    wrong.append((method, path, status))
                elif int(status) >= 400:
                    schema = response["content"][PROBLEM_MEDIA_TYPE]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}
        assert wrong == []
        assert "HTTPValidationError" not in spec["components"]["schemas"]

    def test_no_get_declares_a_conflict_or_a_body_too_large(self, spec: dict[str, Any]) -> None:
        gets = [(path, statuses(spec, m, path)) for m, path, _ in operations(spec) if m == "get"]
        assert [(path, found) for path, found in gets if found & {409, 413}] == []

    def test_every_authenticated_operation_declares_401(self, spec: dict[str, Any]) -> None:
        missing = [
            (method, path)
            for method, path, op in operations(spec)
            if op.get("security") and 401 not in statuses(spec, method, path)
        ]
        assert missing == []
        assert 401 not in statuses(spec, "get", "/healthz")

    def test_the_statuses_follow_the_dependencies(self, spec: dict[str, Any]) -> None:
        assert statuses(spec, "patch", "/api/v1/situations/{sid}/items/{code}") == {
            200, 401, 403, 404, 409, 412, 413, 422, 428, 429, 503,
        }  # fmt: skip
        assert statuses(spec, "get", "/api/v1/situations/{sid}") == {
            200, 401, 404, 422, 429, 503,
        }  # fmt: skip
        assert statuses(spec, "get", "/api/v1/users/me") == {200, 401, 429, 503}
        # every signed-in user may list situations: no 403; a cursor can be malformed: 400
        assert statuses(spec, "get", "/api/v1/situations") == {200, 400, 401, 422, 429, 503}
        assert statuses(spec, "post", "/api/v1/users") == {
            201, 401, 403, 409, 413, 422, 429, 503,
        }  # fmt: skip
        assert statuses(spec, "get", "/healthz") == {200}

    def test_rate_limits_and_outages_say_when_to_retry(self, spec: dict[str, Any]) -> None:
        responses = operation(spec, "get", "/api/v1/situations")["responses"]
        for status in ("429", "503"):
            assert "Retry-After" in responses[status]["headers"]


class TestHeaders:
    def test_every_response_declares_the_request_id(self, spec: dict[str, Any]) -> None:
        missing = [
            (method, path, status)
            for method, path, op in operations(spec)
            for status, response in op["responses"].items()
            if "X-Request-ID" not in response.get("headers", {})
        ]
        assert missing == []

    def test_if_match_is_required_where_it_is_checked(self, spec: dict[str, Any]) -> None:
        for method, path in [
            ("patch", "/api/v1/situations/{sid}/items/{code}"),
            ("put", "/api/v1/situations/{sid}/items/{code}/owners"),
            ("patch", "/api/v1/situations/{sid}"),
        ]:
            parameters = operation(spec, method, path)["parameters"]
            [header] = [p for p in parameters if p["name"].lower() == "if-match"]
            assert (header["in"], header["required"]) == ("header", True), (method, path)

    def test_versioned_resources_send_their_etag(self, spec: dict[str, Any]) -> None:
        item = operation(spec, "get", "/api/v1/situations/{sid}/items/{code}")["responses"]
        assert "ETag" in item["200"]["headers"]
        created = operation(spec, "post", "/api/v1/situations")["responses"]["201"]["headers"]
        assert {"ETag", "Location"} <= set(created)
        assert "ETag" not in operation(spec, "get", "/api/v1/users/me")["responses"]["200"].get(
            "headers", {}
        )

    def test_idempotent_routes_declare_the_replay_header(self, spec: dict[str, Any]) -> None:
        submit = operation(spec, "post", "/api/v1/situations/{sid}/items/{code}/updates")
        assert "Idempotent-Replayed" in submit["responses"]["201"]["headers"]

    def test_adding_a_member_declares_both_new_and_existing(self, spec: dict[str, Any]) -> None:
        put = operation(spec, "put", "/api/v1/situations/{sid}/members/{user_id}")["responses"]
        for status in ("200", "201"):
            assert put[status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/MembershipRead"
            }
        assert "Location" in put["201"]["headers"]


class TestProblemTypes:
    def test_every_error_class_has_a_documented_type(self) -> None:
        slugs = {cls.slug for cls in [AppError, *_subclasses(AppError)]}
        assert slugs <= set(PROBLEM_TYPES)
        documented = (PROJECT_ROOT / "docs" / "problems.md").read_text()
        assert [s for s in PROBLEM_TYPES if f"`/problems/{s}`" not in documented] == []

    def test_a_problem_type_resolves_to_its_page(self, client: TestClient) -> None:
        body = assert_problem(client.get("/api/v1/users/me"), 401)
        assert body["instance"] == "/api/v1/users/me"
        page = client.get(body["type"])
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "Unauthorized" in page.text and "Authorization: Bearer" in page.text

    def test_a_framework_error_points_at_a_page_too(self, client: TestClient) -> None:
        body = assert_problem(client.delete("/api/v1/templates"), 405)
        assert client.get(body["type"]).status_code == 200

    def test_an_unknown_type_is_a_problem_itself(self, client: TestClient) -> None:
        body = assert_problem(client.get("/problems/no-such-thing"), 404)
        assert body["instance"] == "/problems/no-such-thing"


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]
