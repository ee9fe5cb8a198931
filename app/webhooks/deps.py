"""Load a webhook subscription of the caller's situation (else 404), once they may manage it."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path

from app.auth.access import SituationAccess
from app.auth.deps import WebhooksManager
from app.core.deps import SessionDep
from app.models import WebhookSubscription
from app.webhooks import service


@dataclass(frozen=True)
class WebhookAccess:
    subscription: WebhookSubscription
    access: SituationAccess


def get_webhook(
    wid: Annotated[uuid.UUID, Path(description="Webhook subscription id")],
    access: WebhooksManager,
    session: SessionDep,
) -> WebhookAccess:
    """The subscription ``wid`` of the situation, for a caller who manages its webhooks."""
    return WebhookAccess(service.get(session, access.situation.id, wid), access)


CurrentWebhook = Annotated[WebhookAccess, Depends(get_webhook)]
