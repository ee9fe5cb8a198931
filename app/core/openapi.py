"""The OpenAPI document: operation ids, summaries, and the truth about errors and headers.

FastAPI describes what a route's signature says. What it cannot see is derived here, once,
from each route's dependencies and method, so that no router repeats it:

- operationId: the route function's name in camelCase (``list_items`` → ``listItems``);
  summary: the first line of its docstring.
- Error responses, each the ``Problem`` schema under ``application/problem+json``:
  400 a ``cursor`` query parameter; 401 the bearer scheme in the dependencies; 403 a
  permission dependency whose permission some non-admin caller lacks; 404 a path parameter;
  409 a write (POST, PUT, PATCH, DELETE: a uniqueness rule, or a race with another
  request); 412 and 428 an ``If-Match`` header parameter (declared required, unless only replacing
  needs it: ``get_optional_if_match``); 413 a
  request body; 422 any parameter or a body; 429 a path under ``/api/``; 503 the session
  dependency (or any declared by the route itself).
- Response headers: ``X-Request-ID`` on every response; ``Location`` on 201;
  ``Retry-After`` on 429 and 503; ``ETag`` on a success whose model has an integer
  ``version``; ``Idempotent-Replayed`` on a success of a route that takes ``Idempotency-Key``.
"""

from collections.abc import Callable, Iterator
from importlib.metadata import version as package_version
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from app.auth.deps import PERMISSION_MARK, bearer_scheme
from app.auth.permissions import EVERY_USER, ROLE_PERMISSIONS
from app.core.deps import get_session
from app.core.etag import get_if_match
from app.core.problems import PROBLEM_MEDIA_TYPE, Problem

PACKAGE = "crrf-case-manager"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Held by every signed-in caller where it is checked: such a check never answers 403.
_HELD_BY_ALL = {p.value for p in EVERY_USER} | {
    p.value for p in frozenset.intersection(*ROLE_PERMISSIONS.values())
}
DESCRIPTIONS = {
    400: "Malformed request (e.g. an invalid cursor)",
    401: "Missing, invalid, revoked or expired token",
    403: "Visible, but your role does not allow this",
    404: "No such resource, or you may not see it",
    409: "Conflict with the current state, or with a request made at the same time",
    412: "If-Match names a version that is no longer current: read again, then retry",
    413: "Request body too large",
    422: "Invalid values; `errors` says where and why",
    428: "If-Match is missing (or `*`): send the ETag you last read",
    429: "Rate limited; see Retry-After",
    503: "Database unavailable or busy; see Retry-After",
}
HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "This request's id (the client's, if it sent a sane one); quote it "
        "when reporting a problem.",
        "schema": {"type": "string"},
    },
    "ETag": {
        "description": "The resource's version; send it back in If-Match to change it.",
        "schema": {"type": "string"},
    },
    "Location": {"description": "The URL of what was created.", "schema": {"type": "string"}},
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response to an earlier request with "
        "the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}


def operation_id(route: APIRoute) -> str:
    """The route function's name in camelCase: short, stable, unique (a test checks)."""
    first, *rest = route.name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def summary(route: APIRoute) -> str:
    """The first line of the route's docstring: a sentence."""
    doc = (route.endpoint.__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else route.name.replace("_", " ").capitalize()


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _params(dependant: Dependant, kind: str) -> Iterator[str]:
    for param in getattr(dependant, f"{kind}_params"):
        yield param.alias.lower()
    for dependency in dependant.dependencies:
        yield from _params(dependency, kind)


def error_statuses(path: str, route: APIRoute) -> set[int]:
    """The error statuses a route can answer, derived from its dependencies and method."""
    calls = list(_calls(route.dependant))
    paths, queries = set(_params(route.dependant, "path")), set(_params(route.dependant, "query"))
    headers = set(_params(route.dependant, "header"))
    has_body = route.body_field is not None
    statuses: set[int] = set()
    if "cursor" in queries:
        statuses.add(400)
    if bearer_scheme in calls:
        statuses.add(401)
    marks = {getattr(call, PERMISSION_MARK, None) for call in calls} - {None}
    if marks - _HELD_BY_ALL - {"users:self_or_admin"}:
        statuses.add(403)
    if paths:
        statuses.add(404)
    if (route.methods or set()) & _WRITES:
        statuses.add(409)
    if "if-match" in headers:
        statuses |= {412, 428}
    if has_body:
        statuses.add(413)
    if paths or queries or headers or has_body:
        statuses.add(422)
    if path.startswith("/api/"):
        statuses.add(429)
    if get_session in calls:
        statuses.add(503)
    return statuses


def _problem(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    headers = {"X-Request-ID": HEADERS["X-Request-ID"]}
    if status in (429, 503):
        headers["Retry-After"] = HEADERS["Retry-After"]
    if status == 401:
        headers["WWW-Authenticate"] = {
            "description": "`Bearer`: how to authenticate.",
            "schema": {"type": "string"},
        }
    description = (declared or {}).get("description") or DESCRIPTIONS.get(status, "Error")
    if status in DESCRIPTIONS and description == f"{status}":
        description = DESCRIPTIONS[status]
    return {
        "description": description,
        "headers": headers,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _versioned(response: dict[str, Any], schemas: dict[str, Any]) -> bool:
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    if not isinstance(ref, str):
        return False
    model = schemas.get(ref.rsplit("/", 1)[-1], {})
    return bool(model.get("properties", {}).get("version", {}).get("type") == "integer")


def _document(
    operation: dict[str, Any], path: str, route: APIRoute, schemas: dict[str, Any]
) -> None:
    operation["summary"] = summary(route)
    headers = set(_params(route.dependant, "header"))
    required_if_match = get_if_match in set(_calls(route.dependant))
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
            if not required_if_match:  # a create-or-replace PUT: only replacing needs it
                continue
            parameter["required"] = True
            variants = parameter["schema"].pop("anyOf", None)
            for variant in variants or ():  # required, so never null
                if variant.get("type") != "null":
                    parameter["schema"].update(variant)
    responses: dict[str, Any] = operation["responses"]
    errors = error_statuses(path, route) | {
        int(s) for s in responses if s.isdigit() and int(s) >= 400
    }
    for key in [s for s in responses if s.isdigit() and int(s) >= 400]:
        if int(key) not in errors:
            del responses[key]
    for status in sorted(errors):
        responses[str(status)] = _problem(status, responses.get(str(status)))
    for key, response in responses.items():
        if not key.isdigit() or int(key) >= 400:
            continue
        sent = response.setdefault("headers", {})
        sent["X-Request-ID"] = HEADERS["X-Request-ID"]
        if key == "201":
            sent["Location"] = HEADERS["Location"]
        if _versioned(response, schemas):
            sent["ETag"] = HEADERS["ETag"]
        if "idempotency-key" in headers:
            sent["Idempotent-Replayed"] = HEADERS["Idempotent-Replayed"]
    operation["responses"] = dict(sorted(responses.items()))


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every documented route with its full path (routers are included lazily)."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            yield str(context.path_format), route


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The document FastAPI would make, completed with what it cannot see (cached)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for path, route in api_routes(app):
        for method in route.methods or ():
            _document(schema["paths"][path][method.lower()], path, route, components)
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema


def install_openapi(app: FastAPI) -> None:
    """Serve ``build_openapi`` at ``/openapi.json``."""
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]


def api_version() -> str:
    """The package's version, for ``info.version``."""
    return package_version(PACKAGE)
