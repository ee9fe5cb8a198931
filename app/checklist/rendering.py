"""Checklist items and events as the fields of their response models."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.checklist import flags
from app.checklist.schemas import EventActor, EventRead, ItemRead
from app.core.vocab import OwnerRole
from app.models import ChecklistItem, ItemOwner, Organisation, Situation
from app.templates.registry import TemplateRegistry


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
    rows = session.execute(
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
        .where(ChecklistItem.situation_id == situation_id)
        .order_by(ItemOwner.item_id, ItemOwner.role, ItemOwner.organisation_id)
    )
    for item_id, role, org_id, name, acronym, type_ in rows:
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
            stale_threshold=flags.stale_threshold(now, situation.stale_after_days),
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
