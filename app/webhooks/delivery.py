"""Send due webhook deliveries: claim, POST (signed, no redirects, bounded), record the outcome.

``run_due(session_factory, now)`` is a worker task. It claims due rows (pending ones whose
time has come, and in-flight ones whose lease ran out: their worker died) with
``SKIP LOCKED`` on PostgreSQL, so any number of workers share the queue, and commits the
lease before sending; the outcomes are written in a second transaction. A 2xx answer
delivers; anything else (a redirect included) is retried with exponential backoff, with the
same ``webhook-id``, until ``webhook_retry_hours`` after the first attempt. A subscription
whose every attempt failed over a whole retry window is disabled, and a ``webhook.disabled``
event tells its coordinators.
"""

import asyncio
import json
import math
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.core.base import utcnow
from app.core.db import SQLITE_BEGIN_OPTION
from app.core.vocab import DeliveryState
from app.events.service import SYSTEM, record
from app.models import WebhookDelivery, WebhookSubscription
from app.ops.metrics import WEBHOOK_ATTEMPT_SECONDS, WEBHOOK_FAILURES
from app.webhooks.sender import Attempt, Outcome, send_all

BATCH = 100
CONCURRENCY = 16
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=2)


def run_due(
    session_factory: Callable[[], Session], now: datetime, settings: Settings | None = None
) -> int:
    """Attempt the deliveries due at ``now`` (one batch); return how many were attempted.

    Call it from a thread without a running event loop: it runs one of its own to send.
    """
    settings = settings or get_settings()
    attempts = claim(session_factory, now, settings)
    if not attempts:
        return 0
    outcomes = asyncio.run(send_all(attempts, settings, concurrency=CONCURRENCY))
    record_outcomes(session_factory, outcomes, now, settings)
    return len(attempts)


def lease_length(settings: Settings) -> timedelta:
    """How long a claimed batch is ours: every round of sends at its time-out, and a margin."""
    rounds = math.ceil(BATCH / CONCURRENCY)
    return timedelta(seconds=rounds * settings.webhook_timeout_seconds + 30)


def claim(
    session_factory: Callable[[], Session], now: datetime, settings: Settings
) -> list[Attempt]:
    """Lease the due deliveries of active subscriptions, and commit the lease."""
    # From the claim itself: the pass (its ``now``) may have begun minutes ago, with slow
    # e-mails, and a lease counted from then could run out while the batch is sent, for
    # another worker to send it again. A ``now`` ahead of the clock is a test's moved clock.
    leased_until = max(now, utcnow()) + lease_length(settings)
    with session_factory() as session:
        # On SQLite a claim writes: take the write lock at BEGIN, not on the first UPDATE.
        session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        due = or_(
            and_(
                WebhookDelivery.state == DeliveryState.PENDING,
                WebhookDelivery.next_attempt_at <= now,
            ),
            and_(
                WebhookDelivery.state == DeliveryState.DELIVERING,
                WebhookDelivery.leased_until <= now,
            ),
        )
        stmt = (
            select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(due, WebhookSubscription.active.is_(True))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(BATCH)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(of=WebhookDelivery, skip_locked=True, key_share=True)
        attempts = []
        for delivery, subscription in session.execute(stmt).all():
            delivery.state = DeliveryState.DELIVERING
            delivery.leased_until = leased_until
            delivery.attempts += 1
            delivery.first_attempt_at = delivery.first_attempt_at or now
            delivery.last_attempt_at = now
            attempts.append(
                Attempt(
                    delivery_id=delivery.id,
                    url=subscription.url,
                    secret=subscription.secret,
                    webhook_id=delivery.webhook_id,
                    body=json.dumps(delivery.payload, separators=(",", ":")).encode(),
                    lease=leased_until,
                )
            )
        session.commit()
    return attempts


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, … at most 2 h."""
    wait: timedelta = FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16)
    return min(wait, LONGEST_RETRY)


def record_outcomes(
    session_factory: Callable[[], Session],
    outcomes: list[Outcome],
    now: datetime,
    settings: Settings,
) -> None:
    """Write each attempt's outcome; schedule retries, give up, disable subscriptions."""
    for outcome in outcomes:
        WEBHOOK_ATTEMPT_SECONDS.labels("delivered" if outcome.ok else "failed").observe(
            outcome.seconds
        )
        if not outcome.ok:
            WEBHOOK_FAILURES.labels(outcome.reason).inc()
    with session_factory() as session:
        session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        ids = [outcome.delivery_id for outcome in outcomes]
        deliveries = {
            d.id: d
            for d in session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .order_by(WebhookDelivery.id)
                .with_for_update(key_share=True)
            )
        }
        subscription_ids = sorted({d.subscription_id for d in deliveries.values()})
        subscriptions = {
            s.id: s
            for s in session.scalars(
                select(WebhookSubscription)
                .where(WebhookSubscription.id.in_(subscription_ids))
                .order_by(WebhookSubscription.id)
                # NO KEY UPDATE: deliveries queued meanwhile (their foreign key takes KEY
                # SHARE on the subscription) do not wait for this transaction.
                .with_for_update(key_share=True)
            )
        }
        window = timedelta(hours=settings.webhook_retry_hours)
        for outcome in outcomes:
            delivery = deliveries.get(outcome.delivery_id)
            # Deleted meanwhile, redelivered meanwhile, or leased again by another worker
            # after ours ran out: that attempt is no longer ours to record.
            if (
                delivery is None
                or delivery.state is not DeliveryState.DELIVERING
                or delivery.leased_until != outcome.lease
            ):
                continue
            subscription = subscriptions[delivery.subscription_id]
            _apply(session, delivery, subscription, outcome, now, window)
        session.commit()


def _apply(
    session: Session,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    outcome: Outcome,
    now: datetime,
    window: timedelta,
) -> None:
    delivery.leased_until = None
    delivery.last_status = outcome.status
    delivery.last_error = outcome.error
    delivery.response_excerpt = outcome.excerpt
    if outcome.ok:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        subscription.failure_count = 0
        return
    subscription.failure_count += 1
    deadline = (delivery.first_attempt_at or now) + window
    if now < deadline and subscription.active:
        delivery.state = DeliveryState.PENDING
        delivery.next_attempt_at = min(now + backoff(delivery.attempts), deadline)
        return
    delivery.state = DeliveryState.FAILED
    delivery.next_attempt_at = None
    # Every attempt of this delivery failed, and none of any other since its first: the
    # receiver has not answered for a whole retry window.
    if subscription.active and subscription.failure_count >= delivery.attempts:
        disable(session, subscription, now, _reason(outcome, window))


def _reason(outcome: Outcome, window: timedelta) -> str:
    hours = window.total_seconds() / 3600
    last = f"HTTP {outcome.status}" if outcome.status is not None else outcome.error
    return f"Every delivery attempt failed for {hours:g} hours (the last: {last})."[:500]


def disable(
    session: Session, subscription: WebhookSubscription, now: datetime, reason: str
) -> None:
    """Stop sending to a subscription, give up its waiting deliveries, and tell the situation."""
    subscription.active = False
    subscription.disabled_at = now
    subscription.disabled_reason = reason
    for waiting in session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.state == DeliveryState.PENDING,
        )
    ):
        waiting.state = DeliveryState.FAILED
        waiting.next_attempt_at = None
        waiting.last_error = "Given up: the webhook was disabled."
    event = record(
        session,
        SYSTEM,
        situation_id=subscription.situation_id,
        action="webhook.disabled",
        after={
            "webhook_id": str(subscription.id),
            "url": subscription.url,
            "reason": reason,
            "disabled_at": now.isoformat(),
        },
    )
    event.at = now
