"""Each item's funding totals (``ItemFunding``), recomputed with every write to its
requirements and flows, in the writer's transaction.

The totals are recomputed from the requirements and flow parts, never adjusted by a
difference, so that they cannot drift. The items' rows are locked first (``FOR UPDATE``
on PostgreSQL; SQLite has one writer at a time): a second writer to the same items waits,
then reads what the first committed.
"""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, insert, select
from sqlalchemy.orm import Session

from app.core.vocab import FlowStatus
from app.models import ChecklistItem, FundingFlowItem, FundingRequirement, ItemFunding


def status_sums(amount: Any, status: Any) -> list[ColumnElement[Any]]:
    """SQL sums of ``amount`` by flow status: committed, paid, pledged."""

    def of(wanted: FlowStatus) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((status == wanted, amount), else_=0)), 0)

    return [
        of(FlowStatus.COMMITMENT).label("committed"),
        of(FlowStatus.PAID).label("paid"),
        of(FlowStatus.PLEDGE).label("pledged"),
    ]


def refresh(session: Session, item_ids: Iterable[uuid.UUID]) -> None:
    """Recompute the stored totals of these items from their requirements and flows."""
    ids = sorted(set(item_ids))
    if not ids:
        return
    session.flush()
    items = session.execute(
        select(ChecklistItem.id, ChecklistItem.situation_id, ChecklistItem.element_code)
        .where(ChecklistItem.id.in_(ids))
        .order_by(ChecklistItem.id)
        .with_for_update()
    ).all()
    required = {
        row[0]: row[1]
        for row in session.execute(
            select(FundingRequirement.item_id, func.sum(FundingRequirement.amount_usd_cents))
            .where(FundingRequirement.item_id.in_(ids))
            .group_by(FundingRequirement.item_id)
        )
    }
    flows = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                FundingFlowItem.item_id,
                *status_sums(FundingFlowItem.amount_usd_cents, FundingFlowItem.status),
            )
            .where(FundingFlowItem.item_id.in_(ids))
            .group_by(FundingFlowItem.item_id)
        )
    }
    session.execute(delete(ItemFunding).where(ItemFunding.item_id.in_(ids)))
    rows = []
    for item_id, situation_id, element_code in items:
        committed, paid, pledged = flows.get(item_id, (0, 0, 0))
        cents = (required.get(item_id) or 0, committed, paid, pledged)
        if any(cents):
            rows.append(
                {
                    "item_id": item_id,
                    "situation_id": situation_id,
                    "element_code": element_code,
                    "required_cents": int(cents[0]),
                    "committed_cents": int(cents[1]),
                    "paid_cents": int(cents[2]),
                    "pledged_cents": int(cents[3]),
                }
            )
    if rows:
        session.execute(insert(ItemFunding), rows)
