"""Open, change, close and reopen reporting cycles; list and waive their obligations."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session, contains_eager, selectinload

from app.auth.access import SituationAccess
from app.auth.policies import obligation_scope
from app.core.base import utcnow
from app.core.errors import Conflict, NotFound, Unprocessable, field_error
from app.core.schemas import jsonable
from app.core.vocab import CycleState, ObligationState, SituationRole
from app.cycles import rules
from app.cycles.obligations import make_obligations
from app.cycles.schemas import (
    CycleCreate,
    CycleRead,
    CycleUpdate,
    ObligationRead,
    check_dates,
)
from app.events.service import Actor, apply_changes, record
from app.models import ChecklistItem, Membership, Obligation, ReportingCycle, User
from app.organisations.schemas import OrganisationRef

_DATES = ("period_start", "period_end", "due_date", "closes_on")


def cycle_read(cycle: ReportingCycle, today: date) -> CycleRead:
    """Describe a cycle, with its state today."""
    fields = {name: getattr(cycle, name) for name in CycleRead.model_fields if name != "state"}
    return CycleRead(**fields, state=rules.cycle_state(cycle, today))


def _cycle_json(cycle: ReportingCycle) -> dict[str, Any]:
    payload: dict[str, Any] = jsonable(
        {
            "cycle_id": cycle.id,
            "name": cycle.name,
            **{name: getattr(cycle, name) for name in _DATES},
            "reporting_roles": cycle.reporting_roles,
        }
    )
    return payload


def create(
    session: Session, situation_id: uuid.UUID, data: CycleCreate, actor: Actor
) -> ReportingCycle:
    """Open a cycle and make its obligations from the items' owners, in one transaction."""
    now = utcnow()
    cycle = ReportingCycle(
        id=uuid.uuid4(),
        situation_id=situation_id,
        **data.model_dump(exclude={"reporting_roles"}),
        reporting_roles=[role.value for role in data.reporting_roles],
        state=CycleState.OPEN,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(cycle)
    session.flush()
    count = make_obligations(session, cycle)
    record(
        session,
        actor,
        situation_id=situation_id,
        action="cycle.opened",
        after={**_cycle_json(cycle), "obligations": count},
    )
    session.flush()
    return cycle


def get(
    session: Session, situation_id: uuid.UUID, cycle_id: uuid.UUID, *, for_update: bool = False
) -> ReportingCycle:
    """Load a cycle of the situation (404 otherwise); lock it when it is about to change."""
    stmt = (
        select(ReportingCycle)
        .where(ReportingCycle.id == cycle_id, ReportingCycle.situation_id == situation_id)
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update()
    cycle = session.scalar(stmt)
    if cycle is None:
        raise NotFound("No such reporting cycle in this situation.")
    return cycle


def update(
    session: Session, cycle: ReportingCycle, data: CycleUpdate, actor: Actor
) -> ReportingCycle:
    """Rename the cycle or move its dates; close or reopen it. One version, its events."""
    now = utcnow()
    today = now.date()
    changes = data.changes()
    wanted_state = changes.pop("state", None)
    dates = {name: changes.get(name, getattr(cycle, name)) for name in _DATES}
    wrong = check_dates(**dates)
    if wrong:
        raise Unprocessable(
            "The cycle's dates do not fit together.",
            errors=[field_error(("body", name), message) for name, message in wrong],
        )
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    was_open = rules.cycle_state(cycle, today) is CycleState.OPEN
    apply_changes(cycle, changes, before, after)
    if "closes_on" in after and today <= cycle.closes_on:
        cycle.reopened_at = None  # it closes on its new closing date
    if wanted_state is CycleState.CLOSED and rules.cycle_state(cycle, today) is CycleState.OPEN:
        cycle.state, cycle.reopened_at = CycleState.CLOSED, None
    elif wanted_state is CycleState.OPEN and rules.cycle_state(cycle, today) is CycleState.CLOSED:
        cycle.state = CycleState.OPEN
        # Reopened after its closing date: late reports are taken until it is closed again.
        cycle.reopened_at = now if today > cycle.closes_on else None
    events = [("cycle.changed", before, after)] if after else []
    is_open = rules.cycle_state(cycle, today) is CycleState.OPEN
    if is_open != was_open:
        # Closed or reopened: by its state, or by moving its closing date.
        opened, closed = {"state": "open"}, {"state": "closed"}
        events.append(
            ("cycle.reopened", closed, opened) if is_open else ("cycle.closed", opened, closed)
        )
    if not events:
        return cycle
    cycle.version += 1
    cycle.updated_at = now
    for action, old, new in events:
        record(
            session,
            actor,
            situation_id=cycle.situation_id,
            action=action,
            before={"cycle_id": str(cycle.id), **old},
            after={"cycle_id": str(cycle.id), **new},
        )
    session.flush()
    return cycle


def cycles_query(
    situation_id: uuid.UUID, state: CycleState | None, today: date
) -> Select[ReportingCycle]:
    """Build the query of a situation's cycles, filtered by their state today."""
    stmt = select(ReportingCycle).where(ReportingCycle.situation_id == situation_id)
    if state is not None:
        stmt = stmt.where(rules.cycle_state_clause(state, today))
    return stmt


# --- obligations ---------------------------------------------------------------------------


def visible_obligations(access: SituationAccess) -> ColumnElement[bool]:
    """SQL: the obligations of this situation that the caller may see."""
    scope = obligation_scope(access.permissions)
    if scope == "all":
        return true()
    if scope == "own" and access.user.organisation_id is not None:
        return Obligation.organisation_id == access.user.organisation_id
    return false()


def _obligations(*where: ColumnElement[bool]) -> Select[Obligation, int]:
    """Obligations with their cycle and organisation, and their item's place in the checklist."""
    return (
        select(Obligation, ChecklistItem.sort_order)
        .join(ReportingCycle, ReportingCycle.id == Obligation.cycle_id)
        .join(ChecklistItem, ChecklistItem.id == Obligation.item_id)
        .options(contains_eager(Obligation.cycle), selectinload(Obligation.organisation))
        .where(*where)
    )


def obligations_query(
    access: SituationAccess,
    cycle: ReportingCycle,
    *,
    today: date,
    organisation_id: uuid.UUID | None = None,
    state: ObligationState | None = None,
    item_code: str | None = None,
) -> Select[Obligation, int]:
    """Build the query of a cycle's obligations that the caller may see, with filters."""
    stmt = _obligations(Obligation.cycle_id == cycle.id, visible_obligations(access))
    if organisation_id is not None:
        stmt = stmt.where(Obligation.organisation_id == organisation_id)
    if state is not None:
        stmt = stmt.where(rules.obligation_state_clause(state, today, ReportingCycle.due_date))
    if item_code is not None:
        stmt = stmt.where(Obligation.item_code == item_code)
    return stmt


def owed_by(
    user: User, *, today: date, state: ObligationState | None, all_cycles: bool
) -> Select[Obligation, int]:
    """Build the query of what the user's organisation owes in the situations they are a
    member of: in open cycles (or every cycle), with a state filter."""
    if user.organisation_id is None:
        return _obligations(false())
    member = select(Membership.situation_id).where(Membership.user_id == user.id)
    stmt = _obligations(
        Obligation.organisation_id == user.organisation_id, Obligation.situation_id.in_(member)
    )
    if not all_cycles:
        stmt = stmt.where(rules.open_cycle_clause(today))
    if state is not None:
        stmt = stmt.where(rules.obligation_state_clause(state, today, ReportingCycle.due_date))
    return stmt


OWED_SHOWN = 200


def reports_owed(user: User, today: date) -> Select[Obligation, int, ChecklistItem]:
    """Build the query of the reports the user's organisation still owes (due, overdue or
    returned) in open cycles, where the user reports (not as a viewer): soonest due first."""
    reporting = select(Membership.situation_id).where(
        Membership.user_id == user.id, Membership.role != SituationRole.VIEWER
    )
    return (
        owed_by(user, today=today, state=None, all_cycles=False)
        .add_columns(ChecklistItem)
        .where(Obligation.state.in_(rules.OWED), Obligation.situation_id.in_(reporting))
        .order_by(ReportingCycle.due_date, ChecklistItem.sort_order, Obligation.id)
        .limit(OWED_SHOWN)
    )


def obligation_read(obligation: Obligation, today: date) -> ObligationRead:
    """Describe an obligation (its cycle and organisation loaded), with its state today."""
    cycle = obligation.cycle
    return ObligationRead(
        id=obligation.id,
        situation_id=obligation.situation_id,
        cycle_id=obligation.cycle_id,
        cycle_name=cycle.name,
        item_id=obligation.item_id,
        code=obligation.item_code,
        organisation_id=obligation.organisation_id,
        organisation=OrganisationRef.model_validate(obligation.organisation),
        role=obligation.role,
        state=rules.obligation_state(obligation.state, cycle.due_date, today),
        update_id=obligation.update_id,
        due_date=cycle.due_date,
        waived_reason=obligation.waived_reason,
    )


def get_obligation(
    session: Session, access: SituationAccess, cycle_id: uuid.UUID, obligation_id: uuid.UUID
) -> Obligation:
    """Load an obligation of the cycle that the caller may see, locked; 404 otherwise."""
    obligation = session.scalar(
        _obligations(
            Obligation.id == obligation_id,
            Obligation.cycle_id == cycle_id,
            Obligation.situation_id == access.situation.id,
            visible_obligations(access),
        )
        .with_for_update(of=Obligation)
        .execution_options(populate_existing=True)
    )
    if not isinstance(obligation, Obligation):
        raise NotFound("No such obligation in this cycle, or you may not see it.")
    return obligation


def waive(session: Session, obligation: Obligation, reason: str, actor: Actor) -> Obligation:
    """Excuse an organisation from a report, with a reason; 409 once it was accepted."""
    if obligation.state is ObligationState.ACCEPTED:
        raise Conflict("This obligation was fulfilled (its update accepted): it cannot be waived.")
    before = {"state": obligation.state.value, "waived_reason": obligation.waived_reason}
    obligation.state = ObligationState.WAIVED
    obligation.waived_reason = reason
    obligation.waived_by_id = actor.user_id
    obligation.updated_at = utcnow()
    record(
        session,
        actor,
        situation_id=obligation.situation_id,
        action="obligation.waived",
        before={"obligation_id": str(obligation.id), **before},
        after={
            "obligation_id": str(obligation.id),
            "cycle_id": str(obligation.cycle_id),
            "code": obligation.item_code,
            "organisation_id": str(obligation.organisation_id),
            "state": ObligationState.WAIVED.value,
            "waived_reason": reason,
        },
    )
    session.flush()
    return obligation
