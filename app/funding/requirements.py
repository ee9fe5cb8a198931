"""What an item needs per year: read, list, set (create or replace) and delete, with events."""

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.core.errors import NotFound, PreconditionFailed, PreconditionRequired
from app.core.etag import IfMatch
from app.core.money import from_cents, to_cents
from app.events.service import Actor, record
from app.funding import totals
from app.funding.schemas import RequirementIn, RequirementRead
from app.models import ChecklistItem, FundingRequirement


def item_of(session: Session, situation_id: uuid.UUID, code: str) -> tuple[uuid.UUID, str]:
    """The id and element code of the situation's item ``code``; 404 otherwise."""
    row = session.execute(
        select(ChecklistItem.id, ChecklistItem.element_code).where(
            ChecklistItem.situation_id == situation_id, ChecklistItem.code == code
        )
    ).first()
    if row is None:
        raise NotFound("No such item in this situation.")
    return row[0], row[1]


def requirements_query(item_id: uuid.UUID) -> Select[FundingRequirement]:
    """Build the query of an item's requirements."""
    return select(FundingRequirement).where(FundingRequirement.item_id == item_id)


def get(
    session: Session, item_id: uuid.UUID, year: int, *, for_update: bool = False
) -> FundingRequirement | None:
    """An item's requirement for ``year``, if one was set (locked when about to change)."""
    stmt = requirements_query(item_id).where(FundingRequirement.year == year)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt.execution_options(populate_existing=True))


def _json(requirement: FundingRequirement, code: str) -> dict[str, Any]:
    return {
        "code": code,
        "year": requirement.year,
        "amount_usd": f"{from_cents(requirement.amount_usd_cents):f}",
        "budget_status": requirement.budget_status.value,
        "note": requirement.note,
    }


def put(
    session: Session,
    situation_id: uuid.UUID,
    code: str,
    year: int,
    data: RequirementIn,
    if_match: IfMatch | None,
    actor: Actor,
) -> tuple[FundingRequirement, bool]:
    """Set what an item needs in ``year``: create it (no If-Match), or replace it (If-Match
    of its current version). Answers the requirement and whether it is new."""
    item_id, element_code = item_of(session, situation_id, code)
    requirement = get(session, item_id, year, for_update=True)
    now = utcnow()
    if requirement is None:
        if if_match is not None:
            raise PreconditionFailed("There is no requirement for this year yet: send no If-Match.")
        requirement = FundingRequirement(
            id=uuid.uuid4(),
            situation_id=situation_id,
            item_id=item_id,
            element_code=element_code,
            year=year,
            version=1,
            created_at=now,
            updated_at=now,
        )
        before = None
        session.add(requirement)
    else:
        if if_match is None:
            raise PreconditionRequired(
                "This year's requirement exists: send its ETag in If-Match to replace it."
            )
        if_match.check(requirement.version)
        before = _json(requirement, code)
    requirement.amount_usd_cents = to_cents(data.amount_usd)
    requirement.budget_status = data.budget_status
    requirement.note = data.note
    after = _json(requirement, code)
    if before == after:
        return requirement, False
    if before is not None:
        requirement.version += 1
        requirement.updated_at = now
    totals.refresh(session, [item_id])
    record(
        session,
        actor,
        situation_id=situation_id,
        item_id=item_id,
        action="requirement.set",
        before=before,
        after=after,
    )
    session.flush()
    return requirement, before is None


def delete(
    session: Session,
    situation_id: uuid.UUID,
    code: str,
    year: int,
    if_match: IfMatch | None,
    actor: Actor,
) -> None:
    """Delete what an item needs in ``year`` (404 when none was set; If-Match optional),
    with its event; the item's totals follow."""
    item_id, _ = item_of(session, situation_id, code)
    requirement = get(session, item_id, year, for_update=True)
    if requirement is None:
        raise NotFound("No requirement was set for this item and year.")
    if if_match is not None:
        if_match.check(requirement.version)
    before = _json(requirement, code)
    session.delete(requirement)
    totals.refresh(session, [item_id])
    record(
        session,
        actor,
        situation_id=situation_id,
        item_id=item_id,
        action="requirement.deleted",
        before=before,
    )
    session.flush()


def read(requirement: FundingRequirement, code: str) -> RequirementRead:
    """Describe a requirement of the item ``code``."""
    return RequirementRead(
        id=requirement.id,
        situation_id=requirement.situation_id,
        code=code,
        year=requirement.year,
        amount_usd=from_cents(requirement.amount_usd_cents),
        budget_status=requirement.budget_status,
        note=requirement.note,
        version=requirement.version,
        created_at=requirement.created_at,
        updated_at=requirement.updated_at,
    )
