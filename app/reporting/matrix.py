"""The roll-up as a matrix: each Annex I element's status in each of some situations."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.vocab import ItemStatus
from app.models import ChecklistItem


def element_statuses(
    session: Session, situation_ids: Sequence[uuid.UUID]
) -> dict[tuple[str, uuid.UUID], ItemStatus]:
    """The status of each Annex I element (context-specific items aside) per situation."""
    if not situation_ids:
        return {}
    rows = session.execute(
        select(ChecklistItem.element_code, ChecklistItem.situation_id, ChecklistItem.status).where(
            ChecklistItem.situation_id.in_(situation_ids), ChecklistItem.is_custom.is_(False)
        )
    ).all()
    return {(code, sid): status for code, sid, status in rows}
