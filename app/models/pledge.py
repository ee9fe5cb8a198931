"""Pledges: promises by organisations (e.g. at the Global Refugee Forum), linked to elements."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.base import Base, Timestamps, UUIDPrimaryKey, str_enum, utcnow
from app.core.vocab import PartyRole, PledgeStatus, PledgeType
from app.models.organisation import Organisation


class Pledge(UUIDPrimaryKey, Timestamps, Base):
    """A promise: its type, GCR objectives, forum, status, parties and the items it serves."""

    __tablename__ = "pledge"
    __table_args__ = (Index("ix_pledge_created", "created_at", "id"),)

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(String(4000), default="")
    type: Mapped[PledgeType] = mapped_column(str_enum(PledgeType, "pledge_type"))
    forum: Mapped[str] = mapped_column(String(100), index=True)
    # The key of imports: unique when given.
    external_ref: Mapped[str | None] = mapped_column(String(100), unique=True)
    status: Mapped[PledgeStatus] = mapped_column(
        str_enum(PledgeStatus, "pledge_status"), default=PledgeStatus.PLANNING
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    objectives: Mapped[list["PledgeObjective"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="PledgeObjective.objective"
    )
    parties: Mapped[list["PledgeParty"]] = relationship(lazy="raise", cascade="all, delete-orphan")
    links: Mapped[list["PledgeLink"]] = relationship(lazy="raise", cascade="all, delete-orphan")


class PledgeObjective(Base):
    """One of the GCR objectives (1 to 4) a pledge serves."""

    __tablename__ = "pledge_objective"
    __table_args__ = (CheckConstraint("objective BETWEEN 1 AND 4", name="objective_range"),)

    pledge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pledge.id", ondelete="CASCADE"), primary_key=True
    )
    objective: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class PledgeParty(Base):
    """An organisation's part in a pledge, with its share in basis points (1 to 10000), if known."""

    __tablename__ = "pledge_party"
    __table_args__ = (CheckConstraint("share_bp BETWEEN 1 AND 10000", name="share_range"),)

    pledge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pledge.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    role: Mapped[PartyRole] = mapped_column(str_enum(PartyRole, "party_role"))
    # A share of 0.25 is 2500: exact on every database, where a NUMERIC is a float on SQLite.
    share_bp: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation] = relationship(lazy="raise")


class PledgeLink(Base):
    """A checklist item a pledge serves, in one situation."""

    __tablename__ = "pledge_link"
    __table_args__ = (UniqueConstraint("pledge_id", "situation_id", "code"),)

    pledge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pledge.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("checklist_item.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    situation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("situation.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(48))


class PledgeProgress(UUIDPrimaryKey, Base):
    """A party's yearly progress report on a pledge."""

    __tablename__ = "pledge_progress"
    __table_args__ = (Index("ix_pledge_progress_pledge_year", "pledge_id", "year"),)

    pledge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pledge.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[PledgeStatus | None] = mapped_column(str_enum(PledgeStatus, "pledge_status"))
    narrative: Mapped[str] = mapped_column(String(4000))
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="raise")
