"""Reporting discipline in a report: the cycles of the period, and the updates the reader
may see.

A cycle belongs to the period when their periods overlap. Its obligations are counted as
they stand when the report is made (``app.cycles.figures``), for the organisations the
reader may list obligations of. Updates awaiting review or returned are listed only as the
reader may read updates: coordinators every organisation's, partners their own, viewers none.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.core.vocab import UpdateState
from app.cycles.figures import ReportingScope, per_organisation
from app.cycles.schemas import OrganisationReporting
from app.models import ChecklistItem, Organisation, ReportingCycle, Update
from app.progress.period import Period
from app.reporting.service import pending_scope

MAX_LISTED_UPDATES = 50


@dataclass(frozen=True)
class CycleLine:
    """A cycle of the period, with its figures per organisation."""

    name: str
    period_start: date
    period_end: date
    due_date: date
    organisations: list[OrganisationReporting]

    @property
    def late(self) -> list[OrganisationReporting]:
        """The organisations with an obligation overdue: nothing sent by the due date."""
        return [row for row in self.organisations if row.overdue]


@dataclass(frozen=True)
class UpdateLine:
    code: str
    title: str
    organisation: str | None
    submitted_at: datetime
    state: UpdateState


@dataclass(frozen=True)
class UpdatesSeen:
    """The updates awaiting review, and those returned, that the reader may see: the first
    ``MAX_LISTED_UPDATES`` each, and how many there are. ``shown`` is False for viewers."""

    shown: bool
    pending: list[UpdateLine]
    pending_total: int
    returned: list[UpdateLine]
    returned_total: int


def cycles(
    session: Session, access: SituationAccess, period: Period, today: date
) -> list[CycleLine]:
    """The cycles whose period overlaps the report's, oldest first."""
    scope = ReportingScope.of(access).organisations
    found = session.scalars(
        select(ReportingCycle)
        .where(
            ReportingCycle.situation_id == access.situation.id,
            ReportingCycle.period_start <= period.end,
            ReportingCycle.period_end >= period.start,
        )
        .order_by(ReportingCycle.period_start, ReportingCycle.id)
    ).all()
    return [
        CycleLine(
            name=cycle.name,
            period_start=cycle.period_start,
            period_end=cycle.period_end,
            due_date=cycle.due_date,
            organisations=per_organisation(session, cycle, today, scope) if scope else [],
        )
        for cycle in found
    ]


def updates_seen(
    session: Session, access: SituationAccess, *, start: datetime, end: datetime
) -> UpdatesSeen:
    """The updates submitted in the period and awaiting review or returned, as the reader
    may see them."""
    whose = pending_scope(access.user, access.permissions)
    if whose is None:
        return UpdatesSeen(False, [], 0, [], 0)
    conditions: list[ColumnElement[bool]] = [
        Update.situation_id == access.situation.id,
        Update.submitted_at >= start,
        Update.submitted_at < end,
    ]
    if whose != "all":
        conditions.append(Update.organisation_id == whose)

    def of_state(state: UpdateState) -> tuple[list[UpdateLine], int]:
        where = [*conditions, Update.state == state]
        total = session.scalar(select(func.count()).select_from(Update).where(*where)) or 0
        rows = session.execute(
            select(ChecklistItem.code, ChecklistItem.title, Organisation.name, Update.submitted_at)
            .join(ChecklistItem, ChecklistItem.id == Update.item_id)
            .outerjoin(Organisation, Organisation.id == Update.organisation_id)
            .where(*where)
            .order_by(Update.submitted_at, Update.id)
            .limit(MAX_LISTED_UPDATES)
        ).all()
        return [UpdateLine(*row, state=state) for row in rows], int(total)

    pending, pending_total = of_state(UpdateState.SUBMITTED)
    returned, returned_total = of_state(UpdateState.RETURNED)
    return UpdatesSeen(True, pending, pending_total, returned, returned_total)
