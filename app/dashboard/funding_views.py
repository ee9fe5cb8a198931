"""What the item page shows of money: the item's funding, its requirements, its flows."""

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.core.money import from_cents
from app.funding import figures, requirements, service
from app.funding.refs import Funding
from app.funding.schemas import FlowRead, RequirementRead
from app.models import FundingFlow, FundingRequirement

SHOWN = 20


@dataclass(frozen=True)
class FlowLine:
    """A flow as the item page lists it: the flow, and this item's part of it."""

    flow: FlowRead
    share: object


@dataclass(frozen=True)
class ItemMoney:
    funding: Funding
    requirements: list[RequirementRead]
    flows: list[FlowLine]


def item_money(session: Session, situation_id: uuid.UUID, code: str) -> ItemMoney:
    """The item's funding figures, its requirements (latest year first) and its latest flows."""
    item_id, _ = requirements.item_of(session, situation_id, code)
    years = session.scalars(
        requirements.requirements_query(item_id)
        .order_by(FundingRequirement.year.desc())
        .limit(SHOWN)
    )
    flows = session.scalars(
        service.flows_query(situation_id, item=code)
        .order_by(FundingFlow.date.desc(), FundingFlow.id.desc())
        .limit(SHOWN)
    )
    lines = []
    for flow in flows:
        cents = next(part.amount_usd_cents for part in flow.items if part.code == code)
        lines.append(FlowLine(service.flow_read(flow), from_cents(cents)))
    return ItemMoney(
        funding=figures.of_item(session, item_id).funding(),
        requirements=[requirements.read(r, code) for r in years],
        flows=lines,
    )
