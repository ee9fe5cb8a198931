"""Funding figures: required, funded (commitments and payments), paid, pledged (apart), the
gap and the share funded, per item, pillar, situation and element.

Sums are made in SQL over whole cents (integers), which SQLite and PostgreSQL add exactly
alike, from each item's totals (``app.funding.totals``); only the division for
``funded_share`` happens in Python, on ``Decimal``. Every
figure counts the requirements of every year and the flows of every budget year. A flow
serving several items counts, on each, its share (``app.funding.rules.split_cents``).

Who may see what: every member of a situation reads its flows and requirements
(``funding:read``), so its figures are shown to whoever may read its summary; the roll-up
adds up only the situations the caller may see.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from app.core.money import from_cents
from app.core.prepared import prepared
from app.funding.refs import Funding, FundingOfItem
from app.models import ChecklistItem, ItemFunding

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


_SUMS = (
    ItemFunding.required_cents,
    ItemFunding.committed_cents,
    ItemFunding.paid_cents,
    ItemFunding.pledged_cents,
)


def _totals(row: Any) -> Totals:
    return Totals(*(int(cents or 0) for cents in row))


def by_item(session: Session, situation_id: uuid.UUID) -> dict[tuple[int, str, str], Totals]:
    """Per item of the situation with any money: (position, code, pillar) → Totals."""
    rows = session.execute(_by_item_statement(), {"situation_id": situation_id}).all()
    return {(row[0], row[1], str(row[2])): _totals(row[3:]) for row in rows}


@prepared
def _by_item_statement() -> Select[*tuple[Any, ...]]:
    """``by_item``'s query, for situation ``situation_id``."""
    return (
        select(ChecklistItem.sort_order, ChecklistItem.code, ChecklistItem.pillar, *_SUMS)
        .join(ChecklistItem, ChecklistItem.id == ItemFunding.item_id)
        .where(ItemFunding.situation_id == bindparam("situation_id"))
    )


def of_item(session: Session, item_id: uuid.UUID) -> Totals:
    """One item's stored totals (zeros when it has no money)."""
    row = session.execute(select(*_SUMS).where(ItemFunding.item_id == item_id)).first()
    return _totals(row) if row is not None else Totals()


@dataclass(frozen=True)
class SummaryFunding:
    """A situation's funding figures: in total, per pillar, per item (in checklist order)."""

    situation: Funding
    pillars: dict[str, Funding]
    items: list[FundingOfItem]

    def pillar(self, code: str) -> Funding:
        """A pillar's figures (zeros when none of its items has money)."""
        return self.pillars.get(code) or Totals().funding()


def summary_funding(session: Session, situation_id: uuid.UUID) -> SummaryFunding:
    """The funding figures of a situation's summary."""
    items = by_item(session, situation_id)
    pillars: dict[str, Totals] = defaultdict(Totals)
    for (_, _, pillar), totals in items.items():
        pillars[str(pillar)].add(totals)
    return SummaryFunding(
        situation=total(pillars.values()).funding(),
        pillars={code: totals.funding() for code, totals in pillars.items()},
        items=[FundingOfItem(code=key[1], funding=items[key].funding()) for key in sorted(items)],
    )


def element_statement(situations: Select[Any] | None) -> Select[*tuple[Any, ...]]:
    """The roll-up's aggregate per element code, over ``situations`` (a query of situation
    ids) or every situation: one row per element, from one row per item."""
    sums = [func.sum(column) for column in _SUMS]
    stmt: Select[*tuple[Any, ...]] = select(ItemFunding.element_code, *sums).group_by(
        ItemFunding.element_code
    )
    if situations is not None:
        stmt = stmt.where(ItemFunding.situation_id.in_(situations))
    return stmt


def by_element(session: Session, situations: Select[Any] | None) -> dict[str, Totals]:
    """Per element code, across ``situations`` (every one when None): Totals.

    A situation's context-specific items count under the Annex I element they map to.
    """
    rows = session.execute(element_statement(situations)).all()
    return {row[0]: _totals(row[1:]) for row in rows}


def gap_above(totals: Totals, share: float) -> bool:
    """Is more than ``share`` (0 to 1) of what is required not funded?"""
    gap = totals.gap_share()
    return gap is not None and gap > Decimal(str(share))


def item_sums(items: ColumnElement[bool]) -> Subquery:
    """Per item of ``items`` with any money: its required, committed, paid and pledged
    cents (a subquery to join to the items, for the exports)."""
    scope = select(ChecklistItem.id).where(items)
    return (
        select(ItemFunding.item_id, *_SUMS).where(ItemFunding.item_id.in_(scope)).subquery("money")
    )
