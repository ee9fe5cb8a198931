"""The append-only record of every change. Rows are never updated nor deleted."""

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.base import Base, UUIDPrimaryKey, str_enum, utcnow
from app.core.vocab import ItemStatus

if TYPE_CHECKING:
    from app.models.update import Update


class Event(UUIDPrimaryKey, Base):
    """Who, from which organisation, when, what, before and after.

    Events that change an item carry the item's version and its state after the change,
    so that any past day's checklist can be rebuilt from the events alone.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_item_at", "item_id", "at"),
        Index("ix_event_situation_at", "situation_id", "at"),
        # One event per item version: what makes a past day's state rebuildable.
        UniqueConstraint("item_id", "item_version"),
    )

    situation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("situation.id", ondelete="CASCADE"))
    item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("checklist_item.id", ondelete="CASCADE")
    )
    update_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_update.id", ondelete="CASCADE"), index=True
    )
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    actor_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    item_version: Mapped[int | None] = mapped_column(Integer)
    item_status: Mapped[ItemStatus | None] = mapped_column(str_enum(ItemStatus, "item_status"))
    item_target_date: Mapped[date | None]
    item_has_lead: Mapped[bool | None]
    # Known to the unit of work, so that an event is written after the update it names,
    # in the same flush.
    update: Mapped["Update | None"] = relationship(lazy="raise")
