"""The outbox: messages written in the same transaction as the change that causes them.

A worker sends them later (``app.notify.delivery``). A rolled-back change takes its
messages with it; a committed one cannot lose them. ``dedupe_key`` is unique, so the same
message is never queued twice.
"""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.base import Base, UUIDPrimaryKey, str_enum, utcnow
from app.core.vocab import EmailKind, EmailState


class OutboundEmail(UUIDPrimaryKey, Base):
    """One e-mail to one person, rendered in their language when it was queued."""

    __tablename__ = "outbound_email"
    __table_args__ = (
        # What a worker claims: pending rows that are due, and leases that ran out.
        Index("ix_outbound_email_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_outbound_email_state_leased_until", "state", "leased_until"),
    )

    kind: Mapped[EmailKind] = mapped_column(str_enum(EmailKind, "email_kind"))
    recipient_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[EmailState] = mapped_column(
        str_enum(EmailState, "email_state"), default=EmailState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
