"""Schemathesis against a real server: every operation, 50 examples each (marker ``slow``).

Rate limiting is off, so that every operation is really exercised. Checks: no 5xx; every
status, content type, body and declared header conforms to the OpenAPI document; every
response of 400 and above is problem+json that repeats none of the values the request carried.
"""

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.databases import fresh_database
from tests.factories import World, migrated_world
from tests.live import live_server

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("CRRF_FUZZ_EXAMPLES", "50"))


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """A migrated database with a small world in it, served by uvicorn."""
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        world = migrated_world(url)
        with live_server(
            url, env={"CRRF_RATE_LIMIT_PER_MINUTE": "0", "CRRF_AUTH_FAILURES_PER_MINUTE": "0"}
        ) as server:
            yield server.url, world


@pytest.fixture(scope="module")
def api_schema(fuzz_target: tuple[str, World]) -> Any:
    url, world = fuzz_target
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    real = {
        "sid": str(world.s1.id),
        "code": "5a",
        "uid": str(world.updates["own"].id),
        "user_id": str(world.users["viewer"].id),
        "organisation_id": str(world.orgs["ngo_a"].id),
        "template_id": "crrf-annex-i",
    }

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        """Half the time, aim at objects that exist, so that the deeper code runs too."""
        if not path_parameters:
            return st.just(path_parameters)
        known = {k: real[k] for k in path_parameters if k in real}
        return st.sampled_from([path_parameters, {**path_parameters, **known}])

    return schema


def _strings(value: Any) -> Iterator[str]:
    """Every string value in a request part (object keys are names, not data)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def problem_json_without_echo(ctx: Any, response: Any, case: Any) -> None:
    """Errors are problem+json and repeat nothing the client sent."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith("application/problem+json"), (
        f"{response.status_code} is {content_type}"
    )
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body), body
    assert body["status"] == response.status_code
    schema_text = json.dumps(case.operation.schema.raw_schema)
    sent = [*_strings(case.path_parameters), *_strings(case.query), *_strings(case.body)]
    # ``instance`` is the path the client asked for (percent-encoded): the rest must not echo.
    text = json.dumps({k: v for k, v in body.items() if k != "instance"}, ensure_ascii=False)
    for value in sent:
        if len(value) >= 6 and value not in schema_text:
            assert value not in text, "the error repeats a value the request carried"


def test_no_input_breaks_the_api(api_schema: Any, fuzz_target: tuple[str, World]) -> None:
    url, world = fuzz_target
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
        problem_json_without_echo,
    ]
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: Any) -> None:
            case.call_and_validate(base_url=url, headers=world.headers("admin"), checks=checks)

        try:
            exercise()
        except Exception as exc:  # every operation runs; all failures are reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert failures == [], "\n\n".join(failures)
