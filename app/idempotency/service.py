"""Look a key up when the request arrives, store the response in the same transaction.

The key row is written with the response, in the transaction that does the work, so a key
is either stored with its response or not at all. A retry finds it and gets the response
again. Two requests racing with the same key both do the work, but only one can write the
key: on PostgreSQL the second waits on the unique key until the first commits, then fails,
and its whole transaction (its update too) is rolled back and answered 409; on SQLite
writers queue, so the second finds the first's key and replays it. Either way, one update.
"""

import hashlib
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.core.errors import Conflict, Unprocessable, field_error
from app.core.prepared import prepared
from app.models import IdempotencyKey

KEY_TTL = timedelta(hours=72)
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
# Expired keys are swept now and then, not on every request.
SWEEP_CHANCE = 0.01


@dataclass(frozen=True)
class StoredResponse:
    """A response kept for replay."""

    status_code: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True)
class Reservation:
    """A key seen for the first time, to be stored with the response."""

    user_id: uuid.UUID
    scope: str
    key: str
    fingerprint: str
    now: datetime


def request_hash(payload: Any) -> str:
    """Fingerprint a parsed request body (key order and spacing do not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def look_up(
    session: Session,
    *,
    user_id: uuid.UUID,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
) -> StoredResponse | Reservation:
    """Return the stored response for a retry, or a reservation for a new request."""
    row = session.scalar(_key_statement(), {"user_id": user_id, "scope": scope, "key": key})
    if row is not None and row.expires_at > now:
        if row.request_hash != fingerprint:
            raise Unprocessable(
                "This Idempotency-Key was already used with a different request body: "
                "use a new key for a new request.",
                errors=[field_error(("header", "Idempotency-Key"), "reused with another body")],
            )
        return StoredResponse(
            row.status_code or 200, row.response_body or {}, dict(row.response_headers or {})
        )
    if row is not None:
        session.delete(row)
        session.flush()
    elif random.random() < SWEEP_CHANCE:  # noqa: S311 - not a secret, a sampling rate
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    return Reservation(user_id, scope, key, fingerprint, now)


@prepared
def _key_statement() -> Select[IdempotencyKey]:
    """The key ``key`` of user ``user_id`` on route ``scope``."""
    return select(IdempotencyKey).where(
        IdempotencyKey.user_id == bindparam("user_id"),
        IdempotencyKey.scope == bindparam("scope"),
        IdempotencyKey.key == bindparam("key"),
    )


def store(
    session: Session,
    reservation: Reservation,
    status_code: int,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    """Keep the response with its key; a racing request with the same key loses (409)."""
    values = {
        "user_id": reservation.user_id,
        "scope": reservation.scope,
        "key": reservation.key,
        "request_hash": reservation.fingerprint,
        "status_code": status_code,
        "response_body": body,
        "response_headers": headers,
        "created_at": reservation.now,
        "expires_at": reservation.now + KEY_TTL,
    }
    try:
        # One INSERT, not the unit of work: nothing reads the key back in this request.
        session.execute(insert(IdempotencyKey), values)
    except IntegrityError:
        raise Conflict(
            "A request with this Idempotency-Key was processed at the same time: "
            "retry to get its result."
        ) from None


def run_once(
    session: Session,
    *,
    user_id: uuid.UUID,
    scope: str,
    key: str | None,
    payload: Any,
    work: Callable[[], StoredResponse],
) -> tuple[StoredResponse, bool]:
    """Do ``work`` once per key; a retry gets the stored response. Returns it, and if replayed.

    The one replay rule of every idempotent route: the same key and body within ``KEY_TTL``
    replay the first response; another body is 422; a concurrent duplicate is 409. Without
    a key, ``work`` simply runs.
    """
    if key is None:
        return work(), False
    found = look_up(
        session,
        user_id=user_id,
        scope=scope,
        key=key,
        fingerprint=request_hash(payload),
        now=utcnow(),
    )
    if isinstance(found, StoredResponse):
        return found, True
    response = work()
    store(session, found, response.status_code, response.body, response.headers)
    return response, False
