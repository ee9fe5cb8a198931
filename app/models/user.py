"""Users and their API tokens."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.base import Base, Timestamps, UUIDPrimaryKey, utcnow
from app.models.organisation import Organisation


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # argon2id, set through an invitation link; None: the user cannot sign in with a password.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # The dashboard's language ("fr", "es", "ar", "en"); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(8))
    # The kinds of e-mail (``EmailKind`` values) the user turned off.
    email_opt_out: Mapped[list[Any]] = mapped_column(default=list)

    organisation: Mapped[Organisation | None] = relationship(lazy="raise")


class ApiToken(UUIDPrimaryKey, Base):
    __tablename__ = "api_token"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="raise")
