"""The reporting-deadline burst: 64 partners submitting into 50 situations at once while the
worker runs, beside the bare INSERT+UPDATE endpoint.

Every situation of the burst has a webhook subscription to a local receiver, so each
submission queues a delivery that a ``crrf worker`` process (started for the service's runs)
sends while the submissions go on: the worker shares the database and the machine with
the requests, as on a deadline day. Goals: at least 50 % of the bare endpoint's
throughput, a p99 at most 2x its p99, zero errors.
"""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.pool import NullPool

from app.core.base import utcnow
from app.core.vocab import WebhookEventType
from app.models import WebhookSubscription
from app.webhooks.service import new_secret
from bench.fanout import http_receiver

SITUATIONS = 50
PER_SITUATION = 4
CLIENTS = 64


def targets(info: dict[str, Any], read: set[str]) -> list[list[str]]:
    """Items of the seeded partner in ``SITUATIONS`` situations that no read scenario reads."""
    chosen: dict[str, list[list[str]]] = {}
    for target in info["partner_items"]:
        sid = target[0]
        if sid in read or (sid not in chosen and len(chosen) == SITUATIONS):
            continue
        if len(chosen.setdefault(sid, [])) < PER_SITUATION:
            chosen[sid].append(target)
    return [target for found in chosen.values() for target in found]


@contextmanager
def worker_running(url: str, info: dict[str, Any], read: set[str]) -> Iterator[None]:
    """A receiver, a subscription of each burst situation to it, and a ``crrf worker``."""
    situations = sorted({sid for sid, _, _ in targets(info, read)})
    engine = create_engine(url, poolclass=NullPool)
    with http_receiver() as (receiver, received):
        with engine.begin() as connection:
            connection.execute(
                insert(WebhookSubscription),
                [
                    {
                        "id": uuid.uuid4(),
                        "situation_id": uuid.UUID(sid),
                        "url": receiver,
                        "event_types": [WebhookEventType.UPDATE_SUBMITTED.value],
                        "secret": new_secret(),
                        "active": True,
                        "failure_count": 0,
                        "created_at": utcnow(),
                    }
                    for sid in situations
                ],
            )
        env = {
            **os.environ,
            "CRRF_DATABASE_URL": url,
            "CRRF_WEBHOOK_ALLOW_PRIVATE": "true",
            "CRRF_WORKER_POLL_SECONDS": "0.2",
            "CRRF_LOG_LEVEL": "warning",
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"], env=env, stderr=subprocess.DEVNULL
        )
        try:
            yield
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            print(f"    the worker delivered {received.total} webhooks", file=sys.stderr)
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM webhook_delivery"))
                connection.execute(text("DELETE FROM webhook_subscription"))
    engine.dispose()
