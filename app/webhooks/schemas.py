"""Webhook subscription and delivery bodies."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from app.core.schemas import InputModel, OutputModel, check_text
from app.core.vocab import DeliveryState, WebhookEventType
from app.webhooks.targets import TargetRefused, split


def _check_url(value: str) -> str:
    if any(c.isspace() for c in value):
        raise ValueError("must be an http or https URL without spaces")
    try:
        split(value)
    except TargetRefused as refused:
        raise ValueError(str(refused)) from None
    return value


WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=8, max_length=2000),
    AfterValidator(check_text),
    AfterValidator(_check_url),
]


class WebhookCreate(InputModel):
    """A URL and the event types it is sent."""

    url: WebhookUrl = Field(
        description="Where deliveries are POSTed: http or https, on a public address.",
        examples=["https://partner.example.org/crrf/events"],
    )
    event_types: list[WebhookEventType] = Field(min_length=1, max_length=len(WebhookEventType))

    @field_validator("event_types")
    @classmethod
    def _distinct(cls, value: list[WebhookEventType]) -> list[WebhookEventType]:
        return sorted(set(value))


class WebhookRead(OutputModel):
    """A subscription, without its secret."""

    id: uuid.UUID
    situation_id: uuid.UUID
    url: str
    event_types: list[WebhookEventType]
    active: bool = Field(description="False once disabled after failing deliveries.")
    failure_count: int = Field(
        description="Delivery attempts that failed since the last one that succeeded."
    )
    disabled_at: datetime | None
    disabled_reason: str | None
    created_by_id: uuid.UUID | None
    created_at: datetime


class WebhookCreated(WebhookRead):
    """A new subscription, with the secret that signs its deliveries: shown this once."""

    secret: str = Field(
        description="The Standard Webhooks signing secret (`whsec_…`): verify each "
        "delivery's `webhook-signature` with it. It is never shown again."
    )


class DeliveryRead(OutputModel):
    """One event sent (or to be sent) to a subscription: what was sent and how it went."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    webhook_id: str = Field(description="The `webhook-id` header: the same on every attempt.")
    event_type: WebhookEventType
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    first_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status: int | None = Field(description="The receiver's last HTTP status, if any.")
    last_error: str | None
    response_excerpt: str | None = Field(
        description="The start of the receiver's last response body (at most 1 KiB)."
    )
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any] = Field(description="The CloudEvent sent, as JSON.")
