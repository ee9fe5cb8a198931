"""The rules of cycles and obligations that depend on the day, defined once, in SQL and Python.

Like the checklist's flags (``app.checklist.flags``), nothing here is stored:

- a cycle is **open** when a coordinator has not closed it and either its closing date
  has not passed or it was reopened after that date (``reopened_at``);
- an obligation is **overdue** when it is still ``due`` (nothing submitted, not waived) and
  its cycle's due date has passed. The stored state is never ``overdue``.

Days are UTC days, as everywhere in the service.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from app.core.vocab import CycleState, ObligationState
from app.models import Obligation, ReportingCycle

# The stored states that still wait for a report.
OWED = (ObligationState.DUE, ObligationState.RETURNED)


def cycle_is_open(
    state: CycleState, closes_on: date, reopened_at: datetime | None, today: date
) -> bool:
    """Whether a cycle takes reports today."""
    return state is CycleState.OPEN and (today <= closes_on or reopened_at is not None)


def cycle_state(cycle: ReportingCycle, today: date) -> CycleState:
    """A cycle's state as the API tells it: closed once its closing date passed, unless
    it was reopened after."""
    open_ = cycle_is_open(cycle.state, cycle.closes_on, cycle.reopened_at, today)
    return CycleState.OPEN if open_ else CycleState.CLOSED


def open_cycle_clause(today: date | ColumnElement[date]) -> ColumnElement[bool]:
    """SQL on ``ReportingCycle``: the cycles open today (``cycle_is_open``); ``today`` is a
    day or a bound parameter."""
    return and_(
        ReportingCycle.state == CycleState.OPEN,
        or_(ReportingCycle.closes_on >= today, ReportingCycle.reopened_at.is_not(None)),
    )


def cycle_state_clause(state: CycleState, today: date) -> ColumnElement[bool]:
    """SQL on ``ReportingCycle``: the cycles whose state today is ``state``."""
    clause = open_cycle_clause(today)
    return clause if state is CycleState.OPEN else ~clause


def obligation_state(stored: ObligationState, due_date: date, today: date) -> ObligationState:
    """An obligation's state today: ``overdue`` once its due date passed with nothing sent."""
    if stored is ObligationState.DUE and due_date < today:
        return ObligationState.OVERDUE
    return stored


def obligation_state_clause(state: ObligationState, today: date, due_date: Any) -> Any:
    """SQL on ``Obligation`` (and its cycle's ``due_date``): the obligations in ``state`` today."""
    if state is ObligationState.OVERDUE:
        return and_(Obligation.state == ObligationState.DUE, due_date < today)
    if state is ObligationState.DUE:
        return and_(Obligation.state == ObligationState.DUE, due_date >= today)
    return Obligation.state == state


def report_period(
    period_start: date | None, period_end: date | None, submitted_on: date
) -> tuple[date, date]:
    """The days a report covers: its period, one end standing for a missing other, or else
    the day it was sent."""
    start = period_start or period_end or submitted_on
    end = period_end or period_start or submitted_on
    return start, end
