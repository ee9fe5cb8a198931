"""Reporting discipline in a report: the cycles of the period, each organisation's
obligations over them, and the updates the reader may see.

A cycle belongs to the period when their periods overlap. Its obligations are counted as
they stand when the report is made (``app.cycles.figures``), for the organisations the
reader may list obligations of; an organisation's figures add up its obligations of every
cycle of the period. Updates awaiting review or returned are listed only as the
reader may read updates: coordinators every organisation's, partners their own, viewers none.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.core.vocab import ObligationState, UpdateState
from app.cycles import figures
from app.cycles.figures import ReportingScope
from app.cycles.schemas import OrganisationReporting
from app.models import ChecklistItem, Organisation, ReportingCycle, Update
from app.progress.period import Period
from app.reporting.service import pending_scope

MAX_LISTED_UPDATES = 20
MAX_ORGANISATIONS = 25
MAX_LATE = 10


@dataclass(frozen=True)
class CycleLine:
    """A cycle of the period; its figures (None for a reader who may not see them) count
    the obligations of the organisations the reader may see."""

    name: str
    period_start: date
    period_end: date
    due_date: date
    owed: int | None
    on_time_share: float | None
    overdue: int | None


@dataclass(frozen=True)
class Discipline:
    """The period's cycles, and each organisation's obligations over all of them: the least
    on time first, the first ``MAX_ORGANISATIONS`` of ``organisations_total``."""

    shown: bool
    cycles: list[CycleLine]
    organisations: list[OrganisationReporting]
    organisations_total: int
    late: list[OrganisationReporting]  # the most overdue first, the first ``MAX_LATE``


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


def discipline(
    session: Session, access: SituationAccess, period: Period, today: date
) -> Discipline:
    """The cycles whose period overlaps the report's (oldest first), and the organisations'
    obligations over them."""
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
    combined: figures.Tallies = {}
    lines = []
    for cycle in found:
        counted = figures.tallies(session, cycle, today, scope) if scope else {}
        whole = figures.empty_tally()
        for ref, tally in counted.values():
            _, into = combined.setdefault(ref.id, (ref, figures.empty_tally()))
            for key, count in tally.items():
                into[key] += count
                whole[key] += count
        lines.append(
            CycleLine(
                name=cycle.name,
                period_start=cycle.period_start,
                period_end=cycle.period_end,
                due_date=cycle.due_date,
                owed=figures.owed(whole) if scope else None,
                on_time_share=figures.on_time_share(whole) if scope else None,
                overdue=whole[ObligationState.OVERDUE] if scope else None,
            )
        )
    rows = sorted(figures.rows_of(combined), key=lambda row: row.on_time_share)
    late = sorted((row for row in rows if row.overdue), key=lambda row: -row.overdue)
    return Discipline(
        shown=scope is not None,
        cycles=lines,
        organisations=rows[:MAX_ORGANISATIONS],
        organisations_total=len(rows),
        late=late[:MAX_LATE],
    )


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
