"""Webhook subscriptions: make one (with its secret), list, delete; the delivery log, redeliver."""

import base64
import secrets
import uuid
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.core.errors import Conflict, NotFound, Unprocessable, field_error
from app.core.vocab import DeliveryState
from app.events.service import Actor, record
from app.models import Situation, WebhookDelivery, WebhookSubscription
from app.webhooks.schemas import WebhookCreate
from app.webhooks.targets import TargetRefused, resolve

_NO_WEBHOOK = "No such webhook in this situation."
_NO_DELIVERY = "No such delivery of this webhook."


def new_secret() -> str:
    """A Standard Webhooks signing secret: 32 random bytes, base64, after ``whsec_``."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse (422) a URL whose host does not resolve, or resolves to a private address."""
    try:
        resolve(url, allow_private=allow_private)
    except TargetRefused as refused:
        raise Unprocessable(
            str(refused), errors=[field_error(("body", "url"), str(refused))]
        ) from None


def create(
    session: Session,
    situation: Situation,
    data: WebhookCreate,
    actor: Actor,
    *,
    allow_private: bool,
) -> WebhookSubscription:
    """Subscribe a URL to event types of the situation; its secret is made here."""
    check_target(data.url, allow_private=allow_private)
    subscription = WebhookSubscription(
        id=uuid.uuid4(),
        situation_id=situation.id,
        url=data.url,
        event_types=[t.value for t in data.event_types],
        secret=new_secret(),
        active=True,
        failure_count=0,
        created_by_id=actor.user_id,
        created_at=utcnow(),
    )
    session.add(subscription)
    record(
        session,
        actor,
        situation_id=situation.id,
        action="webhook.created",
        after=_described(subscription),
    )
    session.flush()
    return subscription


def subscriptions_query(situation_id: uuid.UUID) -> Select[WebhookSubscription]:
    """Build the query of a situation's subscriptions."""
    return select(WebhookSubscription).where(WebhookSubscription.situation_id == situation_id)


def get(session: Session, situation_id: uuid.UUID, webhook_id: uuid.UUID) -> WebhookSubscription:
    """Load a subscription of the situation, or 404."""
    subscription = session.scalar(
        subscriptions_query(situation_id).where(WebhookSubscription.id == webhook_id)
    )
    if subscription is None:
        raise NotFound(_NO_WEBHOOK)
    return subscription


def delete(session: Session, subscription: WebhookSubscription, actor: Actor) -> None:
    """Delete a subscription and its delivery log; nothing more is sent to it."""
    record(
        session,
        actor,
        situation_id=subscription.situation_id,
        action="webhook.deleted",
        before=_described(subscription),
    )
    session.delete(subscription)
    session.flush()


def deliveries_query(
    subscription_id: uuid.UUID, state: DeliveryState | None = None
) -> Select[WebhookDelivery]:
    """Build the query of a subscription's deliveries, optionally in one state."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if state is not None:
        stmt = stmt.where(WebhookDelivery.state == state)
    return stmt


def get_delivery(
    session: Session, subscription: WebhookSubscription, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Load a delivery of the subscription, or 404."""
    delivery = session.scalar(
        deliveries_query(subscription.id)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update(key_share=True)
    )
    if delivery is None:
        raise NotFound(_NO_DELIVERY)
    return delivery


def redeliver(
    session: Session,
    subscription: WebhookSubscription,
    delivery: WebhookDelivery,
    now: datetime | None = None,
) -> WebhookDelivery:
    """Make a new attempt of a delivery, in any state, due now (same ``webhook-id``).

    A delivery that failed gets this one attempt; one still within its retry window goes
    on being retried if it fails.
    """
    if not subscription.active:
        raise Conflict(
            "This webhook was disabled after failing deliveries: subscribe the URL again "
            "once it answers."
        )
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = now or utcnow()
    delivery.leased_until = None
    session.flush()
    return delivery


def _described(subscription: WebhookSubscription) -> dict[str, object]:
    return {
        "webhook_id": str(subscription.id),
        "url": subscription.url,
        "event_types": list(subscription.event_types),
    }
