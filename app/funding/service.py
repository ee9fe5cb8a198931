"""Record, change, advance and delete funding flows; list them with filters."""

import uuid
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from app.auth.access import SituationAccess
from app.auth.policies import may_record_flow
from app.core.base import utcnow
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable, field_error
from app.core.money import from_cents, to_cents
from app.core.schemas import jsonable
from app.core.vocab import FLOW_STATUS_ORDER, FlowStatus
from app.events.service import Actor, record
from app.funding import totals
from app.funding.rules import MoneyError, split_cents, usd_and_rate
from app.funding.schemas import FlowCreate, FlowItemShare, FlowRead, FlowUpdate
from app.models import ChecklistItem, FundingFlow, FundingFlowItem, Organisation
from app.organisations.schemas import OrganisationRef

_MONEY = ("amount", "currency", "amount_usd", "exchange_rate")
_ORGANISATIONS = ("source_organisation_id", "destination_organisation_id")
_FORBIDDEN = "Partners record and change only the flows whose source is their organisation."


class FtsIdTaken(Conflict):
    default_detail = "Another flow of this situation has this fts_flow_id."


class Target(NamedTuple):
    """An item a flow serves."""

    item_id: uuid.UUID
    code: str
    element_code: str


def _items(session: Session, situation_id: uuid.UUID, codes: list[str]) -> list[Target]:
    """The situation's items of ``codes``, in that order; 422 naming any unknown one."""
    found = {
        row.code: Target(*row)
        for row in session.execute(
            select(ChecklistItem.id, ChecklistItem.code, ChecklistItem.element_code).where(
                ChecklistItem.situation_id == situation_id, ChecklistItem.code.in_(codes)
            )
        )
    }
    missing = [n for n, code in enumerate(codes) if code not in found]
    if missing:
        raise Unprocessable(
            "The flow names items this situation does not have.",
            errors=[field_error(("body", "items", n), "no such item") for n in missing],
        )
    return [found[code] for code in codes]


def _check_organisations(session: Session, ids: dict[str, uuid.UUID | None]) -> None:
    wanted = {i for i in ids.values() if i is not None}
    known = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(wanted))))
    unknown = [name for name, i in ids.items() if i is not None and i not in known]
    if unknown:
        raise Unprocessable(
            "No such organisation.",
            errors=[field_error(("body", name), "no such organisation") for name in unknown],
        )


def _check_fts_id(
    session: Session, situation_id: uuid.UUID, fts_flow_id: str | None, flow_id: uuid.UUID | None
) -> None:
    if fts_flow_id is None:
        return
    taken = session.scalar(
        select(FundingFlow.id).where(
            FundingFlow.situation_id == situation_id, FundingFlow.fts_flow_id == fts_flow_id
        )
    )
    if taken is not None and taken != flow_id:
        raise FtsIdTaken()


def _place(flow: FundingFlow, items: list[Target]) -> None:
    """Give each item its share of the flow (``app.funding.rules.split_cents``)."""
    current = {part.item_id: part for part in flow.items}
    parts = []
    shares = split_cents(flow.amount_usd_cents, len(items))
    for position, (item, cents) in enumerate(zip(items, shares, strict=True)):
        part = current.get(item.item_id) or FundingFlowItem(
            item_id=item.item_id, situation_id=flow.situation_id
        )
        part.code, part.element_code, part.position = item.code, item.element_code, position
        part.status, part.amount_usd_cents = flow.status, cents
        parts.append(part)
    flow.items = parts


def flow_json(flow: FundingFlow) -> dict[str, Any]:
    """A flow as its events record it."""
    payload: dict[str, Any] = jsonable(
        {
            "flow_id": flow.id,
            "status": flow.status,
            "source_organisation_id": flow.source_organisation_id,
            "destination_organisation_id": flow.destination_organisation_id,
            "items": [part.code for part in flow.items],
            "amount": f"{flow.amount:f}",
            "currency": flow.currency,
            "exchange_rate": f"{flow.exchange_rate:f}",
            "amount_usd": f"{from_cents(flow.amount_usd_cents):f}",
            "date": flow.date,
            "budget_year": flow.budget_year,
            "fts_flow_id": flow.fts_flow_id,
            "iati_activity_id": flow.iati_activity_id,
            "description": flow.description,
        }
    )
    return payload


def _allow(access: SituationAccess, *sources: uuid.UUID) -> None:
    if not may_record_flow(access.user, access.permissions, set(sources)):
        raise Forbidden(_FORBIDDEN)


def create(
    session: Session, access: SituationAccess, data: FlowCreate, actor: Actor
) -> FundingFlow:
    """Record a flow (a partner: only from their organisation), with its event."""
    _allow(access, data.source_organisation_id)
    return insert(session, access.situation.id, data, actor)


def insert(
    session: Session, situation_id: uuid.UUID, data: FlowCreate, actor: Actor
) -> FundingFlow:
    """Record a flow in the situation, with its event (whoever may: see ``create``)."""
    _check_organisations(session, {name: getattr(data, name) for name in _ORGANISATIONS})
    _check_fts_id(session, situation_id, data.fts_flow_id, None)
    items = _items(session, situation_id, data.items)
    # FlowCreate made both.
    assert data.amount_usd is not None
    assert data.exchange_rate is not None
    now = utcnow()
    flow = FundingFlow(
        id=uuid.uuid4(),
        situation_id=situation_id,
        **data.model_dump(exclude={"items", "amount_usd"}),
        amount_usd_cents=to_cents(data.amount_usd),
        version=1,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    flow.items = []
    _place(flow, items)
    session.add(flow)
    totals.refresh(session, [item.item_id for item in items])
    record(
        session, actor, situation_id=situation_id, action="funding.recorded", after=flow_json(flow)
    )
    session.flush()
    return get(session, situation_id, flow.id)


def get(
    session: Session, situation_id: uuid.UUID, flow_id: uuid.UUID, *, for_update: bool = False
) -> FundingFlow:
    """Load a flow of the situation with its items and organisations (404 otherwise)."""
    stmt = (
        _flows()
        .where(FundingFlow.id == flow_id, FundingFlow.situation_id == situation_id)
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update(of=FundingFlow)
    flow = session.scalar(stmt)
    if flow is None:
        raise NotFound("No such funding flow in this situation.")
    return flow


def _money(flow: FundingFlow, changes: dict[str, Any]) -> tuple[Decimal, Decimal] | None:
    """The new USD amount and rate when the change touches money (``app.funding.rules``)."""
    if not any(name in changes for name in _MONEY):
        return None
    amount = changes.get("amount", flow.amount)
    currency = changes.get("currency", flow.currency)
    usd = changes.get("amount_usd")
    if "exchange_rate" in changes:
        rate = changes["exchange_rate"]
    elif "amount_usd" in changes or "currency" in changes:
        rate = None
    else:
        rate = flow.exchange_rate
    try:
        return usd_and_rate(amount, currency, usd, rate)
    except MoneyError as exc:
        raise Unprocessable(
            "The amounts do not fit together.",
            errors=[field_error(("body", exc.field), str(exc))],
        ) from None


def update(
    session: Session, access: SituationAccess, flow: FundingFlow, data: FlowUpdate, actor: Actor
) -> FundingFlow:
    """Advance a flow's status or correct it: one new version, an event per kind of change."""
    source = data.changes().get("source_organisation_id", flow.source_organisation_id)
    _allow(access, flow.source_organisation_id, source)
    return change(session, flow, data, actor)


def change(session: Session, flow: FundingFlow, data: FlowUpdate, actor: Actor) -> FundingFlow:
    """Apply a change to a flow (whoever may: see ``update``); 409 for a status going back."""
    changes = data.changes()
    status = changes.pop("status", flow.status)
    if FLOW_STATUS_ORDER[status] < FLOW_STATUS_ORDER[flow.status]:
        raise Conflict("A flow's status only advances: pledge → commitment → paid.")
    _check_organisations(session, {k: v for k, v in changes.items() if k in _ORGANISATIONS})
    if "fts_flow_id" in changes:
        _check_fts_id(session, flow.situation_id, changes["fts_flow_id"], flow.id)
    money = _money(flow, changes)
    codes = changes.pop("items", None)
    targets = (
        _items(session, flow.situation_id, codes)
        if codes is not None
        else [Target(p.item_id, p.code, p.element_code) for p in flow.items]
    )
    before = flow_json(flow)
    served = [part.item_id for part in flow.items]
    for name, value in changes.items():
        if name not in ("amount_usd", "exchange_rate"):
            setattr(flow, name, value)
    if money is not None:
        flow.amount_usd_cents, flow.exchange_rate = to_cents(money[0]), money[1]
    flow.status = status
    _place(flow, targets)
    after = flow_json(flow)
    if after == before:
        return flow
    flow.version += 1
    flow.updated_at = utcnow()
    totals.refresh(session, [*served, *(target.item_id for target in targets)])
    _record_changes(session, actor, flow.situation_id, before, after)
    session.flush()
    return flow


def _record_changes(
    session: Session,
    actor: Actor,
    situation_id: uuid.UUID,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """``funding.changed`` for corrections, ``funding.advanced`` for a new status."""
    ident = {"flow_id": after["flow_id"]}
    changed = [k for k, v in after.items() if before[k] != v and k != "status"]
    if changed:
        record(
            session,
            actor,
            situation_id=situation_id,
            action="funding.changed",
            before={**ident, **{k: before[k] for k in changed}},
            after={**ident, **{k: after[k] for k in changed}},
        )
    if before["status"] != after["status"]:
        record(
            session,
            actor,
            situation_id=situation_id,
            action="funding.advanced",
            before={**ident, "status": before["status"]},
            after={**ident, "status": after["status"], "items": after["items"]},
        )


def delete(session: Session, access: SituationAccess, flow: FundingFlow, actor: Actor) -> None:
    """Delete a flow recorded by mistake (a partner: only their organisation's), with its event."""
    _allow(access, flow.source_organisation_id)
    before = flow_json(flow)
    served = [part.item_id for part in flow.items]
    session.delete(flow)
    totals.refresh(session, served)
    record(session, actor, situation_id=flow.situation_id, action="funding.deleted", before=before)
    session.flush()


def _flows() -> Select[FundingFlow]:
    return select(FundingFlow).options(
        selectinload(FundingFlow.items),
        selectinload(FundingFlow.source_organisation),
        selectinload(FundingFlow.destination_organisation),
    )


def flows_query(
    situation_id: uuid.UUID,
    *,
    item: str | None = None,
    status: FlowStatus | None = None,
    organisation_id: uuid.UUID | None = None,
    year: int | None = None,
) -> Select[FundingFlow]:
    """Build the query of a situation's flows: by item code, status, organisation (source or
    destination) and budget year."""
    stmt = _flows().where(FundingFlow.situation_id == situation_id)
    if item is not None:
        serving = select(FundingFlowItem.flow_id).where(
            FundingFlowItem.situation_id == situation_id, FundingFlowItem.code == item
        )
        stmt = stmt.where(FundingFlow.id.in_(serving))
    if status is not None:
        stmt = stmt.where(FundingFlow.status == status)
    if organisation_id is not None:
        stmt = stmt.where(
            or_(
                FundingFlow.source_organisation_id == organisation_id,
                FundingFlow.destination_organisation_id == organisation_id,
            )
        )
    if year is not None:
        stmt = stmt.where(FundingFlow.budget_year == year)
    return stmt


def flow_read(flow: FundingFlow) -> FlowRead:
    """Describe a flow (its items and organisations loaded)."""
    destination = flow.destination_organisation
    return FlowRead(
        id=flow.id,
        situation_id=flow.situation_id,
        status=flow.status,
        source_organisation_id=flow.source_organisation_id,
        source_organisation=OrganisationRef.model_validate(flow.source_organisation),
        destination_organisation_id=flow.destination_organisation_id,
        destination_organisation=(
            OrganisationRef.model_validate(destination) if destination is not None else None
        ),
        items=[part.code for part in flow.items],
        shares=[
            FlowItemShare(code=part.code, amount_usd=from_cents(part.amount_usd_cents))
            for part in flow.items
        ],
        amount=flow.amount,
        currency=flow.currency,
        exchange_rate=flow.exchange_rate,
        amount_usd=from_cents(flow.amount_usd_cents),
        date=flow.date,
        budget_year=flow.budget_year,
        fts_flow_id=flow.fts_flow_id,
        iati_activity_id=flow.iati_activity_id,
        description=flow.description,
        version=flow.version,
        created_at=flow.created_at,
        updated_at=flow.updated_at,
    )
