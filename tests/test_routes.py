"""Every route is guarded: a permission dependency, or a place on the short public list."""

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from app.auth.deps import PERMISSION_MARK

# The invitation page is public by nature: its one-time token is the credential.
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/signin",
    "/language",  # the language switcher: works signed out; saves on the user when signed in
    "/invitations/{token}",
    "/problems/{slug}",
}
# The dashboard's HTML pages: guarded like the API (signed out, they redirect to /signin).
DASHBOARD = {
    "/",
    "/situations",
    "/organisation",
    "/situations/{sid}/items/{code}/updates",
    "/signout",
    "/situations/{sid}",
    "/situations/{sid}/items/{code}",
    "/situations/{sid}/review",
    "/situations/{sid}/review/{uid}",
    "/situations/{sid}/items/{code}/edit",
    "/situations/{sid}/items/{code}/owners",
    "/situations/{sid}/members",
    "/situations/{sid}/members/{user_id}/role",
    "/situations/{sid}/members/{user_id}/remove",
    "/situations/{sid}/trend",
    "/situations/{sid}/report",
    "/situations/{sid}/export",
    "/rollup",
    "/pledges",
    "/situations/{sid}/frameworks",
    "/situations/{sid}/frameworks/{template_id}/drop",
    "/situations/{sid}/items/{code}/requirements",
    "/situations/{sid}/items/{code}/funding",
    "/rollup/export",
    "/admin",
    "/admin/situations/new",
    "/admin/situations",
    "/admin/organisations/new",
    "/admin/organisations",
    "/admin/users/new",
    "/admin/users",
}
# Mounted apps, public like any stylesheet: the dashboard's CSS, the vendored Swagger UI.
PUBLIC_MOUNTS = {"/static", "/docs/assets"}


def api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], APIRoute]]:
    """Every API route with its full path (routers are included lazily)."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            yield str(context.path), set(route.methods), route


def _permissions(dependant: Any) -> list[str]:
    found = []
    for dependency in dependant.dependencies:
        mark = getattr(dependency.call, PERMISSION_MARK, None)
        if mark is not None:
            found.append(mark)
        found.extend(_permissions(dependency))
    return found


def test_every_api_route_has_exactly_one_permission(app: FastAPI) -> None:
    routes = [(path, route) for path, _, route in api_routes(app) if path not in PUBLIC]
    assert len(routes) > 20
    unguarded = [
        (sorted(route.methods), path, marks)
        for path, route in routes
        if len(marks := _permissions(route.dependant)) != 1
    ]
    assert unguarded == []


def test_public_routes_are_only_probes(app: FastAPI) -> None:
    paths = {path for path, _, _ in api_routes(app)}
    assert paths >= PUBLIC | DASHBOARD
    assert all(path.startswith("/api/v1/") for path in paths - PUBLIC - DASHBOARD)


def test_only_static_files_are_mounted(app: FastAPI) -> None:
    assert {route.path for route in app.routes if isinstance(route, Mount)} == PUBLIC_MOUNTS
