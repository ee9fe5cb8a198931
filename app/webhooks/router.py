"""Webhook subscriptions of a situation and their delivery log (coordinators)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import JSONResponse

from app.auth.deps import WebhooksManager
from app.core.deps import SessionDep, SettingsDep
from app.core.pagination import Cursor, Limit, Page, SortKey, paginate, timestamp_key
from app.core.vocab import DeliveryState
from app.events.service import Actor
from app.idempotency.deps import IdempotencyDep
from app.idempotency.service import StoredResponse
from app.models import WebhookDelivery, WebhookSubscription
from app.webhooks import service
from app.webhooks.deps import CurrentWebhook
from app.webhooks.schemas import DeliveryRead, WebhookCreate, WebhookCreated, WebhookRead

router = APIRouter(prefix="/situations/{sid}/webhooks", tags=["webhooks"])

_ORDER = [timestamp_key(WebhookSubscription.created_at), SortKey(WebhookSubscription.id, uuid.UUID)]
_DELIVERY_ORDER = [
    timestamp_key(WebhookDelivery.created_at),
    SortKey(WebhookDelivery.id, uuid.UUID),
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses={409: {"description": "A concurrent request with the same Idempotency-Key"}},
)
def create_webhook(
    data: WebhookCreate,
    access: WebhooksManager,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> JSONResponse:
    """Subscribe a URL to event types of the situation; the answer shows its secret, once."""

    def work() -> StoredResponse:
        subscription = service.create(
            session,
            access.situation,
            data,
            Actor.of(access.user),
            allow_private=settings.webhook_allow_private,
        )
        body = WebhookCreated.model_validate(subscription).model_dump(mode="json")
        location = f"/api/v1/situations/{access.situation.id}/webhooks/{subscription.id}"
        return StoredResponse(201, body, {"Location": location})

    return idempotency.respond(access.user, data, work)


@router.get("")
def list_webhooks(
    access: WebhooksManager, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[WebhookRead]:
    """List the situation's webhook subscriptions, oldest first (never their secrets)."""
    stmt = service.subscriptions_query(access.situation.id)
    rows, next_cursor = paginate(session, stmt, _ORDER, cursor=cursor, limit=limit)
    return Page[WebhookRead](
        items=[WebhookRead.model_validate(s) for s in rows], next_cursor=next_cursor
    )


@router.get("/{wid}")
def get_webhook(found: CurrentWebhook) -> WebhookRead:
    """Read one webhook subscription: whether it is active, and why not (never its secret)."""
    return WebhookRead.model_validate(found.subscription)


@router.delete("/{wid}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(found: CurrentWebhook, session: SessionDep) -> None:
    """Delete a webhook subscription and its delivery log; nothing more is sent to it."""
    service.delete(session, found.subscription, Actor.of(found.access.user))


@router.get("/{wid}/deliveries")
def list_deliveries(
    found: CurrentWebhook,
    session: SessionDep,
    state: Annotated[DeliveryState | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DeliveryRead]:
    """List a webhook's deliveries, newest first: status, attempts, last error, next attempt."""
    stmt = service.deliveries_query(found.subscription.id, state)
    rows, next_cursor = paginate(
        session, stmt, _DELIVERY_ORDER, cursor=cursor, limit=limit, descending=True
    )
    return Page[DeliveryRead](
        items=[DeliveryRead.model_validate(d) for d in rows], next_cursor=next_cursor
    )


@router.post(
    "/{wid}/deliveries/{did}:redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    responses={409: {"description": "The webhook was disabled"}},
)
def redeliver(
    did: Annotated[uuid.UUID, Path(description="Delivery id")],
    found: CurrentWebhook,
    session: SessionDep,
) -> DeliveryRead:
    """Send a delivery again, as soon as the worker runs, with the same `webhook-id`."""
    delivery = service.get_delivery(session, found.subscription, did)
    return DeliveryRead.model_validate(service.redeliver(session, found.subscription, delivery))
