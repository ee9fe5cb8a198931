"""Change checklist items: create one, patch one, set its owners; one version, one event each."""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.checklist.queries import get_item
from app.checklist.schemas import ItemCreate, ItemPatch, OwnersIn
from app.core.base import utcnow
from app.core.errors import Conflict, Unprocessable, field_error
from app.core.schemas import jsonable
from app.core.vocab import ItemStatus, OwnerRole
from app.cycles.obligations import follow_owners
from app.events.service import Actor, apply_changes, record_item_change
from app.models import ChecklistItem, ItemOwner, Organisation, Situation
from app.templates.registry import TemplateRegistry


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
    """Replace the item's owners as one new version with one event.

    The open reporting cycles follow: new owners in a reporting role owe a report there, and
    what removed owners still owed is waived (``app.cycles.obligations.follow_owners``).
    """
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
    follow_owners(session, item, wanted, actor)
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
