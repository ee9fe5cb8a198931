"""Money: what an item needs in a year (requirements) and the flows that fund it."""

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.base import Base, Timestamps, UUIDPrimaryKey, str_enum
from app.core.money import DecimalText
from app.core.vocab import BudgetStatus, FlowStatus
from app.models.organisation import Organisation


class FundingRequirement(UUIDPrimaryKey, Timestamps, Base):
    """What an item needs in one year, in USD (whole cents)."""

    __tablename__ = "funding_requirement"
    __table_args__ = (
        UniqueConstraint("item_id", "year"),
        Index("ix_funding_requirement_situation_item", "situation_id", "item_id"),
    )

    situation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("situation.id", ondelete="CASCADE"))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("checklist_item.id", ondelete="CASCADE"))
    # Denormalised from the item (which never changes it): the roll-up groups by it.
    element_code: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    amount_usd_cents: Mapped[int] = mapped_column(BigInteger)
    budget_status: Mapped[BudgetStatus] = mapped_column(str_enum(BudgetStatus, "budget_status"))
    note: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[int] = mapped_column(Integer, default=1)


class FundingFlow(UUIDPrimaryKey, Timestamps, Base):
    """A pledge, commitment or payment from one organisation, serving one or more items."""

    __tablename__ = "funding_flow"
    __table_args__ = (
        UniqueConstraint("situation_id", "fts_flow_id"),
        Index("ix_funding_flow_situation_date", "situation_id", "date"),
    )

    situation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("situation.id", ondelete="CASCADE"))
    status: Mapped[FlowStatus] = mapped_column(str_enum(FlowStatus, "flow_status"))
    source_organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    destination_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(DecimalText())
    currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal] = mapped_column(DecimalText())
    amount_usd_cents: Mapped[int] = mapped_column(BigInteger)
    date: Mapped[date]
    budget_year: Mapped[int] = mapped_column(Integer)
    fts_flow_id: Mapped[str | None] = mapped_column(String(64))
    iati_activity_id: Mapped[str | None] = mapped_column(String(150))
    description: Mapped[str | None] = mapped_column(String(4000))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    source_organisation: Mapped[Organisation] = relationship(
        lazy="raise", foreign_keys=[source_organisation_id]
    )
    destination_organisation: Mapped[Organisation | None] = relationship(
        lazy="raise", foreign_keys=[destination_organisation_id]
    )
    items: Mapped[list["FundingFlowItem"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="FundingFlowItem.position"
    )


class FundingFlowItem(Base):
    """The part of a flow that serves one item: its share of the USD amount, in cents.

    ``situation_id``, ``code`` and ``status`` repeat the flow's and the item's: the list's
    ``item`` filter, and ``ItemFunding``'s sums, read them here.
    """

    __tablename__ = "funding_flow_item"
    __table_args__ = (
        Index("ix_funding_flow_item_item", "item_id"),
        Index("ix_funding_flow_item_situation_code", "situation_id", "code"),
    )

    flow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("funding_flow.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("checklist_item.id", ondelete="CASCADE"), primary_key=True
    )
    situation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("situation.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(48))
    element_code: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[FlowStatus] = mapped_column(str_enum(FlowStatus, "flow_status"))
    amount_usd_cents: Mapped[int] = mapped_column(BigInteger)


class ItemFunding(Base):
    """An item's funding totals in whole cents, kept by ``app.funding.totals`` with every
    write to its requirements and flows: the summaries, the roll-up and the exports add up
    one row per item instead of every flow (bench ``funding``)."""

    __tablename__ = "item_funding"
    __table_args__ = (
        # Covers the roll-up per element, for every situation or some.
        Index(
            "ix_item_funding_element",
            "element_code",
            "situation_id",
            "required_cents",
            "committed_cents",
            "paid_cents",
            "pledged_cents",
        ),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("checklist_item.id", ondelete="CASCADE"), primary_key=True
    )
    situation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("situation.id", ondelete="CASCADE"), index=True
    )
    element_code: Mapped[str] = mapped_column(String(8))
    required_cents: Mapped[int] = mapped_column(BigInteger)
    committed_cents: Mapped[int] = mapped_column(BigInteger)
    paid_cents: Mapped[int] = mapped_column(BigInteger)
    pledged_cents: Mapped[int] = mapped_column(BigInteger)
