"""The rows of an export: one per checklist item, in Annex I order, read chunk by chunk.

Both exports, one situation's and the roll-up, have the same ``COLUMNS``: the situation's,
then the item's. Owners come by role, each role with its IATI OrganisationRole code.

Items come from one query ordered by situation name and Annex I position, read
``chunk_size`` rows at a time, with their other owners' names joined in SQL: one
statement per export, whatever its size. Flags are computed in SQL with the definitions
the checklist uses.

An export may run to tens of thousands of rows, so each row costs as little Python as it
can: the query's columns come in the export's order and are read by position, and
vocabularies are read as the text they are stored as (no enum object built per row).
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, func, select, type_coerce
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Subquery

from app.checklist import flags
from app.checklist.service import has_lead_clause, stale_threshold, stale_thresholds
from app.core.money import from_cents
from app.core.vocab import IATI_ORGANISATION_ROLE, IATI_ORGANISATION_TYPE, OwnerRole
from app.funding import figures as funding
from app.models import ChecklistItem, ItemOwner, Organisation, Situation

CHUNK_SIZE = 500
NAME_SEPARATOR = "; "

Cell = str | int | Decimal | date | None
Row = tuple[Cell, ...]


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, its HXL 1.1 hashtag, its width in XLSX.

    ``free_text``: what people typed (names, titles, notes), which a spreadsheet could
    take for a formula; the other columns hold ids, codes of a vocabulary, dates, numbers.
    """

    header: str
    hashtag: str
    width: int = 14
    free_text: bool = False


# Hashtags and attributes are the HXL 1.1 dictionary's, except the extensions the README
# names: +phase, +element, +description (on #status), +lead, +support, +role, and the
# flags' attributes on #indicator.
SITUATION_COLUMNS: tuple[Column, ...] = (
    Column("situation_id", "#crisis+code", 38),
    Column("situation_name", "#crisis+name", 40, free_text=True),
    Column("host_country", "#country+code", 8),
    # Not #status: a bare #status pattern must find the item's status, not the phase.
    Column("phase", "#crisis+phase"),
    Column("situation_start_date", "#date+start", 12),
)
ITEM_COLUMNS: tuple[Column, ...] = (
    Column("code", "#activity+code", 10),
    Column("element_code", "#activity+code+element", 10),
    Column("pillar", "#sector+code", 18),
    Column("title", "#activity+name", 60, free_text=True),
    Column("status", "#status+code"),
    Column("status_note", "#status+description", 40, free_text=True),
    Column("target_date", "#date+end", 12),
    Column("lead_organisation", "#org+lead+name", 30, free_text=True),
    Column("lead_organisation_iati_type", "#org+lead+type+code", 8),
    Column("lead_organisation_iati_role", "#org+lead+role+code", 8),
    Column("support_organisations", "#org+support+name", 30, free_text=True),
    Column("funding_organisations", "#org+funder+name", 30, free_text=True),
    Column("funding_organisations_iati_role", "#org+funder+role+code", 8),
    Column("implementing_organisations", "#org+impl+name", 30, free_text=True),
    Column("implementing_organisations_iati_role", "#org+impl+role+code", 8),
    Column("last_accepted_update", "#date+reported", 12),
    Column("overdue", "#indicator+overdue+num", 8),
    Column("lead_missing", "#indicator+lead_missing+num", 8),
    Column("stale", "#indicator+stale+num", 8),
    Column("no_data", "#indicator+no_data+num", 8),
    # USD, to the cent (``app.funding.figures``): every year's requirements, every flow.
    Column("required_usd", "#value+funding+required+usd", 14),
    Column("funded_usd", "#value+funding+total+usd", 14),
    Column("funded_pct", "#value+funding+pct", 8),
    Column("paid_usd", "#value+funding+paid+usd", 14),
    Column("pledged_usd", "#value+funding+pledged+usd", 14),
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
    items = ChecklistItem.situation_id == situation_id
    stmt = _items_query(items, now, stale_threshold(now, stale_after_days))
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
    items = ChecklistItem.situation_id.in_(situation_ids.scalar_subquery())
    threshold = stale_thresholds(session, now, Situation.id.in_(situation_ids.scalar_subquery()))
    stmt = _items_query(items, now, threshold)
    yield from _rows(session, stmt, chunk_size)


def _flag(condition: ColumnElement[bool], label: str) -> ColumnElement[Any]:
    # 1/0 rather than a boolean: both databases agree, and spreadsheets can sum it.
    return case((condition, 1), else_=0).label(label)


def _as_stored(column: Any, label: str) -> ColumnElement[Any]:
    # As the driver gives it: a vocabulary's value (what ``str_enum`` stores), an id's
    # stored form (see ``_id_text``).
    return type_coerce(column, String).label(label)


def _other_names(items: ColumnElement[bool]) -> Subquery:
    """Per item of ``items`` that has any: its support, funding and implementing
    organisations' names, each role's by name then id, joined by ``NAME_SEPARATOR``.

    One grouped subquery, joined to the items: PostgreSQL runs it as one hash aggregate,
    where a correlated subquery per item and role took seconds. SQLite before 3.44 has no
    ORDER BY inside ``group_concat``, so the names come ordered from a subquery and both
    databases aggregate them in that order (``test_owners_of_a_role_are_by_name``).
    """
    owners = (
        select(ItemOwner.item_id, ItemOwner.role, Organisation.name)
        .join(Organisation, Organisation.id == ItemOwner.organisation_id)
        .where(
            ItemOwner.item_id.in_(select(ChecklistItem.id).where(items)),
            ItemOwner.role.in_(_OTHER_ROLES),
        )
        .order_by(ItemOwner.item_id, Organisation.name, Organisation.id)
        .subquery("owners")
    )
    return (
        select(
            owners.c.item_id,
            *(
                func.aggregate_strings(
                    case((owners.c.role == role, owners.c.name)), NAME_SEPARATOR
                ).label(role)
                for role in _OTHER_ROLES
            ),
        )
        .group_by(owners.c.item_id)
        .subquery("other_names")
    )


def _items_query(
    items: ColumnElement[bool], now: datetime, threshold: Any
) -> Select[*tuple[Any, ...]]:
    item = ChecklistItem
    lead = aliased(ItemOwner, name="lead_owner")
    lead_org = aliased(Organisation, name="lead_organisation")
    others = _other_names(items)
    money = funding.item_sums(items)
    # In the order of ``COLUMNS``, but for the IATI roles (from the names), the
    # ``last_accepted_update_at`` (a date in the export) and the situation's id (its usual
    # text): ``_row`` relies on it.
    return (
        select(
            _as_stored(Situation.id, "situation_id"),
            Situation.name.label("situation_name"),
            Situation.host_country,
            _as_stored(Situation.phase, "phase"),
            Situation.start_date,
            item.code,
            item.element_code,
            _as_stored(item.pillar, "pillar"),
            item.title,
            _as_stored(item.status, "status"),
            item.status_note,
            item.target_date,
            lead_org.name.label("lead_name"),
            case(IATI_ORGANISATION_TYPE, value=lead_org.type).label("lead_iati_type"),
            *(others.c[role] for role in _OTHER_ROLES),
            item.last_accepted_update_at,
            _flag(flags.overdue(item.status, item.target_date, now.date()), "overdue"),
            _flag(flags.lead_missing(item.status, has_lead_clause()), "lead_missing"),
            _flag(
                flags.stale(item.status, item.last_accepted_update_at, item.created_at, threshold),
                "stale",
            ),
            _flag(flags.no_data(item.status, item.last_accepted_update_at), "no_data"),
            money.c.required_cents,
            money.c.committed_cents,
            money.c.paid_cents,
            money.c.pledged_cents,
        )
        .join(Situation, Situation.id == item.situation_id)
        .outerjoin(lead, and_(lead.item_id == item.id, lead.role == OwnerRole.LEAD))
        .outerjoin(lead_org, lead_org.id == lead.organisation_id)
        .outerjoin(others, others.c.item_id == item.id)
        .outerjoin(money, money.c.item_id == item.id)
        .where(items)
        .order_by(Situation.name, Situation.id, item.sort_order, item.id)
    )


def _rows(session: Session, stmt: Select[*tuple[Any, ...]], chunk_size: int) -> Iterator[Row]:
    # Core rows rather than ORM ones: the same tuples, without the ORM's work per row.
    result = session.connection().execute(stmt.execution_options(yield_per=chunk_size))
    for row in result:
        yield _row(row)


_LEAD_ROLE = IATI_ORGANISATION_ROLE[OwnerRole.LEAD]
_FUNDING_ROLE = IATI_ORGANISATION_ROLE[OwnerRole.FUNDING]
_IMPLEMENTING_ROLE = IATI_ORGANISATION_ROLE[OwnerRole.IMPLEMENTING]


def _row(row: Any) -> Row:
    (situation_id, situation_name, host_country, phase, start_date, *item) = row[:12]
    lead, lead_type, support, funding, implementing, accepted = row[12:18]
    return (
        _id_text(situation_id),
        situation_name,
        host_country,
        phase,
        start_date,
        *item,
        lead,
        lead_type,
        # An owner role's IATI OrganisationRole, where its column names an organisation.
        _LEAD_ROLE if lead is not None else None,
        support,
        funding,
        _FUNDING_ROLE if funding is not None else None,
        implementing,
        _IMPLEMENTING_ROLE if implementing is not None else None,
        accepted.date() if accepted is not None else None,
        *row[18:22],
        *_money(*row[22:26]),
    )


def _money(required: Any, committed: Any, paid: Any, pledged: Any) -> tuple[Cell, ...]:
    """Required and funded USD, the percentage funded (2 places; empty when nothing is
    required), paid and pledged USD: the figures ``app.funding.figures`` gives summaries."""
    if required is None and committed is None and paid is None and pledged is None:
        return _NO_MONEY  # most items: no arithmetic for them (bench "roll-up CSV export")
    totals = funding.Totals(*(int(cents or 0) for cents in (required, committed, paid, pledged)))
    share = totals.share()
    return (
        from_cents(totals.required),
        from_cents(totals.funded),
        (share * 100).quantize(Decimal("0.01")) if share is not None else None,
        from_cents(totals.paid),
        from_cents(totals.pledged),
    )


_NO_MONEY = _money(0, 0, 0, 0)


@lru_cache(maxsize=64)
def _id_text(stored: Any) -> str:
    # An id as stored (hex text in SQLite, a UUID in PostgreSQL) in its usual form: once
    # per situation, not once per row.
    return str(uuid.UUID(str(stored)))
