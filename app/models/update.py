"""What partners report about an item, and its review."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.base import Base, UUIDPrimaryKey, str_enum, utcnow
from app.core.vocab import ItemStatus, UpdateState
from app.models.organisation import Organisation


class Update(UUIDPrimaryKey, Base):
    """A partner's report on one item: ``submitted``, then ``accepted`` or ``returned``."""

    __tablename__ = "partner_update"
    __table_args__ = (
        Index("ix_partner_update_situation_submitted", "situation_id", "submitted_at"),
        # With reviewed_at, a summary counts an item's pending updates from the index alone.
        Index("ix_partner_update_item_submitted", "item_id", "submitted_at", "reviewed_at"),
        Index("ix_partner_update_situation_state", "situation_id", "state"),
        # The review backlog, and the roll-up's pending counts per situation.
        Index("ix_partner_update_state_situation", "state", "situation_id"),
    )

    situation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("situation.id", ondelete="CASCADE"))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checklist_item.id", ondelete="CASCADE"))
    item_code: Mapped[str] = mapped_column(String(48))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    state: Mapped[UpdateState] = mapped_column(str_enum(UpdateState, "update_state"))
    proposed_status: Mapped[ItemStatus | None] = mapped_column(str_enum(ItemStatus, "item_status"))
    status_note: Mapped[str | None] = mapped_column(String(4000))
    narrative: Mapped[str] = mapped_column(String(8000))
    evidence: Mapped[list[Any]]
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    base_version: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    review_comment: Mapped[str | None] = mapped_column(String(2000))

    organisation: Mapped[Organisation | None] = relationship(lazy="raise")


class IdempotencyKey(Base):
    """The stored response of a request sent with ``Idempotency-Key``, per user and route."""

    __tablename__ = "idempotency_key"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None]
    response_headers: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
