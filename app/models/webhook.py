"""Webhook subscriptions and their deliveries (an outbox, written with the event it sends)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.base import Base, UUIDPrimaryKey, str_enum, utcnow
from app.core.vocab import DeliveryState
from app.models.event import Event


class WebhookSubscription(UUIDPrimaryKey, Base):
    """A coordinator's URL, subscribed to event types of one situation.

    The signing secret is kept as issued (Standard Webhooks ``whsec_…``): it must sign every
    delivery. It is shown once, in the answer that creates the subscription.
    """

    __tablename__ = "webhook_subscription"

    situation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("situation.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[Any]]
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    # Delivery attempts that failed since the last one that succeeded.
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(UUIDPrimaryKey, Base):
    """One event for one subscription: its CloudEvent, fixed when queued, and every attempt.

    ``webhook_id`` is the Standard Webhooks message id, the same on every attempt, so that
    a receiver can drop a duplicate.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        # What the worker claims: due pending rows, and expired leases.
        Index("ix_webhook_delivery_state_next_attempt", "state", "next_attempt_at"),
        Index("ix_webhook_delivery_subscription_created", "subscription_id", "created_at"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    webhook_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    state: Mapped[DeliveryState] = mapped_column(str_enum(DeliveryState, "delivery_state"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    leased_until: Mapped[datetime | None]
    first_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    response_excerpt: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    # Known to the unit of work, so that a delivery is written after its event and its
    # subscription, in the same flush.
    event: Mapped[Event] = relationship(lazy="raise")
    subscription: Mapped[WebhookSubscription] = relationship(lazy="raise")
