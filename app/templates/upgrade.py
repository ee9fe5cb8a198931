"""Move a running situation to another version of its template, explicitly.

A situation keeps the template version it was created with: a new version of the file (a
corrected title, a new element) changes nothing by itself. ``crrf templates upgrade`` moves
one situation: its items take the new version's titles, texts and order; elements the new
version adds become new items; items of elements it drops are removed, unless one of them has
history (a change of status, note, date or owners, an update submitted, or a context item
built on it), which refuses the whole move. A removed item's creation event stays in the log,
unlinked from it; the move itself is one event, ``situation.template_upgraded``.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.core.errors import Conflict, Unprocessable, field_error
from app.core.vocab import ItemStatus
from app.events.service import Actor, record, record_item_change
from app.models import ChecklistItem, Event, Situation, Update
from app.templates.model import ElementEntry, localise
from app.templates.registry import TemplateRegistry


def template_fields(entry: ElementEntry) -> dict[str, Any]:
    """What an item of a template element takes from it (and retakes on an upgrade)."""
    return {
        "element_code": entry.element.code,
        "pillar": entry.pillar.code,
        "paragraph": entry.paragraph.number,
        "solution": entry.paragraph.solution,
        "sort_order": entry.order * 100,
        "title": localise(entry.element.title, "en") or entry.element.code,
        "text": entry.element.text,
    }


def new_item(situation_id: uuid.UUID, entry: ElementEntry, now: datetime) -> ChecklistItem:
    """A fresh, ``not_started`` item of a template element."""
    return ChecklistItem(
        id=uuid.uuid4(),
        situation_id=situation_id,
        code=entry.element.code,
        **template_fields(entry),
        status=ItemStatus.NOT_STARTED,
        version=1,
        created_at=now,
        updated_at=now,
    )


def add_items(
    session: Session, actor: Actor, situation_id: uuid.UUID, entries: list[ElementEntry]
) -> list[ChecklistItem]:
    """Add a fresh item for each template element, each with its ``item.created`` event."""
    now = utcnow()
    items = [new_item(situation_id, entry, now) for entry in entries]
    session.add_all(items)
    session.flush()
    for item in items:
        record_item_change(
            session,
            actor,
            item,
            action="item.created",
            has_lead=False,
            before=None,
            after={"status": item.status.value, "code": item.code},
        )
    return items


@dataclass(frozen=True)
class Upgrade:
    situation_id: uuid.UUID
    before: str
    after: str
    added: list[str]
    removed: list[str]


def _with_history(session: Session, items: list[ChecklistItem]) -> set[str]:
    ids = [item.id for item in items]
    reported = set(session.scalars(select(Update.item_id).where(Update.item_id.in_(ids))))
    return {item.code for item in items if item.version > 1 or item.id in reported}


def upgrade(
    session: Session, situation: Situation, registry: TemplateRegistry, to: str, actor: Actor
) -> Upgrade:
    """Move ``situation`` to version ``to`` of its template, or refuse without changing it."""
    target = registry.get(situation.template_id, to)
    if target is None:
        raise Unprocessable(
            f"{situation.template_id} has no version {to}.",
            errors=[field_error(("to",), "unknown version")],
        )
    if to == situation.template_version:
        raise Conflict(f"The situation is at {situation.template_id} {to} already.")
    entries = {entry.element.code: entry for entry in target.entries()}
    items = list(
        session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.situation_id == situation.id)
            .with_for_update()
        )
    )
    dropped = [item for item in items if item.element_code not in entries]
    refused = sorted(
        _with_history(session, [i for i in dropped if not i.is_custom])
        | {item.code for item in dropped if item.is_custom}
    )
    if refused:
        raise Conflict(
            f"Version {to} drops elements whose items have history here: {', '.join(refused)}. "
            "Nothing was changed."
        )
    for item in dropped:
        session.execute(update(Event).where(Event.item_id == item.id).values(item_id=None))
        session.delete(item)
    kept = [item for item in items if item.element_code in entries]
    for item in kept:
        fields = template_fields(entries[item.element_code])
        if item.is_custom:
            fields = {k: v for k, v in fields.items() if k not in ("title", "text")}
            fields["sort_order"] += item.sort_order % 100
        for name, value in fields.items():
            setattr(item, name, value)
    present = {item.code for item in kept}
    added = add_items(
        session, actor, situation.id, [e for code, e in entries.items() if code not in present]
    )
    before = situation.template_version
    situation.template_version = target.version
    situation.version += 1
    result = Upgrade(
        situation.id, before, target.version, [i.code for i in added], [i.code for i in dropped]
    )
    record(
        session,
        actor,
        situation_id=situation.id,
        action="situation.template_upgraded",
        before={"template_id": situation.template_id, "template_version": before},
        after={
            "template_id": situation.template_id,
            "template_version": target.version,
            "added": result.added,
            "removed": result.removed,
        },
    )
    session.flush()
    return result
