"""Assertions shared by the tests."""

from typing import Any
from urllib.parse import unquote

import httpx2 as httpx
from sqlalchemy import Connection, func, select, text

from app.models import Base


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem with ``status``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert unquote(body["instance"]) == response.request.url.path
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def table_counts(connection: Connection) -> dict[str, int]:
    """Rows per table, to show that a denied request changed nothing."""
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in Base.metadata.sorted_tables
    }


def state_fingerprint(connection: Connection) -> dict[str, Any]:
    """Row counts plus every versioned row's version: a cheap "nothing changed" check."""
    fingerprint: dict[str, Any] = dict(table_counts(connection))
    fingerprint["item_versions"] = sorted(
        connection.execute(text("SELECT id, version FROM checklist_item")).all()
    )
    fingerprint["situation_versions"] = sorted(
        connection.execute(text("SELECT id, version FROM situation")).all()
    )
    fingerprint["memberships"] = sorted(
        connection.execute(text("SELECT situation_id, user_id, role FROM membership")).all()
    )
    return fingerprint


def with_etag(client: Any, url: str, headers: dict[str, str]) -> dict[str, str]:
    """``headers`` with ``If-Match``: the ETag a GET of ``url`` answers now."""
    etag = client.get(url, headers=headers).headers["etag"]
    return {**headers, "If-Match": etag}
