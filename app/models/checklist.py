"""Checklist items (Annex I elements instantiated for a situation) and their owners."""

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.base import Base, Timestamps, UUIDPrimaryKey, str_enum
from app.core.vocab import ItemStatus, OwnerRole, PillarCode
from app.models.organisation import Organisation


class ChecklistItem(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "checklist_item"
    __table_args__ = (
        UniqueConstraint("situation_id", "code"),
        Index("ix_checklist_item_situation_order", "situation_id", "sort_order"),
        # Covers what the summaries and the roll-up read of each item: they scan an index,
        # not the rows (which carry the element's text).
        Index(
            "ix_checklist_item_situation_figures",
            "situation_id",
            "pillar",
            "status",
            "has_lead",
            "target_date",
            "last_accepted_update_at",
            "created_at",
        ),
        # Covers the roll-up's count of situations per element and status.
        Index(
            "ix_checklist_item_element_status",
            "element_code",
            "pillar",
            "status",
            "is_custom",
            "sort_order",
            "title",
        ),
    )

    situation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("situation.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(48))
    element_code: Mapped[str] = mapped_column(String(8))
    pillar: Mapped[PillarCode] = mapped_column(str_enum(PillarCode, "pillar_code"))
    paragraph: Mapped[str] = mapped_column(String(8))
    solution: Mapped[str | None] = mapped_column(String(48))
    sort_order: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(String(4000))
    is_custom: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ItemStatus] = mapped_column(
        str_enum(ItemStatus, "item_status"), default=ItemStatus.NOT_STARTED
    )
    status_note: Mapped[str | None] = mapped_column(String(4000))
    target_date: Mapped[date | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    last_accepted_update_at: Mapped[datetime | None]
    # Whether an owner has the ``lead`` role: kept with the owners (``set_owners``), so that
    # figures over thousands of items need no look-up per item.
    has_lead: Mapped[bool] = mapped_column(default=False, server_default=false())

    owners: Mapped[list["ItemOwner"]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(ItemOwner.role, ItemOwner.organisation_id)",
    )


class ItemOwner(Base):
    """An organisation's role on an item; at most one ``lead`` per item."""

    __tablename__ = "item_owner"
    __table_args__ = (
        Index(
            "uq_item_owner_one_lead",
            "item_id",
            unique=True,
            sqlite_where=text("role = 'lead'"),
            postgresql_where=text("role = 'lead'"),
        ),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("checklist_item.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    role: Mapped[OwnerRole] = mapped_column(str_enum(OwnerRole, "owner_role"), primary_key=True)

    organisation: Mapped[Organisation] = relationship(lazy="raise")
