"""How people sign in: invitation links, dashboard sessions, and failed sign-ins.

Secrets (the invitation token, the session id) are kept only as SHA-256 hashes; so are the
e-mail addresses and client addresses that failed sign-ins are counted by.
"""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.base import Base, UUIDPrimaryKey, utcnow


class Invitation(UUIDPrimaryKey, Base):
    """A one-time link that lets a user set their password; it expires, and works once."""

    __tablename__ = "invitation"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(UUIDPrimaryKey, Base):
    """A signed-in browser: its cookie carries the random id whose hash is kept here."""

    __tablename__ = "web_session"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    persistent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SignInFailure(UUIDPrimaryKey, Base):
    """One failed sign-in, counted against an account (``email``) and an ``address``."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (Index("ix_sign_in_failure_scope_key_at", "scope", "key_hash", "failed_at"),)

    scope: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
