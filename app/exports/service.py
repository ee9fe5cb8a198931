"""The rows of an export: one per checklist item, in Annex I order, read chunk by chunk.

Items come from one query ordered by situation name and Annex I position, read in
partitions of ``chunk_size`` rows; the owners of each partition come from one more query.
The statements an export runs grow with the number of chunks, never with the number of
items or situations. Flags are computed in SQL with the definitions the checklist uses.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, select
from sqlalchemy.orm import Session, aliased

from app.checklist import flags
from app.checklist.service import has_lead_clause, stale_threshold, stale_thresholds
from app.core.vocab import IATI_ORGANISATION_TYPE, OwnerRole
from app.models import ChecklistItem, ItemOwner, Organisation, Situation

CHUNK_SIZE = 500
NAME_SEPARATOR = "; "

Cell = str | int | date | None
Row = tuple[Cell, ...]


@dataclass(frozen=True)
class Column:
    """One column of an export: its header and its HXL 1.1 hashtag."""

    header: str
    hashtag: str


SITUATION_COLUMNS: tuple[Column, ...] = (
    Column("situation_id", "#crisis+id"),
    Column("situation_name", "#crisis+name"),
    Column("host_country", "#country+code"),
    # Not #status: a bare #status pattern must find the item's status, not the phase.
    Column("phase", "#crisis+phase"),
)
ITEM_COLUMNS: tuple[Column, ...] = (
    Column("code", "#activity+code"),
    Column("element_code", "#activity+code+element"),
    Column("pillar", "#sector+code"),
    Column("title", "#activity+name"),
    Column("status", "#status+code"),
    Column("status_note", "#status+description"),
    Column("target_date", "#date+target"),
    Column("lead_organisation", "#org+lead+name"),
    Column("lead_organisation_iati_type", "#org+lead+type+code"),
    Column("support_organisations", "#org+support+name"),
    Column("funding_organisations", "#org+funding+name"),
    Column("implementing_organisations", "#org+impl+name"),
    Column("last_accepted_update", "#date+updated"),
    Column("overdue", "#indicator+overdue+num"),
    Column("lead_missing", "#indicator+lead_missing+num"),
    Column("stale", "#indicator+stale+num"),
    Column("no_data", "#indicator+no_data+num"),
)
ROLLUP_COLUMNS = SITUATION_COLUMNS + ITEM_COLUMNS
_OTHER_ROLES = (OwnerRole.SUPPORT, OwnerRole.FUNDING, OwnerRole.IMPLEMENTING)


def situation_rows(
    session: Session,
    situation_id: uuid.UUID,
    stale_after_days: int,
    *,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Row]:
    """Yield one row of ``ITEM_COLUMNS`` per item of a situation, in Annex I order."""
    stmt = _items_query(now, stale_threshold(now, stale_after_days)).where(
        ChecklistItem.situation_id == situation_id
    )
    yield from _rows(session, stmt, chunk_size, with_situation=False)


def rollup_rows(
    session: Session,
    situation_ids: Select[uuid.UUID],
    *,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Row]:
    """Yield one row of ``ROLLUP_COLUMNS`` per item of the given situations.

    Situations come by name, their items in Annex I order; each situation is stale by
    its own ``stale_after_days``.
    """
    visible = ChecklistItem.situation_id.in_(situation_ids.scalar_subquery())
    threshold = stale_thresholds(session, now, Situation.id.in_(situation_ids.scalar_subquery()))
    stmt = _items_query(now, threshold).where(visible)
    yield from _rows(session, stmt, chunk_size, with_situation=True)


def _flag(condition: ColumnElement[bool], label: str) -> ColumnElement[Any]:
    # 1/0 rather than a boolean: both databases agree, and spreadsheets can sum it.
    return case((condition, 1), else_=0).label(label)


def _items_query(now: datetime, threshold: Any) -> Select[*tuple[Any, ...]]:
    item = ChecklistItem
    lead = aliased(ItemOwner, name="lead_owner")
    lead_org = aliased(Organisation, name="lead_organisation")
    return (
        select(
            Situation.id.label("situation_id"),
            Situation.name.label("situation_name"),
            Situation.host_country,
            Situation.phase,
            item.id,
            item.code,
            item.element_code,
            item.pillar,
            item.title,
            item.status,
            item.status_note,
            item.target_date,
            lead_org.name.label("lead_name"),
            lead_org.type.label("lead_type"),
            item.last_accepted_update_at,
            _flag(flags.overdue(item.status, item.target_date, now.date()), "overdue"),
            _flag(flags.lead_missing(item.status, has_lead_clause()), "lead_missing"),
            _flag(
                flags.stale(item.status, item.last_accepted_update_at, item.created_at, threshold),
                "stale",
            ),
            _flag(flags.no_data(item.status, item.last_accepted_update_at), "no_data"),
        )
        .join(Situation, Situation.id == item.situation_id)
        .outerjoin(lead, and_(lead.item_id == item.id, lead.role == OwnerRole.LEAD))
        .outerjoin(lead_org, lead_org.id == lead.organisation_id)
        .order_by(Situation.name, Situation.id, item.sort_order, item.id)
    )


def _rows(
    session: Session, stmt: Select[*tuple[Any, ...]], chunk_size: int, *, with_situation: bool
) -> Iterator[Row]:
    result = session.execute(stmt.execution_options(yield_per=chunk_size))
    for chunk in result.partitions():
        others = _other_owners(session, [row.id for row in chunk])
        for row in chunk:
            yield _row(row, others.get(row.id, {}), with_situation=with_situation)


def _other_owners(
    session: Session, item_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[OwnerRole, list[str]]]:
    """The support, funding and implementing organisations of some items, by name."""
    found: dict[uuid.UUID, dict[OwnerRole, list[str]]] = defaultdict(lambda: defaultdict(list))
    rows = session.execute(
        select(ItemOwner.item_id, ItemOwner.role, Organisation.name)
        .join(Organisation, Organisation.id == ItemOwner.organisation_id)
        .where(ItemOwner.item_id.in_(item_ids), ItemOwner.role.in_(_OTHER_ROLES))
        .order_by(Organisation.name, Organisation.id)
    )
    for item_id, role, name in rows:
        found[item_id][role].append(name)
    return found


def _row(row: Any, others: dict[OwnerRole, list[str]], *, with_situation: bool) -> Row:
    accepted = row.last_accepted_update_at
    cells: Row = (
        row.code,
        row.element_code,
        row.pillar.value,
        row.title,
        row.status.value,
        row.status_note,
        row.target_date,
        row.lead_name,
        IATI_ORGANISATION_TYPE[row.lead_type] if row.lead_type is not None else None,
        *(NAME_SEPARATOR.join(others.get(role, ())) or None for role in _OTHER_ROLES),
        accepted.date() if accepted is not None else None,
        row.overdue,
        row.lead_missing,
        row.stale,
        row.no_data,
    )
    if not with_situation:
        return cells
    situation = (str(row.situation_id), row.situation_name, row.host_country, row.phase.value)
    return situation + cells
