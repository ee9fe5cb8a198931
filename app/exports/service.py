"""The rows of an export: one per checklist item, in Annex I order, read chunk by chunk.

Both exports, one situation's and the roll-up, have the same ``COLUMNS``: the situation's,
then the item's. Owners come by role, each role with its IATI OrganisationRole code.

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
from app.checklist.service import has_lead_clause, stale_threshold
from app.core.sqltime import days_before
from app.core.vocab import IATI_ORGANISATION_ROLE, IATI_ORGANISATION_TYPE, OwnerRole
from app.models import ChecklistItem, ItemOwner, Organisation, Situation

CHUNK_SIZE = 500
NAME_SEPARATOR = "; "

Cell = str | int | date | None
Row = tuple[Cell, ...]


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, its HXL 1.1 hashtag, its width in XLSX."""

    header: str
    hashtag: str
    width: int = 14


# Hashtags and attributes are the HXL 1.1 dictionary's, except the extensions the README
# names: +phase, +element, +description (on #status), +lead, +support, +role, and the
# flags' attributes on #indicator.
SITUATION_COLUMNS: tuple[Column, ...] = (
    Column("situation_id", "#crisis+code", 38),
    Column("situation_name", "#crisis+name", 40),
    Column("host_country", "#country+code", 8),
    # Not #status: a bare #status pattern must find the item's status, not the phase.
    Column("phase", "#crisis+phase"),
    Column("situation_start_date", "#date+start", 12),
)
ITEM_COLUMNS: tuple[Column, ...] = (
    Column("code", "#activity+code", 10),
    Column("element_code", "#activity+code+element", 10),
    Column("pillar", "#sector+code", 18),
    Column("title", "#activity+name", 60),
    Column("status", "#status+code"),
    Column("status_note", "#status+description", 40),
    Column("target_date", "#date+end", 12),
    Column("lead_organisation", "#org+lead+name", 30),
    Column("lead_organisation_iati_type", "#org+lead+type+code", 8),
    Column("lead_organisation_iati_role", "#org+lead+role+code", 8),
    Column("support_organisations", "#org+support+name", 30),
    Column("funding_organisations", "#org+funder+name", 30),
    Column("funding_organisations_iati_role", "#org+funder+role+code", 8),
    Column("implementing_organisations", "#org+impl+name", 30),
    Column("implementing_organisations_iati_role", "#org+impl+role+code", 8),
    Column("last_accepted_update", "#date+reported", 12),
    Column("overdue", "#indicator+overdue+num", 8),
    Column("lead_missing", "#indicator+lead_missing+num", 8),
    Column("stale", "#indicator+stale+num", 8),
    Column("no_data", "#indicator+no_data+num", 8),
)
COLUMNS = SITUATION_COLUMNS + ITEM_COLUMNS
_OTHER_ROLES = (OwnerRole.SUPPORT, OwnerRole.FUNDING, OwnerRole.IMPLEMENTING)


def situation_rows(
    session: Session,
    situation_id: uuid.UUID,
    stale_after_days: int,
    *,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Row]:
    """Yield one row of ``COLUMNS`` per item of a situation, in Annex I order."""
    stmt = _items_query(now, stale_threshold(now, stale_after_days)).where(
        ChecklistItem.situation_id == situation_id
    )
    yield from _rows(session, stmt, chunk_size)


def rollup_rows(
    session: Session,
    situation_ids: Select[uuid.UUID],
    *,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Row]:
    """Yield one row of ``COLUMNS`` per item of the given situations.

    Situations come by name, their items in Annex I order; each situation is stale by
    its own ``stale_after_days``.
    """
    threshold = days_before(now, Situation.stale_after_days)
    stmt = _items_query(now, threshold).where(
        ChecklistItem.situation_id.in_(situation_ids.scalar_subquery())
    )
    yield from _rows(session, stmt, chunk_size)


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
            Situation.start_date,
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


def _rows(session: Session, stmt: Select[*tuple[Any, ...]], chunk_size: int) -> Iterator[Row]:
    result = session.execute(stmt.execution_options(yield_per=chunk_size))
    for chunk in result.partitions():
        others = _other_owners(session, [row.id for row in chunk])
        for row in chunk:
            yield _row(row, others.get(row.id, {}))


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


def _row(row: Any, others: dict[OwnerRole, list[str]]) -> Row:
    accepted = row.last_accepted_update_at
    names = {role: NAME_SEPARATOR.join(others.get(role, ())) or None for role in _OTHER_ROLES}
    return (
        str(row.situation_id),
        row.situation_name,
        row.host_country,
        row.phase.value,
        row.start_date,
        row.code,
        row.element_code,
        row.pillar.value,
        row.title,
        row.status.value,
        row.status_note,
        row.target_date,
        row.lead_name,
        IATI_ORGANISATION_TYPE[row.lead_type] if row.lead_type is not None else None,
        _iati_role(OwnerRole.LEAD, row.lead_name),
        names[OwnerRole.SUPPORT],
        names[OwnerRole.FUNDING],
        _iati_role(OwnerRole.FUNDING, names[OwnerRole.FUNDING]),
        names[OwnerRole.IMPLEMENTING],
        _iati_role(OwnerRole.IMPLEMENTING, names[OwnerRole.IMPLEMENTING]),
        accepted.date() if accepted is not None else None,
        row.overdue,
        row.lead_missing,
        row.stale,
        row.no_data,
    )


def _iati_role(role: OwnerRole, names: str | None) -> str | None:
    """The IATI OrganisationRole of a role's column, where it names an organisation."""
    return IATI_ORGANISATION_ROLE[role] if names is not None else None
