"""SQL over checklist items that the checklist, reporting and exports share."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    bindparam,
    case,
    exists,
    func,
    literal,
    not_,
    select,
)
from sqlalchemy.orm import Session, selectinload

from app.checklist import flags
from app.core.base import UTCDateTime
from app.core.errors import NotFound
from app.core.prepared import prepared
from app.core.vocab import ItemStatus, OrganisationType, OwnerRole, PillarCode
from app.models import ChecklistItem, ItemOwner, Membership, Organisation, Situation


def has_lead_clause() -> ColumnElement[bool]:
    """SQL: the item has a lead organisation (kept on the item by ``set_owners``)."""
    return ChecklistItem.has_lead.is_(True)


def stale_thresholds(
    session: Session, now: datetime, *where: ColumnElement[bool]
) -> ColumnElement[datetime]:
    """SQL: the stale threshold of each item's situation, for items of many situations.

    Built from the few ``stale_after_days`` in use among the situations ``where`` keeps:
    one comparison of integers per item, where date arithmetic in SQL would run per item.
    """
    days = session.scalars(select(Situation.stale_after_days).where(*where).distinct()).all()
    if not days:
        return literal(now, UTCDateTime())
    return case(
        {d: literal(flags.stale_threshold(now, d), UTCDateTime()) for d in days},
        value=Situation.stale_after_days,
    )


def _with_owners() -> Any:
    return selectinload(ChecklistItem.owners).selectinload(ItemOwner.organisation)


def items_query(
    situation: Situation,
    *,
    now: datetime,
    pillar: PillarCode | None = None,
    statuses: list[ItemStatus] | None = None,
    owner: uuid.UUID | None = None,
    overdue: bool | None = None,
    stale: bool | None = None,
    no_data: bool | None = None,
    lead_missing: bool | None = None,
    columns: list[Any] | None = None,
) -> Select[Any]:
    """Build the query of a situation's items (plain rows) matching the filters.

    It selects every column of the item table, or ``columns``.
    """
    stmt = select(*(columns or ChecklistItem.__table__.c)).where(
        ChecklistItem.situation_id == situation.id
    )
    if pillar is not None:
        stmt = stmt.where(ChecklistItem.pillar == pillar)
    if statuses:
        stmt = stmt.where(ChecklistItem.status.in_(statuses))
    if owner is not None:
        stmt = stmt.where(
            exists().where(
                ItemOwner.item_id == ChecklistItem.id, ItemOwner.organisation_id == owner
            )
        )
    item = ChecklistItem
    # Each flag's clause is built only when it filters: building SQL costs on every request.
    clauses: dict[str, Callable[[], ColumnElement[bool]]] = {
        "overdue": lambda: flags.overdue(item.status, item.target_date, now.date()),
        "stale": lambda: flags.stale(
            item.status,
            item.last_accepted_update_at,
            item.created_at,
            flags.stale_threshold(now, situation.stale_after_days),
        ),
        "no_data": lambda: flags.no_data(item.status, item.last_accepted_update_at),
        "lead_missing": lambda: flags.lead_missing(item.status, has_lead_clause()),
    }
    wanted = {"overdue": overdue, "stale": stale, "no_data": no_data, "lead_missing": lead_missing}
    for name, value in wanted.items():
        if value is not None:
            clause = clauses[name]()
            stmt = stmt.where(clause if value else not_(clause))
    return stmt


def items_fingerprint(session: Session, situation_id: uuid.UUID) -> tuple[Any, ...]:
    """What a situation's item list shows, condensed: it moves with any change to it.

    The items' count, summed versions and latest change (every change to an item makes a
    new version, owners included, and items are never removed), and the owners' count and
    their organisations' summed versions (every change to an organisation makes a new
    version). One statement (``app.checklist.list_cache``).
    """
    row = session.execute(_fingerprint_statement(), {"situation_id": situation_id}).one()
    return tuple(row)


@prepared
def _fingerprint_statement() -> Select[Any]:
    """``items_fingerprint``'s query, for situation ``situation_id``."""
    situation_id: Any = bindparam("situation_id")

    def over_owners(column: Any) -> Any:
        return (
            select(column)
            .select_from(ItemOwner)
            .join(ChecklistItem, ChecklistItem.id == ItemOwner.item_id)
            .join(Organisation, Organisation.id == ItemOwner.organisation_id)
            .where(ChecklistItem.situation_id == situation_id)
            .scalar_subquery()
        )

    return select(
        func.count(ChecklistItem.id),
        func.coalesce(func.sum(ChecklistItem.version), 0),
        func.max(ChecklistItem.updated_at),
        over_owners(func.count()),
        over_owners(func.coalesce(func.sum(Organisation.version), 0)),
    ).where(ChecklistItem.situation_id == situation_id)


@dataclass(frozen=True)
class ItemRef:
    """What reporting on an item needs to know of it."""

    id: uuid.UUID
    situation_id: uuid.UUID
    code: str
    version: int
    owner_organisation_ids: frozenset[uuid.UUID]
    # The organisation of ``item_ref``'s ``reporter_id``, loaded by the same query. Held
    # here, it stays in the session's identity map (which holds objects weakly), so that
    # ``session.get`` finds it there without a query.
    reporter: Organisation | None = None


def item_ref(
    session: Session, situation_id: uuid.UUID, code: str, reporter_id: uuid.UUID | None = None
) -> ItemRef:
    """Read an item's id, version and owning organisations in one query, or raise NotFound.

    The organisation ``reporter_id`` (the submitter's) rides along, joined on its id alone
    (one round trip fewer), as ``reporter``.
    """
    values = {"situation_id": situation_id, "code": code, "reporter_id": reporter_id}
    rows = session.execute(_item_ref_statement(), values).all()
    if not rows:
        raise NotFound("No such item in this situation.")
    item_id, version, _, reporter = rows[0]
    owners = frozenset(row[2] for row in rows if row[2] is not None)
    return ItemRef(item_id, situation_id, code, version, owners, reporter)


@prepared
def _item_ref_statement() -> Select[uuid.UUID, int, uuid.UUID, Organisation]:
    """``item_ref``'s query: item ``code`` of ``situation_id``, its owners, and the
    organisation ``reporter_id`` (none joined when it is ``None``)."""
    return (
        select(ChecklistItem.id, ChecklistItem.version, ItemOwner.organisation_id, Organisation)
        .outerjoin(ItemOwner, ItemOwner.item_id == ChecklistItem.id)
        .outerjoin(Organisation, Organisation.id == bindparam("reporter_id"))
        .where(
            ChecklistItem.situation_id == bindparam("situation_id"),
            ChecklistItem.code == bindparam("code"),
        )
    )


def get_item(
    session: Session, situation_id: uuid.UUID, code: str, *, for_update: bool = False
) -> ChecklistItem:
    """Load an item with its owners; lock its row when it is about to change."""
    stmt = (
        select(ChecklistItem)
        .options(_with_owners())
        .where(ChecklistItem.situation_id == situation_id, ChecklistItem.code == code)
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update(of=ChecklistItem)
    item = session.scalar(stmt)
    if item is None:
        raise NotFound("No such item in this situation.")
    return item


def owning_organisations(
    session: Session, situation_id: uuid.UUID
) -> Sequence[Row[uuid.UUID, str, str | None, OrganisationType]]:
    """The organisations that own any item of the situation, in no order (the dashboard
    puts them in ``name_key`` order, as it does those it reads off the items): their id,
    name, acronym and type (the columns a mention needs, not whole rows: a page lists a
    hundred)."""
    return session.execute(_owning_statement(), {"situation_id": situation_id}).all()


@prepared
def _owning_statement() -> Select[uuid.UUID, str, str | None, OrganisationType]:
    """``owning_organisations``' query, for situation ``situation_id`` (a filtered situation
    page and the review queue ask it: bench "situation page")."""
    return select(
        Organisation.id, Organisation.name, Organisation.acronym, Organisation.type
    ).where(
        Organisation.id.in_(
            select(ItemOwner.organisation_id)
            .join(ChecklistItem, ChecklistItem.id == ItemOwner.item_id)
            .where(ChecklistItem.situation_id == bindparam("situation_id"))
        )
    )


OWNED_SHOWN = 200


def owned_by(organisation_id: uuid.UUID, user_id: uuid.UUID) -> Select[ChecklistItem, OwnerRole]:
    """Build the query of the items ``organisation_id`` owns, with its role on each, in the
    situations ``user_id`` is a member of: by situation, then in Annex I order."""
    return (
        select(ChecklistItem, ItemOwner.role)
        .join(ItemOwner, ItemOwner.item_id == ChecklistItem.id)
        .join(
            Membership,
            (Membership.situation_id == ChecklistItem.situation_id)
            & (Membership.user_id == user_id),
        )
        .where(ItemOwner.organisation_id == organisation_id)
        .order_by(ChecklistItem.situation_id, ChecklistItem.sort_order, ItemOwner.role)
        .limit(OWNED_SHOWN)
    )
