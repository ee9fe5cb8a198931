"""Write events in the same transaction as the change they record, and what they cause.

Each event is handed, as it is added, to the outboxes that notify of it: the e-mails
(``app.notify``) and the webhooks (``app.webhooks.outbox``), queued in that transaction too.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.core.schemas import jsonable
from app.models import ChecklistItem, Event, Update, User
from app.notify import service as notify
from app.webhooks import outbox


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user and their organisation, or the system (both None)."""

    user_id: uuid.UUID | None
    organisation_id: uuid.UUID | None

    @classmethod
    def of(cls, user: User | None) -> "Actor":
        if user is None:
            return SYSTEM
        return cls(user.id, user.organisation_id)


SYSTEM = Actor(None, None)


def record(
    session: Session,
    actor: Actor,
    *,
    situation_id: uuid.UUID,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    item_id: uuid.UUID | None = None,
    update: Update | None = None,
) -> Event:
    """Append an event that does not change an item's state."""
    event = Event(
        situation_id=situation_id,
        item_id=item_id,
        update=update,
        actor_user_id=actor.user_id,
        actor_organisation_id=actor.organisation_id,
        at=utcnow(),
        action=action,
        before=before,
        after=after,
    )
    session.add(event)
    notify.on_event(session, event)
    outbox.on_event(session, event)
    return event


def record_item_change(
    session: Session,
    actor: Actor,
    item: ChecklistItem,
    *,
    action: str,
    has_lead: bool,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    update: Update | None = None,
) -> Event:
    """Append the event of an item's new version, with the item's state after it."""
    event = Event(
        situation_id=item.situation_id,
        item_id=item.id,
        update=update,
        actor_user_id=actor.user_id,
        actor_organisation_id=actor.organisation_id,
        at=utcnow(),
        action=action,
        before=before,
        after=after,
        item_version=item.version,
        item_status=item.status,
        item_target_date=item.target_date,
        item_has_lead=has_lead,
    )
    session.add(event)
    notify.on_event(session, event)
    outbox.on_event(session, event)
    return event


def apply_changes(
    target: Any, changes: dict[str, Any], before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Set the fields that really change on ``target``; note their old and new values."""
    for field, value in changes.items():
        current = getattr(target, field)
        if current != value:
            before[field], after[field] = jsonable(current), jsonable(value)
            setattr(target, field, value)
