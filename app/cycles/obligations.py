"""Obligations follow the checklist: made from owners, kept with them, fulfilled by reports.

- ``make_obligations``: a cycle that opens owes one report per item and owning
  organisation in one of its reporting roles;
- ``follow_owners``: after an item's owners change, owners new in a reporting role join
  every open cycle; what removed owners still owed is waived ("owner removed"), and
  comes back if they return;
- ``check_report``, ``fulfil`` and ``follow_review``: a report whose period lies in a
  cycle fulfils its organisation's obligation on the item there, whose state then follows
  the review; a report for the period of a closed cycle is refused.

Each runs in its caller's transaction (flush, never commit). These events carry no item,
so that an organisation's obligations stay out of the item history other members read.
"""

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.core.errors import CycleClosed
from app.core.prepared import prepared
from app.core.vocab import ObligationState, OwnerRole, UpdateState
from app.cycles import rules
from app.events.service import Actor, record
from app.models import ChecklistItem, ItemOwner, Obligation, ReportingCycle, Update

OWNER_REMOVED = "owner removed"
_ROLE_ORDER = list(OwnerRole)


def _reporting_role(roles: Iterable[OwnerRole], reporting: list[str]) -> OwnerRole | None:
    """The role an organisation reports in, of those it holds on an item: the first of
    ``lead``, ``support``, ``funding``, ``implementing`` among the cycle's reporting roles."""
    held = sorted((r for r in roles if r.value in reporting), key=_ROLE_ORDER.index)
    return held[0] if held else None


def _new(
    cycle: ReportingCycle, item_id: uuid.UUID, code: str, org: uuid.UUID, role: OwnerRole
) -> Obligation:
    return Obligation(
        id=uuid.uuid4(),
        cycle_id=cycle.id,
        situation_id=cycle.situation_id,
        item_id=item_id,
        item_code=code,
        organisation_id=org,
        role=role,
        state=ObligationState.DUE,
    )


def make_obligations(session: Session, cycle: ReportingCycle) -> int:
    """Create a new cycle's obligations from the owners of the situation's items."""
    rows = session.execute(
        select(ItemOwner.item_id, ChecklistItem.code, ItemOwner.organisation_id, ItemOwner.role)
        .join(ChecklistItem, ChecklistItem.id == ItemOwner.item_id)
        .where(
            ChecklistItem.situation_id == cycle.situation_id,
            ItemOwner.role.in_(cycle.reporting_roles),
        )
    ).all()
    roles: dict[tuple[uuid.UUID, str, uuid.UUID], list[OwnerRole]] = {}
    for item_id, code, organisation_id, role in rows:
        roles.setdefault((item_id, code, organisation_id), []).append(role)
    obligations = []
    for (item_id, code, organisation_id), held in roles.items():
        best = _reporting_role(held, cycle.reporting_roles)
        assert best is not None  # the query kept reporting roles only
        obligations.append(_new(cycle, item_id, code, organisation_id, best))
    session.add_all(obligations)
    session.flush()
    return len(obligations)


def _payload(obligation: Obligation) -> dict[str, str]:
    return {
        "obligation_id": str(obligation.id),
        "cycle_id": str(obligation.cycle_id),
        "code": obligation.item_code,
        "organisation_id": str(obligation.organisation_id),
        "role": obligation.role.value,
    }


def follow_owners(
    session: Session,
    item: ChecklistItem,
    owners: set[tuple[uuid.UUID, OwnerRole]],
    actor: Actor,
) -> None:
    """Bring the open cycles' obligations on ``item`` in line with its new ``owners``."""
    today = utcnow().date()
    cycles = session.scalars(
        select(ReportingCycle).where(
            ReportingCycle.situation_id == item.situation_id, rules.open_cycle_clause(today)
        )
    ).all()
    if not cycles:
        return
    existing = {
        (o.cycle_id, o.organisation_id): o
        for o in session.scalars(
            select(Obligation)
            .where(Obligation.item_id == item.id, Obligation.cycle_id.in_([c.id for c in cycles]))
            .with_for_update()
        )
    }
    held: dict[uuid.UUID, list[OwnerRole]] = {}
    for organisation_id, role in owners:
        held.setdefault(organisation_id, []).append(role)
    for cycle in cycles:
        reporting = {
            org: best
            for org, roles in held.items()
            if (best := _reporting_role(roles, cycle.reporting_roles)) is not None
        }
        for org, best in sorted(reporting.items(), key=lambda pair: str(pair[0])):
            obligation = existing.get((cycle.id, org))
            if obligation is None:
                obligation = _new(cycle, item.id, item.code, org, best)
                session.add(obligation)
                _record(session, actor, obligation, "obligation.added")
            elif _waived_for_removal(obligation):
                obligation.state = (
                    ObligationState.DUE
                    if obligation.update_id is None
                    else ObligationState.RETURNED
                )
                obligation.waived_reason = None
                _record(session, actor, obligation, "obligation.restored")
        for (cycle_id, org), obligation in existing.items():
            if cycle_id == cycle.id and org not in reporting and obligation.state in rules.OWED:
                obligation.state = ObligationState.WAIVED
                obligation.waived_reason = OWNER_REMOVED
                obligation.waived_by_id = None  # waived by the rule, not by a person
                _record(session, actor, obligation, "obligation.waived", reason=OWNER_REMOVED)
    session.flush()


def _waived_for_removal(obligation: Obligation) -> bool:
    return (
        obligation.state is ObligationState.WAIVED
        and obligation.waived_by_id is None
        and obligation.waived_reason == OWNER_REMOVED
    )


def _record(
    session: Session, actor: Actor, obligation: Obligation, action: str, **extra: str
) -> None:
    record(
        session,
        actor,
        situation_id=obligation.situation_id,
        action=action,
        after={**_payload(obligation), "state": obligation.state.value, **extra},
    )


def check_report(
    session: Session,
    situation_id: uuid.UUID,
    period: tuple[date, date],
    today: date,
) -> list[ReportingCycle]:
    """The situation's cycles whose period holds a report's ``period``; ``CycleClosed`` (409)
    when one of them is closed."""
    start, end = period
    # Shared locks: a cycle being closed waits for the reports in flight, and a report waits
    # for a closing in flight (PostgreSQL; SQLite has a single writer anyway).
    values = {"situation_id": situation_id, "start": start, "end": end}
    cycles = session.scalars(_cycles_holding(), values).all()
    for cycle in cycles:
        if not rules.cycle_is_open(cycle.state, cycle.closes_on, cycle.reopened_at, today):
            raise CycleClosed(cycle.name, cycle.closes_on, by_coordinator=today <= cycle.closes_on)
    return list(cycles)


def fulfil(session: Session, update: Update, cycles: list[ReportingCycle]) -> None:
    """Let a new update fulfil its organisation's obligations on the item in ``cycles``."""
    if not cycles or update.organisation_id is None:
        return
    values = {
        "item_id": update.item_id,
        "organisation_id": update.organisation_id,
        "cycle_ids": [c.id for c in cycles],
    }
    obligations = session.scalars(_obligations_in(), values).all()
    accepted = update.state is UpdateState.ACCEPTED
    for obligation in obligations:
        if obligation.state in (*rules.OWED, ObligationState.SUBMITTED):
            obligation.state = ObligationState.ACCEPTED if accepted else ObligationState.SUBMITTED
            obligation.update_id = update.id
    session.flush()


@prepared
def _cycles_holding() -> Select[ReportingCycle]:
    """The cycles of ``situation_id`` whose period holds ``start`` to ``end``, share-locked."""
    return (
        select(ReportingCycle)
        .where(
            ReportingCycle.situation_id == bindparam("situation_id"),
            ReportingCycle.period_start <= bindparam("start"),
            ReportingCycle.period_end >= bindparam("end"),
        )
        .with_for_update(read=True)
    )


@prepared
def _obligations_in() -> Select[Obligation]:
    """The obligations of ``organisation_id`` on ``item_id`` in the cycles ``cycle_ids``, locked."""
    return (
        select(Obligation)
        .where(
            Obligation.item_id == bindparam("item_id"),
            Obligation.organisation_id == bindparam("organisation_id"),
            Obligation.cycle_id.in_(bindparam("cycle_ids", expanding=True)),
        )
        .with_for_update()
    )


def follow_review(session: Session, update: Update) -> None:
    """After a review: an accepted update fulfils the obligations of its period for good; a
    returned one sends back the obligations it was fulfilling."""
    if update.organisation_id is None:
        return
    if update.state is UpdateState.ACCEPTED:
        period = rules.report_period(
            update.period_start, update.period_end, update.submitted_at.date()
        )
        stmt = (
            select(Obligation)
            .join(ReportingCycle, ReportingCycle.id == Obligation.cycle_id)
            .where(
                Obligation.item_id == update.item_id,
                Obligation.organisation_id == update.organisation_id,
                Obligation.state.in_([*rules.OWED, ObligationState.SUBMITTED]),
                ReportingCycle.period_start <= period[0],
                ReportingCycle.period_end >= period[1],
            )
        )
        new_state = ObligationState.ACCEPTED
    else:
        stmt = select(Obligation).where(
            Obligation.update_id == update.id, Obligation.state == ObligationState.SUBMITTED
        )
        new_state = ObligationState.RETURNED
    for obligation in session.scalars(stmt.with_for_update(of=Obligation)):
        obligation.state = new_state
        obligation.update_id = update.id
    session.flush()
