"""Situations, their population figures and their members."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.base import Base, Timestamps, UUIDPrimaryKey, same_as_created, str_enum, utcnow
from app.core.vocab import Phase, PopulationType, ReviewPolicy, SituationRole
from app.models.user import User


class Situation(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "situation"

    name: Mapped[str] = mapped_column(String(200))
    host_country: Mapped[str] = mapped_column(String(3), index=True)
    origin_countries: Mapped[list[Any]]
    start_date: Mapped[date]
    phase: Mapped[Phase] = mapped_column(str_enum(Phase, "phase"), index=True)
    description: Mapped[str | None] = mapped_column(String(4000))
    template_id: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[str] = mapped_column(String(32))
    review_policy: Mapped[ReviewPolicy] = mapped_column(
        str_enum(ReviewPolicy, "review_policy"), default=ReviewPolicy.REVIEW
    )
    stale_after_days: Mapped[int] = mapped_column(Integer, default=90)
    # How many days before a cycle's due date the ``obligation.due_soon`` reminder goes.
    reminder_days_before: Mapped[int] = mapped_column(Integer, default=3, server_default=text("3"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    population: Mapped[list["PopulationFigure"]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="(PopulationFigure.population_type, PopulationFigure.date)",
    )


class PopulationFigure(UUIDPrimaryKey, Base):
    """A population count on a date, by sex and UNHCR age band where known (Declaration ¶40)."""

    __tablename__ = "population_figure"
    __table_args__ = (UniqueConstraint("situation_id", "population_type", "date"),)

    situation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("situation.id", ondelete="CASCADE"), index=True
    )
    population_type: Mapped[PopulationType] = mapped_column(
        str_enum(PopulationType, "population_type")
    )
    date: Mapped[date]
    total: Mapped[int] = mapped_column(BigInteger)
    female_0_4: Mapped[int | None] = mapped_column(BigInteger)
    female_5_11: Mapped[int | None] = mapped_column(BigInteger)
    female_12_17: Mapped[int | None] = mapped_column(BigInteger)
    female_18_59: Mapped[int | None] = mapped_column(BigInteger)
    female_60_plus: Mapped[int | None] = mapped_column(BigInteger)
    male_0_4: Mapped[int | None] = mapped_column(BigInteger)
    male_5_11: Mapped[int | None] = mapped_column(BigInteger)
    male_12_17: Mapped[int | None] = mapped_column(BigInteger)
    male_18_59: Mapped[int | None] = mapped_column(BigInteger)
    male_60_plus: Mapped[int | None] = mapped_column(BigInteger)


class Membership(Base):
    """A user's role in one situation."""

    __tablename__ = "membership"

    situation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("situation.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[SituationRole] = mapped_column(str_enum(SituationRole, "situation_role"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=same_as_created, onupdate=utcnow)

    user: Mapped[User] = relationship(lazy="raise")
