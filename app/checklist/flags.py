"""The derived flags of checklist items, defined once over any row source.

Each flag is computed, never stored: in SQL (for filters and aggregates, over the item
table or over a past day's state rebuilt from events) and in Python (for one loaded item).
Items justified as ``not_applicable`` are never counted as gaps.
"""

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_

from app.core.vocab import ItemStatus

SETTLED = (ItemStatus.IN_PLACE, ItemStatus.NOT_APPLICABLE)
NA = ItemStatus.NOT_APPLICABLE


def overdue(status: Any, target_date: Any, today: date) -> ColumnElement[bool]:
    """SQL: the target date has passed and the item is not in place."""
    return and_(target_date.is_not(None), target_date < today, status.not_in(SETTLED))


def lead_missing(status: Any, has_lead: Any) -> ColumnElement[bool]:
    """SQL: the item needs a lead organisation and has none."""
    return and_(status != NA, not_(has_lead))


def stale_threshold(now: datetime, stale_after_days: int) -> datetime:
    """The moment before which an item's last accepted update makes it stale.

    The one definition: SQL over many situations compares with these values (a CASE over
    the ``stale_after_days`` in use, ``queries.stale_thresholds``), never date arithmetic.
    """
    return now - timedelta(days=stale_after_days)


def stale(
    status: Any, last_accepted_at: Any, created_at: Any, threshold: Any
) -> ColumnElement[bool]:
    """SQL: no update accepted since ``threshold`` (counting from the item's creation)."""
    return and_(status != NA, func.coalesce(last_accepted_at, created_at) < threshold)


def no_data(status: Any, last_accepted_at: Any) -> ColumnElement[bool]:
    """SQL: no update was ever accepted."""
    return and_(status != NA, last_accepted_at.is_(None))


def python_flags(
    *,
    status: ItemStatus,
    target_date: date | None,
    has_lead: bool,
    last_accepted_at: datetime | None,
    created_at: datetime,
    today: date,
    stale_threshold: datetime,
) -> dict[str, bool]:
    """The same four flags for one item, in Python."""
    applicable = status is not NA
    return {
        "overdue": target_date is not None and target_date < today and status not in SETTLED,
        "lead_missing": applicable and not has_lead,
        "stale": applicable and (last_accepted_at or created_at) < stale_threshold,
        "no_data": applicable and last_accepted_at is None,
    }
