"""Reserve a key in the request's transaction, store the response, replay it on retry.

The key row is written in the same transaction as the work it guards, so a key is either
stored with its response or not at all. On PostgreSQL a concurrent duplicate waits on the
unique key until the first commits, then fails and gets 409; on SQLite writers queue, so
the duplicate finds the stored response and replays it. Either way, one update.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import Conflict, Unprocessable, field_error
from app.models import IdempotencyKey

KEY_TTL = timedelta(hours=72)
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


@dataclass(frozen=True)
class StoredResponse:
    """A response kept for replay."""

    status_code: int
    body: dict[str, Any]
    headers: dict[str, str]


def request_hash(payload: Any) -> str:
    """Fingerprint a parsed request body (key order and spacing do not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reserve(
    session: Session,
    *,
    user_id: uuid.UUID,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
) -> StoredResponse | IdempotencyKey:
    """Return the stored response for a retry, or reserve the key for this request."""
    row = session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.scope == scope,
            IdempotencyKey.key == key,
            IdempotencyKey.expires_at > now,
        )
    )
    if row is not None:
        if row.request_hash != fingerprint:
            raise Unprocessable(
                "This Idempotency-Key was already used with a different request body: "
                "use a new key for a new request.",
                errors=[field_error(("header", "Idempotency-Key"), "reused with another body")],
            )
        if row.status_code is None or row.response_body is None:
            raise Conflict("A request with this Idempotency-Key is still being processed: retry.")
        return StoredResponse(row.status_code, row.response_body, dict(row.response_headers or {}))
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.expires_at <= now
        )
    )
    row = IdempotencyKey(
        user_id=user_id,
        scope=scope,
        key=key,
        request_hash=fingerprint,
        created_at=now,
        expires_at=now + KEY_TTL,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "A request with this Idempotency-Key is being processed at the same time: "
            "retry to get its result."
        ) from None
    return row


def store(
    session: Session,
    row: IdempotencyKey,
    status_code: int,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    """Keep the response of the request that reserved ``row``."""
    row.status_code = status_code
    row.response_body = body
    row.response_headers = headers
    session.flush()
