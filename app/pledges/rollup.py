"""The roll-up's question about promises: which elements are pledged but not in place?"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.orm import Session

from app.core.vocab import ItemStatus, PledgeStatus
from app.models import ChecklistItem, Pledge, PledgeLink

VisibleFilter = Callable[[Any], list[ColumnElement[bool]]]


def pledged_not_in_place(session: Session, of_visible: VisibleFilter) -> dict[str, int]:
    """Per Annex I element, the visible situations where a pledge that is not withdrawn
    serves the element's item and the item is neither in place nor not applicable."""
    pledged = (
        select(PledgeLink.item_id)
        .join(Pledge, Pledge.id == PledgeLink.pledge_id)
        .where(Pledge.status != PledgeStatus.WITHDRAWN)
    )
    rows = session.execute(
        select(ChecklistItem.element_code, func.count(distinct(ChecklistItem.situation_id)))
        .where(
            ChecklistItem.id.in_(pledged),
            ChecklistItem.is_custom.is_(False),
            ChecklistItem.status.not_in([ItemStatus.IN_PLACE, ItemStatus.NOT_APPLICABLE]),
            *of_visible(ChecklistItem.situation_id),
        )
        .group_by(ChecklistItem.element_code)
    ).all()
    return {code: int(count) for code, count in rows}
