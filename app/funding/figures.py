"""Funding figures: required, funded (commitments and payments), paid, pledged (apart), the
gap and the share funded, per item, pillar, situation and element.

Sums are made in SQL over whole cents (integers), which SQLite and PostgreSQL add exactly
alike; only the division for ``funded_share`` happens in Python, on ``Decimal``. Every
figure counts the requirements of every year and the flows of every budget year. A flow
serving several items counts, on each, its share (``app.funding.rules.split_cents``).

Who may see what: every member of a situation reads its flows and requirements
(``funding:read``), so its figures are shown to whoever may read its summary; the roll-up
adds up only the situations the caller may see.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from app.core.money import from_cents
from app.core.vocab import FlowStatus
from app.funding.schemas import Funding, ItemFunding
from app.models import ChecklistItem, FundingFlowItem, FundingRequirement

SHARE_PLACES = Decimal("0.0001")


@dataclass
class Totals:
    """Whole cents: required, committed, paid, pledged."""

    required: int = 0
    committed: int = 0
    paid: int = 0
    pledged: int = 0

    def add(self, other: "Totals") -> "Totals":
        self.required += other.required
        self.committed += other.committed
        self.paid += other.paid
        self.pledged += other.pledged
        return self

    @property
    def funded(self) -> int:
        return self.committed + self.paid

    def share(self) -> Decimal | None:
        """funded ÷ required, half-even to 4 places; None when nothing is required."""
        if not self.required:
            return None
        return (Decimal(self.funded) / Decimal(self.required)).quantize(
            SHARE_PLACES, rounding=ROUND_HALF_EVEN
        )

    def gap_share(self) -> Decimal | None:
        """The part of the requirement not funded (0 to 1); None when nothing is required."""
        if not self.required:
            return None
        return Decimal(max(self.required - self.funded, 0)) / Decimal(self.required)

    def funding(self) -> Funding:
        share = self.share()
        return Funding(
            required_usd=from_cents(self.required),
            funded_usd=from_cents(self.funded),
            paid_usd=from_cents(self.paid),
            pledged_usd=from_cents(self.pledged),
            gap_usd=from_cents(max(self.required - self.funded, 0)),
            funded_share=float(share) if share is not None else None,
        )


def total(parts: Iterable[Totals]) -> Totals:
    """The sum of ``parts``."""
    result = Totals()
    for part in parts:
        result.add(part)
    return result


def _status_sums(amount: Any, status: Any) -> list[ColumnElement[Any]]:
    def of(*statuses: FlowStatus) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((status.in_(statuses), amount), else_=0)), 0)

    return [
        of(FlowStatus.COMMITMENT).label("committed"),
        of(FlowStatus.PAID).label("paid"),
        of(FlowStatus.PLEDGE).label("pledged"),
    ]


def _fold(
    required: Iterable[Any], flows: Iterable[Any], key: slice = slice(0, 1)
) -> dict[Any, Totals]:
    """Rows of (key…, required) and (key…, committed, paid, pledged) into Totals by key."""
    totals: dict[Any, Totals] = defaultdict(Totals)
    width = key.stop - key.start

    def key_of(row: Any) -> Any:
        return row[0] if width == 1 else tuple(row[key])

    for row in required:
        totals[key_of(row)].required += int(row[width])
    for row in flows:
        entry = totals[key_of(row)]
        entry.committed += int(row[width])
        entry.paid += int(row[width + 1])
        entry.pledged += int(row[width + 2])
    return totals


_ITEM = (ChecklistItem.sort_order, ChecklistItem.code, ChecklistItem.pillar)


def by_item(session: Session, situation_id: Any) -> dict[tuple[int, str, str], Totals]:
    """Per item of the situation with any money: (position, code, pillar) → Totals."""
    required = session.execute(
        select(*_ITEM, func.sum(FundingRequirement.amount_usd_cents))
        .join(ChecklistItem, ChecklistItem.id == FundingRequirement.item_id)
        .where(FundingRequirement.situation_id == situation_id)
        .group_by(*_ITEM)
    ).all()
    flows = session.execute(
        select(*_ITEM, *_status_sums(FundingFlowItem.amount_usd_cents, FundingFlowItem.status))
        .join(ChecklistItem, ChecklistItem.id == FundingFlowItem.item_id)
        .where(FundingFlowItem.situation_id == situation_id)
        .group_by(*_ITEM)
    ).all()
    return _fold(required, flows, slice(0, len(_ITEM)))


@dataclass(frozen=True)
class SummaryFunding:
    """A situation's funding figures: in total, per pillar, per item (in checklist order)."""

    situation: Funding
    pillars: dict[str, Funding]
    items: list[ItemFunding]

    def pillar(self, code: str) -> Funding:
        """A pillar's figures (zeros when none of its items has money)."""
        return self.pillars.get(code) or Totals().funding()


def summary_funding(session: Session, situation_id: Any) -> SummaryFunding:
    """The funding figures of a situation's summary."""
    items = by_item(session, situation_id)
    pillars: dict[str, Totals] = defaultdict(Totals)
    for (_, _, pillar), totals in items.items():
        pillars[str(pillar)].add(totals)
    return SummaryFunding(
        situation=total(pillars.values()).funding(),
        pillars={code: totals.funding() for code, totals in pillars.items()},
        items=[ItemFunding(code=key[1], funding=items[key].funding()) for key in sorted(items)],
    )


def element_statements(
    situations: Select[Any] | None,
) -> tuple[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]]:
    """The roll-up's two aggregates per element code: requirements, and flows by status,
    over ``situations`` (a query of situation ids) or every situation."""
    required: Select[*tuple[Any, ...]] = select(
        FundingRequirement.element_code, func.sum(FundingRequirement.amount_usd_cents)
    ).group_by(FundingRequirement.element_code)
    flows: Select[*tuple[Any, ...]] = select(
        FundingFlowItem.element_code,
        *_status_sums(FundingFlowItem.amount_usd_cents, FundingFlowItem.status),
    ).group_by(FundingFlowItem.element_code)
    if situations is not None:
        required = required.where(FundingRequirement.situation_id.in_(situations))
        flows = flows.where(FundingFlowItem.situation_id.in_(situations))
    return required, flows


def by_element(session: Session, situations: Select[Any] | None) -> dict[str, Totals]:
    """Per element code, across ``situations`` (every one when None): Totals.

    A situation's context-specific items count under the Annex I element they map to.
    """
    required, flows = element_statements(situations)
    return _fold(session.execute(required).all(), session.execute(flows).all())


def gap_above(totals: Totals, share: float) -> bool:
    """Is more than ``share`` (0 to 1) of what is required not funded?"""
    gap = totals.gap_share()
    return gap is not None and gap > Decimal(str(share))


def item_sums(items: ColumnElement[bool]) -> tuple[Subquery, Subquery]:
    """Per item of ``items``: its required cents; its committed, paid and pledged cents
    (two grouped subqueries to join to the items, for the exports)."""
    scope = select(ChecklistItem.id).where(items)
    required = (
        select(
            FundingRequirement.item_id,
            func.sum(FundingRequirement.amount_usd_cents).label("required"),
        )
        .where(FundingRequirement.item_id.in_(scope))
        .group_by(FundingRequirement.item_id)
        .subquery("required")
    )
    flows = (
        select(
            FundingFlowItem.item_id,
            *_status_sums(FundingFlowItem.amount_usd_cents, FundingFlowItem.status),
        )
        .where(FundingFlowItem.item_id.in_(scope))
        .group_by(FundingFlowItem.item_id)
        .subquery("flows")
    )
    return required, flows
