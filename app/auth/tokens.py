"""Bearer tokens: long, random, shown once, stored only as a SHA-256 hash.

A fast hash is right here: the token carries 256 bits of randomness, so there is nothing
for a slow password hash to protect, and every request pays for the hash.
"""

import hashlib
import secrets
import uuid
from typing import Any

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.core.prepared import prepared
from app.core.vocab import SituationRole
from app.models import Membership, Situation, User

TOKEN_PREFIX = "crrf_"  # noqa: S105 - a public prefix, not a secret


def new_token() -> str:
    """Make a fresh random API token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> tuple[str, str]:
    """A fresh random secret (a session id, an invitation link's token) and its stored hash."""
    secret = secrets.token_urlsafe(32)
    return secret, hash_token(secret)


def hash_token(token: str) -> str:
    """Hash a token for storage and look-up."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters of a token, safe to show so that a user can tell tokens apart."""
    return token[: len(TOKEN_PREFIX) + 6]


def with_user_by_hash(
    session: Session, model: Any, hash_column: InstrumentedAttribute[str], secret: str
) -> tuple[Any, User] | None:
    """The row of ``model`` whose ``hash_column`` holds the hash of ``secret``, and its user.

    One look-up for every secret kept as a hash: API tokens, invitation links, dashboard
    sessions.
    """
    stmt = _by_hash(model, hash_column.key)
    row = session.execute(stmt, {"hash": hash_token(secret)}).first()
    return (row[0], row[1]) if row is not None else None


def with_user_and_access_by_hash(
    session: Session,
    model: Any,
    hash_column: InstrumentedAttribute[str],
    secret: str,
    situation_id: uuid.UUID,
) -> tuple[Any, User, Situation | None, SituationRole | None] | None:
    """``with_user_by_hash``, with situation ``situation_id`` (``None`` if there is none) and
    the user's role in it (``None`` if not a member), in the same statement."""
    stmt = _by_hash_with_access(model, hash_column.key)
    row = session.execute(stmt, {"hash": hash_token(secret), "situation_id": situation_id}).first()
    return (row[0], row[1], row[2], row[3]) if row is not None else None


@prepared
def _by_hash(model: Any, hash_column: str) -> Select[Any]:
    """The row of ``model`` with the hash ``hash``, and its user."""
    return (
        select(model, User)
        .join(User, User.id == model.user_id)
        .where(getattr(model, hash_column) == bindparam("hash"))
    )


@prepared
def _by_hash_with_access(model: Any, hash_column: str) -> Select[Any]:
    """``_by_hash``, with situation ``situation_id`` and the user's role in it."""
    return (
        _by_hash(model, hash_column)
        .add_columns(Situation, Membership.role)
        .outerjoin(Situation, Situation.id == bindparam("situation_id"))
        .outerjoin(
            Membership,
            and_(Membership.situation_id == Situation.id, Membership.user_id == User.id),
        )
    )
