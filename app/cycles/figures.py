"""The summary's reporting figures: the current cycle's obligations per organisation.

The current cycle is the open cycle whose period holds today, else the latest open one.
Two statements: the cycle, then one GROUP BY over its obligations (with their updates, for
the on-time share). A cycle's due date is one day for all its obligations, so whether a
``due`` obligation is overdue is known before the query runs (``rules.obligation_state``).
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Date, Select, and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.auth.policies import obligation_scope
from app.core.prepared import prepared
from app.core.vocab import ObligationState
from app.cycles import rules
from app.cycles.schemas import OrganisationReporting, ReportingFigures
from app.models import Obligation, Organisation, ReportingCycle, Update
from app.organisations.schemas import OrganisationRef

_FULFILLED = (ObligationState.SUBMITTED, ObligationState.ACCEPTED)


@dataclass(frozen=True)
class ReportingScope:
    """Whose rows the figures show: every organisation's, one's, or none (the cycle alone)."""

    organisations: uuid.UUID | Literal["all"] | None

    @classmethod
    def of(cls, access: SituationAccess) -> "ReportingScope":
        """As the caller may list obligations: coordinators all, partners their own."""
        scope = obligation_scope(access.permissions)
        if scope == "all":
            return cls("all")
        if scope == "own" and access.user.organisation_id is not None:
            return cls(access.user.organisation_id)
        return cls(None)


def current_cycle(session: Session, situation_id: uuid.UUID, today: date) -> ReportingCycle | None:
    """The open cycle whose period holds today, else the open one that starts last."""
    values = {"situation_id": situation_id, "today": today}
    return session.scalar(_current_cycle_statement(), values)


@prepared
def _current_cycle_statement() -> Select[ReportingCycle]:
    """``current_cycle``'s query, for situation ``situation_id`` on day ``today``: every
    summary asks it (the summary's p50 goal, bench "situation summary")."""
    today: Any = bindparam("today", type_=Date)
    holds_today = and_(ReportingCycle.period_start <= today, ReportingCycle.period_end >= today)
    return (
        select(ReportingCycle)
        .where(
            ReportingCycle.situation_id == bindparam("situation_id"),
            rules.open_cycle_clause(today),
        )
        .order_by(
            case((holds_today, 0), else_=1),
            ReportingCycle.period_start.desc(),
            ReportingCycle.id,
        )
        .limit(1)
    )


def reporting_figures(
    session: Session, situation_id: uuid.UUID, today: date, scope: ReportingScope
) -> ReportingFigures | None:
    """The current cycle's figures per organisation (by name), or None without one."""
    cycle = current_cycle(session, situation_id, today)
    if cycle is None:
        return None
    rows: list[OrganisationReporting] = []
    if scope.organisations is not None:
        rows = per_organisation(session, cycle, today, scope.organisations)
    return ReportingFigures(
        cycle_id=cycle.id,
        name=cycle.name,
        period_start=cycle.period_start,
        period_end=cycle.period_end,
        due_date=cycle.due_date,
        closes_on=cycle.closes_on,
        organisations=rows,
    )


Tally = dict[str, int]
"""Obligations by state (``ObligationState`` values), and ``on_time``: those fulfilled by the
due date."""
Tallies = dict[uuid.UUID, tuple[OrganisationRef, Tally]]


def per_organisation(
    session: Session,
    cycle: ReportingCycle,
    today: date,
    organisations: uuid.UUID | Literal["all"],
) -> list[OrganisationReporting]:
    """A cycle's obligations per organisation (every one's, or one's), by name."""
    return rows_of(tallies(session, cycle, today, organisations))


def tallies(
    session: Session,
    cycle: ReportingCycle,
    today: date,
    organisations: uuid.UUID | Literal["all"],
) -> Tallies:
    """A cycle's obligations counted per organisation (every one's, or one's)."""
    deadline = datetime.combine(cycle.due_date + timedelta(days=1), time.min, tzinfo=UTC)
    on_time = and_(Obligation.state.in_(_FULFILLED), Update.submitted_at < deadline)
    stmt = (
        select(
            Organisation.id,
            Organisation.name,
            Organisation.acronym,
            Organisation.type,
            Obligation.state,
            func.count(),
            func.coalesce(func.sum(case((on_time, 1), else_=0)), 0),
        )
        .join(Organisation, Organisation.id == Obligation.organisation_id)
        .outerjoin(Update, Update.id == Obligation.update_id)
        .where(Obligation.cycle_id == cycle.id)
        .group_by(
            Organisation.id,
            Organisation.name,
            Organisation.acronym,
            Organisation.type,
            Obligation.state,
        )
    )
    if organisations != "all":
        stmt = stmt.where(Obligation.organisation_id == organisations)
    found: Tallies = {}
    for org_id, name, acronym, type_, stored, count, timely in session.execute(stmt).all():
        ref = OrganisationRef(id=org_id, name=name, acronym=acronym, type=type_)
        _, tally = found.setdefault(org_id, (ref, empty_tally()))
        tally[rules.obligation_state(stored, cycle.due_date, today)] += int(count)
        tally["on_time"] += int(timely or 0)
    return found


def empty_tally() -> Tally:
    return dict.fromkeys([*ObligationState, "on_time"], 0)


def owed(tally: Tally) -> int:
    """The obligations of a tally that are not waived."""
    return sum(tally[state] for state in ObligationState) - tally[ObligationState.WAIVED]


def on_time_share(tally: Tally) -> float:
    """Fulfilled by the due date, over the obligations not waived (0 when none is owed)."""
    return round(tally["on_time"] / owed(tally), 4) if owed(tally) else 0.0


def rows_of(found: Tallies) -> list[OrganisationReporting]:
    """Tallies as figures per organisation, by name."""
    rows = [
        OrganisationReporting(
            organisation=ref,
            **{state.value: tally[state] for state in ObligationState},
            on_time_share=on_time_share(tally),
        )
        for ref, tally in found.values()
    ]
    return sorted(rows, key=lambda row: (row.organisation.name.casefold(), row.organisation.id))
