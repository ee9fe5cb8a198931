"""Reporting cycles (rounds of reporting in a situation) and the obligations they create."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.base import Base, Timestamps, UUIDPrimaryKey, str_enum
from app.core.vocab import CycleState, ObligationState, OwnerRole
from app.models.organisation import Organisation


class ReportingCycle(UUIDPrimaryKey, Timestamps, Base):
    """A round of reporting: a period, a due date, a closing date, the roles that report.

    ``state`` is what a coordinator last set; past ``closes_on`` the cycle is closed all the
    same unless it was reopened after that day (``reopened_at``): ``app.cycles.rules``.
    """

    __tablename__ = "reporting_cycle"
    __table_args__ = (Index("ix_reporting_cycle_situation_period", "situation_id", "period_start"),)

    situation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("situation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date]
    period_end: Mapped[date]
    due_date: Mapped[date]
    closes_on: Mapped[date]
    reporting_roles: Mapped[list[Any]]
    state: Mapped[CycleState] = mapped_column(
        str_enum(CycleState, "cycle_state"), default=CycleState.OPEN
    )
    # Set when a coordinator reopens the cycle after its closing date: late reports are
    # taken until it is closed again.
    reopened_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)


class Obligation(UUIDPrimaryKey, Timestamps, Base):
    """One organisation owes one report on one item in one cycle."""

    __tablename__ = "obligation"
    __table_args__ = (
        UniqueConstraint("cycle_id", "item_id", "organisation_id"),
        # An organisation's obligations across situations (``users/me/obligations``), and
        # what a report on an item fulfils.
        Index("ix_obligation_organisation_item", "organisation_id", "item_id"),
        Index("ix_obligation_situation_state", "situation_id", "state"),
    )

    cycle_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reporting_cycle.id", ondelete="CASCADE")
    )
    situation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("situation.id", ondelete="CASCADE"))
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("checklist_item.id", ondelete="CASCADE"), index=True
    )
    item_code: Mapped[str] = mapped_column(String(48))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT")
    )
    role: Mapped[OwnerRole] = mapped_column(str_enum(OwnerRole, "owner_role"))
    state: Mapped[ObligationState] = mapped_column(
        str_enum(ObligationState, "obligation_state"), default=ObligationState.DUE
    )
    update_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_update.id", ondelete="SET NULL"), index=True
    )
    waived_reason: Mapped[str | None] = mapped_column(String(2000))
    waived_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # Each reminder is recorded once (``app.cycles.deadlines``): these say it was.
    due_soon_sent_at: Mapped[datetime | None]
    due_today_sent_at: Mapped[datetime | None]
    overdue_sent_at: Mapped[datetime | None]

    cycle: Mapped[ReportingCycle] = relationship(lazy="raise")
    organisation: Mapped[Organisation] = relationship(lazy="raise")
