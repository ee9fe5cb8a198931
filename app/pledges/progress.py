"""Yearly progress reports on a pledge, by its parties; the pledge's status follows them."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from app.core.base import utcnow
from app.events.service import Actor
from app.models import Pledge, PledgeProgress, User
from app.pledges import service
from app.pledges.schemas import ProgressIn, ProgressRead


def report(session: Session, user: User, pledge: Pledge, data: ProgressIn) -> PledgeProgress:
    """Record a progress report; a status given becomes the pledge's (a new version)."""
    now = utcnow()
    entry = PledgeProgress(
        id=uuid.uuid4(),
        pledge_id=pledge.id,
        **data.model_dump(),
        organisation_id=user.organisation_id,
        submitted_by_id=user.id,
        submitted_at=now,
    )
    session.add(entry)
    before: dict[str, object] = {}
    after: dict[str, object] = {"progress_id": str(entry.id), "year": data.year}
    if data.status is not None and data.status is not pledge.status:
        before["status"], after["status"] = pledge.status.value, data.status.value
        pledge.status = data.status
        pledge.version += 1
        pledge.updated_at = now
    targets = service.targets(pledge)
    service.record_on_items(
        session, Actor.of(user), pledge, targets, "pledge.progress_reported", before, after
    )
    session.flush()
    return session.scalars(
        select(PledgeProgress)
        .where(PledgeProgress.id == entry.id)
        .options(selectinload(PledgeProgress.organisation))
    ).one()


def reports_query(pledge_id: uuid.UUID) -> Select[PledgeProgress]:
    """Build the query of a pledge's progress reports, with their organisations."""
    return (
        select(PledgeProgress)
        .where(PledgeProgress.pledge_id == pledge_id)
        .options(selectinload(PledgeProgress.organisation))
    )


def progress_read(entry: PledgeProgress) -> ProgressRead:
    return ProgressRead.model_validate(entry)
