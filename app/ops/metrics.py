"""Prometheus metrics: requests by route and status, latency, update submissions, review backlog,
the e-mails' queue depth, delivery latency and failures, and the webhook deliveries' (queue
depth, attempt latency, failures).

With several worker processes, ``crrf serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
folder and ``/metrics`` aggregates every worker. The review backlog and the queue depths are
read from the database at scrape time, so every worker reports the same figures.
"""

import os
from collections.abc import Iterator
from typing import Any

from fastapi.routing import iter_route_contexts
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.types import Scope

from app.core.vocab import DeliveryState, EmailState, UpdateState
from app.models import OutboundEmail, Update, WebhookDelivery

REQUESTS = Counter(
    "crrf_http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "crrf_http_request_duration_seconds",
    "Time to answer a request, by method and route template.",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
UPDATE_SUBMISSIONS = Counter(
    "crrf_update_submissions_total",
    "Partner updates recorded, by channel (single or batch).",
    ["channel"],
)
WEBHOOK_ATTEMPT_SECONDS = Histogram(
    "crrf_webhook_delivery_seconds",
    "Time a webhook delivery attempt took, from resolving the host to the response, by outcome.",
    ["outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
WEBHOOK_FAILURES = Counter(
    "crrf_webhook_delivery_failures_total",
    "Failed webhook delivery attempts, by reason (status, redirect, timeout, connection, "
    "refused, error).",
    ["reason"],
)

NOTIFICATIONS_SENT = Counter(
    "crrf_notifications_sent_total",
    "Notifications delivered (an SMTP server accepted the e-mail), by channel.",
    ["channel"],
)
NOTIFICATION_FAILURES = Counter(
    "crrf_notification_failures_total",
    "Failed delivery attempts, by channel and outcome (retry later, or gave up).",
    ["channel", "outcome"],
)
DELIVERY_LATENCY = Histogram(
    "crrf_notification_delivery_seconds",
    "From a notification's queuing to its delivery, by channel.",
    ["channel"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600),
)


class DatabaseCollector(Collector):
    """Figures read from the database at scrape time."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("crrf_database_up", "1 when the database answered the scrape.")
        backlog = GaugeMetricFamily(
            "crrf_review_backlog", "Partner updates submitted and waiting for review."
        )
        depth = GaugeMetricFamily(
            "crrf_notification_queue_depth",
            "Notifications waiting to be delivered (pending or being sent), by channel.",
            labels=["channel"],
        )
        queue = GaugeMetricFamily(
            "crrf_webhook_queue_depth", "Webhook deliveries waiting to be sent (pending)."
        )
        try:
            waiting = self.session.execute(
                select(func.count())
                .select_from(Update)
                .where(Update.state == UpdateState.SUBMITTED)
            ).scalar_one()
            emails = self.session.execute(
                select(func.count())
                .select_from(OutboundEmail)
                .where(OutboundEmail.state.in_((EmailState.PENDING, EmailState.SENDING)))
            ).scalar_one()
            pending = self.session.execute(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.state == DeliveryState.PENDING)
            ).scalar_one()
        except Exception:  # a scrape must answer even when the database does not
            self.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        backlog.add_metric([], waiting)
        depth.add_metric(["email"], emails)
        queue.add_metric([], pending)
        yield up
        yield backlog
        yield depth
        yield queue


def exposition(session: Session) -> tuple[bytes, str]:
    """The metrics text of this process (or of every worker) and of the database."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        process_metrics = generate_latest(registry)
    else:
        process_metrics = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector(session))
    return process_metrics + generate_latest(database), CONTENT_TYPE_LATEST


def route_names(app: Any) -> dict[int, str]:
    """Each route's full path template, by the route's id, built once per application.

    Routers are included lazily, and mapping every route takes a moment (~70 ms here, more
    under load): the application's start-up calls this so that its first request does not
    wait.
    """
    names: dict[int, str] | None = getattr(app.state, "metric_route_names", None)
    if names is None:
        names = {
            id(context.original_route): str(context.path)
            for context in iter_route_contexts(app.routes)
        }
        app.state.metric_route_names = names
    return names


def route_template(scope: Scope) -> str:
    """The full path template of the route that answered (``unmatched`` when none did)."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    return route_names(scope["app"]).get(id(route)) or str(getattr(route, "path", "unmatched"))


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """Count and time one answered HTTP request by its route template (never by raw path)."""
    LATENCY.labels(method, route).observe(seconds)
    REQUESTS.labels(method, route, str(status)).inc()
