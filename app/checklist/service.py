"""Read and change checklist items, their owners, and their history."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Uuid,
    bindparam,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session, selectinload

from app.auth.access import SituationAccess
from app.auth.permissions import Permission
from app.checklist import flags
from app.checklist.schemas import (
    EventActor,
    EventRead,
    ItemCreate,
    ItemPatch,
    ItemRead,
    OwnersIn,
)
from app.core.base import UTCDateTime, utcnow
from app.core.errors import Conflict, NotFound, Unprocessable, field_error
from app.core.schemas import jsonable
from app.core.vocab import ItemStatus, OwnerRole, PillarCode
from app.events.service import Actor, apply_changes, record_item_change
from app.models import ChecklistItem, Event, ItemOwner, Organisation, Situation, Update, User
from app.templates.registry import TemplateRegistry

# --- flags over the item table -----------------------------------------------------------


def has_lead_clause() -> ColumnElement[bool]:
    """SQL: the item has a lead organisation (kept on the item by ``set_owners``)."""
    return ChecklistItem.has_lead.is_(True)


def stale_threshold(now: datetime, stale_after_days: int) -> datetime:
    """The moment before which an item's last accepted update makes it stale."""
    return now - timedelta(days=stale_after_days)


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
        {d: literal(stale_threshold(now, d), UTCDateTime()) for d in days},
        value=Situation.stale_after_days,
    )


# --- reading ------------------------------------------------------------------------------


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
            stale_threshold(now, situation.stale_after_days),
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


# Built once: building a statement costs more than running it, on every submission. The
# reporter's organisation rides along (joined on its id alone): one round trip fewer.
_ITEM_REF = (
    select(ChecklistItem.id, ChecklistItem.version, ItemOwner.organisation_id, Organisation)
    .outerjoin(ItemOwner, ItemOwner.item_id == ChecklistItem.id)
    .outerjoin(Organisation, Organisation.id == bindparam("reporter", type_=Uuid()))
    .where(
        ChecklistItem.situation_id == bindparam("sid", type_=Uuid()),
        ChecklistItem.code == bindparam("code", type_=String()),
    )
)


def item_ref(
    session: Session, situation_id: uuid.UUID, code: str, reporter_id: uuid.UUID | None = None
) -> ItemRef:
    """Read an item's id, version and owning organisations in one query, or raise NotFound.

    The organisation ``reporter_id`` (the submitter's) is loaded by the same query, as
    ``reporter``.
    """
    rows = session.execute(
        _ITEM_REF, {"sid": situation_id, "code": code, "reporter": reporter_id}
    ).all()
    if not rows:
        raise NotFound("No such item in this situation.")
    item_id, version, _, reporter = rows[0]
    owners = frozenset(row[2] for row in rows if row[2] is not None)
    return ItemRef(item_id, situation_id, code, version, owners, reporter)


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


_OWNERS_IN_SITUATION = (
    select(
        ItemOwner.item_id,
        ItemOwner.role,
        Organisation.id,
        Organisation.name,
        Organisation.acronym,
        Organisation.type,
    )
    .join(Organisation, Organisation.id == ItemOwner.organisation_id)
    .join(ChecklistItem, ChecklistItem.id == ItemOwner.item_id)
    .where(ChecklistItem.situation_id == bindparam("sid", type_=Uuid()))
    .order_by(ItemOwner.item_id, ItemOwner.role, ItemOwner.organisation_id)
)


def owner_entry(
    role: OwnerRole, org_id: uuid.UUID, name: str, acronym: str | None, type_: Any
) -> dict[str, Any]:
    """One owner of an item, as the fields of ``OwnerRead``."""
    organisation = {"id": org_id, "name": name, "acronym": acronym, "type": type_}
    return {"organisation_id": org_id, "role": role, "organisation": organisation}


def owners_of(
    session: Session, situation_id: uuid.UUID, item_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The owners of some items of one situation, with their organisations, in one query.

    The query reads the situation's owners whole (an item list is at most a few pages of
    one situation): cheaper than binding every item id.
    """
    owners: dict[uuid.UUID, list[dict[str, Any]]] = {item_id: [] for item_id in item_ids}
    if not item_ids:
        return owners
    for item_id, role, org_id, name, acronym, type_ in session.execute(
        _OWNERS_IN_SITUATION, {"sid": situation_id}
    ):
        if item_id in owners:
            owners[item_id].append(owner_entry(role, org_id, name, acronym, type_))
    return owners


def item_payload(
    item: Any,
    owners: list[dict[str, Any]],
    situation: Situation,
    registry: TemplateRegistry,
    now: datetime,
) -> dict[str, Any]:
    """An item (an ORM object or a row) as the fields of ``ItemRead``."""
    entry = registry.element(situation.template_id, situation.template_version, item.element_code)
    lead = next((o["organisation"] for o in owners if o["role"] is OwnerRole.LEAD), None)
    return {
        "id": item.id,
        "situation_id": item.situation_id,
        "code": item.code,
        "element_code": item.element_code,
        "is_custom": item.is_custom,
        "pillar": item.pillar,
        "paragraph": item.paragraph,
        "solution": item.solution,
        "title": item.title,
        "text": item.text,
        "lead_in": entry.paragraph.lead_in if entry else None,
        "state_role": entry.paragraph.state_role if entry else None,
        "actor_types": entry.paragraph.actor_types if entry else [],
        "tags": entry.element.tags if entry else [],
        "status": item.status,
        "status_note": item.status_note,
        "target_date": item.target_date,
        "version": item.version,
        "owners": owners,
        "lead": lead,
        "flags": flags.python_flags(
            status=item.status,
            target_date=item.target_date,
            has_lead=lead is not None,
            last_accepted_at=item.last_accepted_update_at,
            created_at=item.created_at,
            today=now.date(),
            stale_threshold=stale_threshold(now, situation.stale_after_days),
        ),
        "last_accepted_update_at": item.last_accepted_update_at,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def item_payloads(
    session: Session,
    rows: list[Any],
    situation: Situation,
    registry: TemplateRegistry,
    now: datetime,
) -> list[dict[str, Any]]:
    """Many item rows as ``ItemRead`` fields, with their owners read in one query."""
    owners = owners_of(session, situation.id, [row.id for row in rows])
    return [item_payload(row, owners[row.id], situation, registry, now) for row in rows]


def item_reads(
    session: Session,
    rows: list[Any],
    situation: Situation,
    registry: TemplateRegistry,
    now: datetime,
) -> list[ItemRead]:
    """Describe many item rows, their owners read in one query."""
    return [
        ItemRead.model_validate(p) for p in item_payloads(session, rows, situation, registry, now)
    ]


def owning_organisations(session: Session, situation_id: uuid.UUID) -> list[Organisation]:
    """The organisations that own any item of the situation, by name."""
    return list(
        session.scalars(
            select(Organisation)
            .where(
                Organisation.id.in_(
                    select(ItemOwner.organisation_id)
                    .join(ChecklistItem, ChecklistItem.id == ItemOwner.item_id)
                    .where(ChecklistItem.situation_id == situation_id)
                )
            )
            .order_by(Organisation.name_key, Organisation.id)
        )
    )


def item_read(
    item: ChecklistItem, situation: Situation, registry: TemplateRegistry, now: datetime
) -> ItemRead:
    """Describe an item (owners loaded) with what it inherits from its template."""
    owners = [
        owner_entry(
            o.role,
            o.organisation.id,
            o.organisation.name,
            o.organisation.acronym,
            o.organisation.type,
        )
        for o in item.owners
    ]
    return ItemRead.model_validate(item_payload(item, owners, situation, registry, now))


# --- changing -----------------------------------------------------------------------------


def _bump(item: ChecklistItem) -> None:
    item.version += 1
    item.updated_at = utcnow()


def patch_item(
    session: Session, item: ChecklistItem, data: ItemPatch, actor: Actor
) -> ChecklistItem:
    """Change status, status note or target date as one new version with one event."""
    changes = data.changes()
    status = changes.get("status", item.status)
    note = changes.get("status_note", item.status_note)
    if status is ItemStatus.NOT_APPLICABLE and not (note or "").strip():
        raise Unprocessable(
            "An item marked not applicable needs a justification in its status note.",
            errors=[
                field_error(("body", "status_note"), "justification required for not_applicable")
            ],
        )
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    apply_changes(item, changes, before, after)
    if after:
        _bump(item)
        record_item_change(
            session,
            actor,
            item,
            action="item.updated",
            has_lead=item.has_lead,
            before=before,
            after=after,
        )
    session.flush()
    return item


def set_owners(
    session: Session, item: ChecklistItem, data: OwnersIn, actor: Actor
) -> ChecklistItem:
    """Replace the item's owners as one new version with one event."""
    wanted = {(o.organisation_id, o.role) for o in data.owners}
    known = set(
        session.scalars(select(Organisation.id).where(Organisation.id.in_({o for o, _ in wanted})))
    )
    unknown = [i for i, owner in enumerate(data.owners) if owner.organisation_id not in known]
    if unknown:
        raise Unprocessable(
            "Some owners are not registered organisations.",
            errors=[
                field_error(("body", "owners", i, "organisation_id"), "unknown organisation")
                for i in unknown
            ],
        )
    current = {(o.organisation_id, o.role) for o in item.owners}
    if wanted == current:
        return item
    before = _owners_json(current)
    for owner in list(item.owners):
        if (owner.organisation_id, owner.role) not in wanted:
            item.owners.remove(owner)
    session.flush()
    for organisation_id, role in sorted(wanted - current, key=lambda p: (p[1], str(p[0]))):
        item.owners.append(ItemOwner(item_id=item.id, organisation_id=organisation_id, role=role))
    item.has_lead = any(role is OwnerRole.LEAD for _, role in wanted)
    _bump(item)
    session.flush()
    record_item_change(
        session,
        actor,
        item,
        action="item.owners_set",
        has_lead=item.has_lead,
        before={"owners": before},
        after={"owners": _owners_json(wanted)},
    )
    session.flush()
    return get_item(session, item.situation_id, item.code)


def _owners_json(pairs: set[tuple[uuid.UUID, Any]]) -> list[dict[str, str]]:
    return [
        {"organisation_id": str(org), "role": str(role)}
        for org, role in sorted(pairs, key=lambda p: (str(p[1]), str(p[0])))
    ]


def create_item(
    session: Session,
    situation: Situation,
    registry: TemplateRegistry,
    data: ItemCreate,
    actor: Actor,
) -> ChecklistItem:
    """Add a context-specific item under an Annex I element of the situation's template."""
    entry = registry.element(situation.template_id, situation.template_version, data.element_code)
    if entry is None:
        raise Unprocessable(
            "The code must start with an element code of the situation's template.",
            errors=[field_error(("body", "code"), "unknown element code")],
        )
    taken = session.scalar(
        select(func.count())
        .select_from(ChecklistItem)
        .where(
            ChecklistItem.situation_id == situation.id,
            ChecklistItem.element_code == entry.element.code,
        )
    )
    if session.scalar(
        select(ChecklistItem.id).where(
            ChecklistItem.situation_id == situation.id, ChecklistItem.code == data.code
        )
    ):
        raise Conflict("An item with this code exists already in this situation.")
    if (taken or 0) >= 99:
        raise Conflict("This element has as many context-specific items as it can hold (98).")
    now = utcnow()
    item = ChecklistItem(
        situation_id=situation.id,
        code=data.code,
        element_code=entry.element.code,
        pillar=entry.pillar.code,
        paragraph=entry.paragraph.number,
        solution=entry.paragraph.solution,
        sort_order=entry.order * 100 + (taken or 1),
        title=data.title,
        text=data.text or "",
        is_custom=True,
        status=ItemStatus.NOT_STARTED,
        target_date=data.target_date,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    record_item_change(
        session,
        actor,
        item,
        action="item.created",
        has_lead=False,
        before=None,
        after=jsonable(data.model_dump()),
    )
    session.flush()
    return get_item(session, situation.id, item.code)


# --- history ------------------------------------------------------------------------------


def history_query(item: ChecklistItem, access: SituationAccess) -> Select[Event, str, str]:
    """Build the query of an item's events that the caller may see, with who made them.

    Submitted and returned updates stay between the coordinators and the reporting
    organisation; accepted ones, like every other change, are visible to every member.
    """
    stmt = (
        select(Event, User.name, Organisation.name)
        .outerjoin(User, User.id == Event.actor_user_id)
        .outerjoin(Organisation, Organisation.id == Event.actor_organisation_id)
        .where(Event.item_id == item.id)
    )
    hidden_updates = history_visibility(access)
    if hidden_updates is not None:
        stmt = stmt.outerjoin(Update, Update.id == Event.update_id).where(hidden_updates)
    return stmt


def event_read(row: Any, item_code: str | None) -> EventRead:
    """Describe an event row from ``history_query``."""
    event, user_name, organisation_name = row
    return EventRead(
        id=event.id,
        at=event.at,
        action=event.action,
        item_code=item_code,
        item_version=event.item_version,
        actor=EventActor(
            user_id=event.actor_user_id,
            user_name=user_name,
            organisation_id=event.actor_organisation_id,
            organisation_name=organisation_name,
        ),
        before=event.before,
        after=event.after,
    )


def history_visibility(access: SituationAccess) -> ColumnElement[bool] | None:
    """SQL on events joined to their update: hide the update events the caller may not see."""
    if access.can(Permission.UPDATES_READ_ALL):
        return None
    visible = or_(Event.update_id.is_(None), Event.action == "update.accepted")
    if access.can(Permission.UPDATES_READ_OWN) and access.user.organisation_id is not None:
        visible = or_(visible, Update.organisation_id == access.user.organisation_id)
    return visible
