"""Queue webhook deliveries in the transaction of the event they announce.

``on_event`` is called by ``app.events.service`` as each event is added: a delivery row is
written beside it for each active subscription of the situation that wants its type, so a
rolled-back change sends nothing and a committed one is never lost.
"""

import uuid
from typing import Any

from sqlalchemy import Select, bindparam, inspect, select
from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.core.prepared import prepared
from app.core.schemas import jsonable
from app.core.vocab import DeliveryState, WebhookEventType
from app.models import ChecklistItem, Event, Update, WebhookDelivery, WebhookSubscription

T = WebhookEventType
# The event log's actions, and the webhook event type each is announced as.
EVENT_TYPES: dict[str, WebhookEventType] = {
    "item.updated": T.ITEM_CHANGED,
    "item.owners_set": T.ITEM_OWNERS_CHANGED,
    "update.submitted": T.UPDATE_SUBMITTED,
    "update.accepted": T.UPDATE_REVIEWED,
    "update.returned": T.UPDATE_REVIEWED,
    "cycle.opened": T.CYCLE_OPENED,
    "obligation.due_soon": T.OBLIGATION_DUE_SOON,
    "obligation.overdue": T.OBLIGATION_OVERDUE,
    "item.stale": T.ITEM_STALE,
}


def webhook_id(event_id: uuid.UUID) -> str:
    """The Standard Webhooks message id of an event: stable, so receivers can de-duplicate."""
    return f"msg_{event_id.hex}"


@prepared
def _active_subscriptions() -> Select[WebhookSubscription]:
    """The active subscriptions of situation ``situation_id``."""
    return select(WebhookSubscription).where(
        WebhookSubscription.situation_id == bindparam("situation_id"),
        WebhookSubscription.active.is_(True),
    )


def on_event(session: Session, event: Event) -> list[WebhookDelivery]:
    """Queue the event for every active subscription of its situation that wants its type."""
    event_type = EVENT_TYPES.get(event.action)
    if event_type is None:
        return []
    # The event is not flushed yet: leave that to the caller's flush, as without webhooks.
    with session.no_autoflush:
        subscriptions = [
            subscription
            for subscription in session.scalars(
                _active_subscriptions(), {"situation_id": event.situation_id}
            )
            if event_type.value in subscription.event_types
        ]
        if not subscriptions:
            return []
        # The message id and the CloudEvent need the event's id and time now, before a flush.
        if event.id is None:
            event.id = uuid.uuid4()
        if event.at is None:
            event.at = utcnow()
        payload = cloud_event(session, event, event_type)
    deliveries = [
        WebhookDelivery(
            id=uuid.uuid4(),
            subscription=subscription,
            event=event,
            webhook_id=webhook_id(event.id),
            event_type=event_type.value,
            payload=payload,
            state=DeliveryState.PENDING,
            attempts=0,
            next_attempt_at=event.at,
            created_at=event.at,
        )
        for subscription in subscriptions
    ]
    session.add_all(deliveries)
    return deliveries


def cloud_event(session: Session, event: Event, event_type: WebhookEventType) -> dict[str, Any]:
    """The event as a CloudEvents 1.0 structured-mode JSON object."""
    item_code = _item_code(session, event)
    update = _update_of(event)
    update_id = event.update_id or (update.id if update is not None else None)
    data: dict[str, Any] = {
        "action": event.action,
        "situation_id": str(event.situation_id),
        "item_id": jsonable(event.item_id),
        "item_code": item_code,
        "update_id": jsonable(update_id),
        "actor_user_id": jsonable(event.actor_user_id),
        "actor_organisation_id": jsonable(event.actor_organisation_id),
        "before": event.before,
        "after": event.after,
    }
    if event.item_version is not None:
        data["item"] = {
            "version": event.item_version,
            "status": jsonable(event.item_status),
            "target_date": jsonable(event.item_target_date),
            "has_lead": event.item_has_lead,
        }
    envelope: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(event.id),
        "source": f"/api/v1/situations/{event.situation_id}",
        "type": event_type.value,
        "time": event.at.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": data,
    }
    if item_code is not None:
        envelope["subject"] = f"items/{item_code}"
    return envelope


def _update_of(event: Event) -> Update | None:
    """The update the service gave the event, if any (never loaded from here)."""
    update: Update | None = inspect(event).dict.get("update")
    return update


def _item_code(session: Session, event: Event) -> str | None:
    if event.item_id is None:
        return None
    update = _update_of(event)
    if update is not None:
        return str(update.item_code)
    # The changed item is in the session already: no query.
    item = session.get(ChecklistItem, event.item_id)
    return item.code if item is not None else None
