"""The reporting-deadline burst: 64 partners submitting into 50 situations whose reports are
due today, while a ``crrf worker`` drains what the deadline and the submissions queue.

Before each of the service's runs, every situation of the burst gets a webhook subscription
to a local receiver (its submissions, reviews and reminders) and a reporting cycle due
today, opened through the API; the worker (its own process, mail to a local SMTP sink)
then records the day's reminders, mails the owing partners and posts the webhooks while
the submissions go on, fulfilling the obligations: it shares the database and the machine
with the requests, as on a deadline day. The bare baseline's runs have no worker. Goals:
at least 50 % of the bare INSERT+UPDATE endpoint's throughput, a p99 at most 2x its p99,
zero errors.
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.pool import NullPool

from app.core.base import utcnow
from app.core.vocab import WebhookEventType
from app.models import WebhookSubscription
from app.webhooks.service import new_secret
from bench.fanout import Received, http_receiver, smtp_sink

CLIENTS = 64
SITUATIONS = 50
PER_SITUATION = 4  # items of the seeded partner in each situation of the burst
EVENT_TYPES = [
    WebhookEventType.UPDATE_SUBMITTED.value,
    WebhookEventType.UPDATE_REVIEWED.value,
    WebhookEventType.OBLIGATION_DUE_SOON.value,
    WebhookEventType.OBLIGATION_OVERDUE.value,
]


def targets(info: dict[str, Any], read: set[str]) -> list[list[str]]:
    """Up to ``PER_SITUATION`` items of the seeded partner in each of ``SITUATIONS``
    situations that no read scenario reads, the situations taken in turn."""
    chosen: dict[str, list[list[str]]] = {}
    for target in info["partner_items"]:
        sid = target[0]
        if sid in read or (sid not in chosen and len(chosen) == SITUATIONS):
            continue
        if len(chosen.setdefault(sid, [])) < PER_SITUATION:
            chosen[sid].append(target)
    rounds = [[found[n] for found in chosen.values() if n < len(found)] for n in range(4)]
    return [target for round_ in rounds for target in round_]


def situations(info: dict[str, Any], read: set[str]) -> list[str]:
    return sorted({sid for sid, _, _ in targets(info, read)})


def _subscribe(url: str, sids: list[str], receiver: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(
            insert(WebhookSubscription),
            [
                {
                    "id": uuid.uuid4(),
                    "situation_id": uuid.UUID(sid),
                    "url": receiver,
                    "event_types": EVENT_TYPES,
                    "secret": new_secret(),
                    "active": True,
                    "failure_count": 0,
                    "created_at": utcnow(),
                }
                for sid in sids
            ],
        )
    engine.dispose()


def _open_cycles(service: str, token: str, sids: list[str]) -> None:
    """A cycle due today in each situation, every owner role reporting: the day's reports."""
    today = date.today()
    body = {
        "name": "Deadline burst",
        "period_start": (today - timedelta(days=90)).isoformat(),
        "period_end": today.isoformat(),
        "due_date": today.isoformat(),
        "closes_on": (today + timedelta(days=14)).isoformat(),
        "reporting_roles": ["lead", "support", "funding", "implementing"],
    }
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=service, headers=headers, timeout=60) as client:
        for sid in sids:
            client.post(f"/api/v1/situations/{sid}/cycles", json=body).raise_for_status()


def forget(url: str) -> None:
    """Delete what a burst added beside the submissions (``run.forget_submissions`` deletes
    those): the cycles (their obligations with them), their events, the outboxes' rows."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM webhook_delivery"))
        connection.execute(text("DELETE FROM webhook_subscription"))
        connection.execute(text("DELETE FROM outbound_email"))
        # Not left to ON DELETE CASCADE: this engine does not turn SQLite's foreign keys on.
        connection.execute(text("DELETE FROM obligation"))
        connection.execute(text("DELETE FROM reporting_cycle"))
        connection.execute(
            text("DELETE FROM event WHERE action LIKE 'cycle.%' OR action LIKE 'obligation.%'")
        )
    engine.dispose()


@contextmanager
def worker_running(
    service: str, url: str, info: dict[str, Any], read: set[str], report: dict[str, Any]
) -> Iterator[None]:
    """The burst's situations subscribed and due today, and a ``crrf worker`` running; what
    the worker sent is added to ``report`` afterwards."""
    sids = situations(info, read)
    with ExitStack() as stack:
        receiver, hooks = stack.enter_context(http_receiver())
        smtp, mails = stack.enter_context(smtp_sink())
        _subscribe(url, sids, receiver)
        _open_cycles(service, info["tokens"]["admin"], sids)
        env = {
            **os.environ,
            "CRRF_DATABASE_URL": url,
            "CRRF_SMTP_URL": smtp,
            "CRRF_MAIL_FROM": "crrf@example.org",
            "CRRF_WEBHOOK_ALLOW_PRIVATE": "true",
            "CRRF_WORKER_POLL_SECONDS": "0.2",
            "CRRF_LOG_LEVEL": "warning",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(1.0)  # its imports: the burst begins once it works
            yield
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            _add(report, hooks, mails)
    forget(url)


def _add(report: dict[str, Any], hooks: Received, mails: Received) -> None:
    for key, received in (("webhooks", hooks), ("emails", mails)):
        report[key] = report.get(key, 0) + received.total
        report[f"{key}_duplicates"] = report.get(f"{key}_duplicates", 0) + received.duplicates
