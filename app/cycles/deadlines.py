"""Deadlines: the reminders an obligation is owed before, on and after its due date, once each.

``run_deadlines`` is what a worker calls now and then, in a transaction of its own that it
commits: it records an event per reminder due (``obligation.due_soon``, within the
situation's ``reminder_days_before`` days of the due date; ``obligation.due_today``;
``obligation.overdue``), and marks the obligation in the same transaction, so each is
recorded once however often and by however many workers it runs. On PostgreSQL the rows
are claimed with ``FOR UPDATE SKIP LOCKED``: two workers never take the same one, and
neither waits for the other. Turning the events into e-mails and webhooks is the
notifications' work, not this module's.

Only obligations that still wait for a first report (stored ``due``: due or overdue) in
open cycles get reminders. Once past the due date only the overdue one goes: reminders
missed while no worker ran are not sent late.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, literal, or_, select
from sqlalchemy.orm import Session

from app.core.vocab import ObligationState
from app.cycles import rules
from app.events.service import SYSTEM, record
from app.models import Obligation, ReportingCycle, Situation

DUE_SOON = "obligation.due_soon"
DUE_TODAY = "obligation.due_today"
OVERDUE = "obligation.overdue"
_MARKS = {DUE_SOON: "due_soon_sent_at", DUE_TODAY: "due_today_sent_at", OVERDUE: "overdue_sent_at"}


def reminder_due(due_date: date, today: date, days_before: int) -> str | None:
    """Which reminder an obligation due on ``due_date`` is owed today, if any."""
    if today > due_date:
        return OVERDUE
    if today == due_date:
        return DUE_TODAY
    if due_date - timedelta(days=days_before) <= today:
        return DUE_SOON
    return None


def _soon_until(session: Session, today: date) -> ColumnElement[date]:
    """SQL: the last due date that is "soon" today, per situation (its ``reminder_days_before``).

    A CASE over the few values in use, as ``stale_thresholds`` does: no date arithmetic in SQL.
    """
    days = session.scalars(select(Situation.reminder_days_before).distinct()).all()
    if not days:  # no situation yet: a CASE needs at least one WHEN
        return literal(today)
    return case(
        {d: literal(today + timedelta(days=d)) for d in days},
        value=Situation.reminder_days_before,
        else_=literal(today),
    )


def _pending(session: Session, today: date) -> Any:
    """The obligations owed a reminder today that has not been recorded yet."""
    due_date = ReportingCycle.due_date
    wanted = or_(
        and_(due_date < today, Obligation.overdue_sent_at.is_(None)),
        and_(due_date == today, Obligation.due_today_sent_at.is_(None)),
        and_(
            due_date > today,
            due_date <= _soon_until(session, today),
            Obligation.due_soon_sent_at.is_(None),
        ),
    )
    return (
        select(Obligation, ReportingCycle.due_date, Situation.reminder_days_before)
        .join(ReportingCycle, ReportingCycle.id == Obligation.cycle_id)
        .join(Situation, Situation.id == Obligation.situation_id)
        .where(
            Obligation.state == ObligationState.DUE,
            rules.open_cycle_clause(today),
            wanted,
        )
        # Situation by situation: a pass's reminders share their situation's rows, which
        # the mail layer loads once per transaction (``notify.service._reminder_rows``).
        .order_by(due_date, Obligation.situation_id, Obligation.organisation_id, Obligation.id)
        .with_for_update(of=Obligation, skip_locked=True)
    )


def run_deadlines(session: Session, now: datetime, *, limit: int | None = None) -> int:
    """Record the reminders due at ``now`` that were not recorded yet; return how many.

    Flushes, never commits: the caller commits (or rolls back, and nothing was recorded).
    ``limit`` bounds the rows one call claims (and holds locked until the commit).
    """
    today = now.date()
    stmt = _pending(session, today)
    if limit is not None:
        stmt = stmt.limit(limit)
    recorded = 0
    for obligation, due_date, days_before in session.execute(stmt).all():
        action = reminder_due(due_date, today, days_before)
        if action is None or getattr(obligation, _MARKS[action]) is not None:
            continue
        setattr(obligation, _MARKS[action], now)
        event = record(
            session,
            SYSTEM,
            situation_id=obligation.situation_id,
            action=action,
            after={
                "obligation_id": str(obligation.id),
                "organisation_id": str(obligation.organisation_id),
                "code": obligation.item_code,
                "due_date": due_date.isoformat(),
                "cycle_id": str(obligation.cycle_id),
            },
        )
        event.at = now
        recorded += 1
    session.flush()
    return recorded


# A pass holds its rows locked until it commits: a small batch lets several workers share
# a burst of reminders, and queues each batch's e-mails sooner.
DEADLINES_PER_PASS = 100


def deadlines_task(session_factory: Callable[[], Session], now: datetime) -> int:
    """The worker's task: record the reminders due now (a bounded batch) and commit, so that
    the events' e-mails and webhooks are queued in the same transaction."""
    with session_factory() as session, session.begin():
        return run_deadlines(session, now, limit=DEADLINES_PER_PASS)
