"""The pledges of a checklist item, for the item's read and its page."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Pledge, PledgeLink, PledgeParty
from app.pledges import service
from app.pledges.refs import ItemPledge


def item_pledges(session: Session, item_id: uuid.UUID) -> list[ItemPledge]:
    """The pledges linked to an item, newest first, with their parties."""
    stmt = (
        select(Pledge)
        .join(PledgeLink, PledgeLink.pledge_id == Pledge.id)
        .where(PledgeLink.item_id == item_id)
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        .options(selectinload(Pledge.parties).selectinload(PledgeParty.organisation))
    )
    return [
        ItemPledge(
            id=pledge.id,
            title=pledge.title,
            forum=pledge.forum,
            type=pledge.type,
            status=pledge.status,
            parties=service.party_reads(pledge.parties),
        )
        for pledge in session.scalars(stmt)
    ]
