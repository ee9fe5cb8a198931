"""Dashboard sessions, kept in the database so that every process agrees on them.

The cookie carries a random id; only its SHA-256 hash is stored (like API tokens, it has
256 bits of randomness, so a fast hash is right). A new id is issued at every sign-in;
signing out deletes the row, and so do a new password and a deactivation (``end_all``).
Each session's CSRF token is derived from its id, so it needs no column and no look-up.
"""

import hashlib
import hmac
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.auth.tokens import (
    hash_token,
    new_secret,
    with_user_and_access_by_hash,
    with_user_by_hash,
)
from app.core.base import utcnow
from app.core.vocab import SituationRole
from app.models import Situation, User, WebSession

MAX_ID_LENGTH = 128


def start(
    session: Session, user: User, *, persistent: bool, lifetime: timedelta
) -> tuple[WebSession, str]:
    """Open a session for ``user``; the id is returned once, only its hash is kept."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    secret, secret_hash = new_secret()
    web_session = WebSession(
        user_id=user.id,
        session_hash=secret_hash,
        persistent=persistent,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(web_session)
    session.flush()
    return web_session, secret


def resolve(session: Session, secret: str, now: datetime) -> tuple[WebSession, User] | None:
    """The live session with this id and its active user, or None."""
    if not _may_be_an_id(secret):
        return None
    row = with_user_by_hash(session, WebSession, WebSession.session_hash, secret)
    return row if row is not None and _live(*row, now) else None


def resolve_with_access(
    session: Session, secret: str, now: datetime, situation_id: uuid.UUID
) -> tuple[WebSession, User, Situation | None, SituationRole | None] | None:
    """``resolve``, with the situation and the user's role in it, in the same statement."""
    if not _may_be_an_id(secret):
        return None
    row = with_user_and_access_by_hash(
        session, WebSession, WebSession.session_hash, secret, situation_id
    )
    return row if row is not None and _live(row[0], row[1], now) else None


def _may_be_an_id(secret: str) -> bool:
    return bool(secret) and len(secret) <= MAX_ID_LENGTH


def _live(web_session: WebSession, user: User, now: datetime) -> bool:
    return web_session.expires_at > now and user.is_active


def end(session: Session, secret: str) -> None:
    """End the session with this id (sign-out); an unknown id changes nothing."""
    if secret and len(secret) <= MAX_ID_LENGTH:
        session.execute(delete(WebSession).where(WebSession.session_hash == hash_token(secret)))


def end_all(session: Session, user_id: uuid.UUID) -> None:
    """End every session of a user (a new password, a deactivation)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def csrf_token(secret: str) -> str:
    """The CSRF token of the session with this id: what its forms must send back."""
    return hmac.new(
        secret.encode("utf-8", "surrogatepass"), b"crrf-csrf", hashlib.sha256
    ).hexdigest()
