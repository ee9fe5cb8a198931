"""Fan-out: one worker (``crrf worker``, its own process) drains 10,000 queued e-mails into a
local SMTP sink and 10,000 queued webhook deliveries into a local HTTP receiver; beside it,
the bare baseline sends as many over one connection with no database at all.

Printed per channel: deliveries per second, the worker's CPU per delivery, and duplicates
(messages received more than once, by ``Message-ID`` or ``webhook-id``). Goals: at least 200
e-mails/s and 300 webhooks/s from one worker, with zero duplicates.

    python -m bench.fanout [--db sqlite,postgres] [--count 10000]
"""

import argparse
import json
import os
import smtplib
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from standardwebhooks.webhooks import Webhook

from app.config import PROJECT_ROOT
from app.core.base import utcnow
from app.core.vocab import DeliveryState, EmailKind, EmailState, WebhookEventType
from app.models import Event, OutboundEmail, WebhookDelivery, WebhookSubscription
from app.webhooks.outbox import webhook_id
from app.webhooks.service import new_secret

GOALS = {"email": 200.0, "webhook": 300.0}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- receivers ------------------------------------------------------------------------------


class Received:
    """What a receiver got, by the id that must be unique."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.first: float | None = None  # perf_counter() at the first arrival

    def add(self, key: str) -> None:
        with self.lock:
            self.ids[key] += 1
            if self.first is None:
                self.first = time.perf_counter()

    @property
    def total(self) -> int:
        return sum(self.ids.values())

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.ids.values() if n > 1)


class _Sink:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.content.decode("utf-8", "replace")
        key = next(
            (
                line.split(":", 1)[1].strip()
                for line in content.splitlines()
                if line.lower().startswith("message-id:")
            ),
            str(uuid.uuid4()),
        )
        self.received.add(key)
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[tuple[str, Received]]:
    received, port = Received(), _free_port()
    controller = Controller(_Sink(received), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", received
    finally:
        controller.stop()


@contextmanager
def http_receiver() -> Iterator[tuple[str, Received]]:
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            received.add(self.headers.get("webhook-id") or str(uuid.uuid4()))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # Python's default backlog (5) drops the connections of a worker that opens 16 at
        # once: their SYNs are retried a second later, which would time the receiver.
        request_queue_size = 128
        daemon_threads = True

    server = Server(("127.0.0.1", _free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()


# --- the queues -------------------------------------------------------------------------------


def seed_emails(url: str, count: int, _target: str) -> None:
    """``count`` e-mails, due now, as the outbox holds them."""
    engine = create_engine(url, poolclass=NullPool)
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "kind": EmailKind.REVIEW_DIGEST,
            "recipient_user_id": None,
            "to_address": f"person{n}@example.org",
            "language": "en",
            "subject": f"Fan-out {n}",
            "text_body": "Three updates wait for your review.\n",
            "html_body": "<p>Three updates wait for your review.</p>",
            "dedupe_key": f"bench:{n}",
            "state": EmailState.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for n in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(OutboundEmail), rows)
    engine.dispose()


def sent_emails(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        sent = connection.scalar(select(func.count()).where(OutboundEmail.state == EmailState.SENT))
    engine.dispose()
    return int(sent or 0)


def seed_webhooks(url: str, count: int, target: str) -> None:
    """One situation (``bench.seed``) subscribed to ``target``, and ``count`` events queued
    for it as the outbox holds them: each with its CloudEvent, due now."""
    from bench.seed import seed  # its imports are heavy: only this channel needs them

    situation = uuid.UUID(seed(url, 1, 0)["situations"][0])
    engine = create_engine(url, poolclass=NullPool)
    now, subscription = utcnow(), uuid.uuid4()
    kind = WebhookEventType.ITEM_CHANGED.value
    events, deliveries = [], []
    for n in range(count):
        event = uuid.uuid4()
        events.append({"id": event, "situation_id": situation, "at": now, "action": "item.updated"})
        deliveries.append(
            {
                "id": uuid.uuid4(),
                "subscription_id": subscription,
                "event_id": event,
                "webhook_id": webhook_id(event),
                "event_type": kind,
                "payload": {
                    "specversion": "1.0",
                    "id": str(event),
                    "source": f"/situations/{situation}",
                    "type": kind,
                    "time": now.isoformat(),
                    "datacontenttype": "application/json",
                    "data": {"action": "item.updated", "n": n},
                },
                "state": DeliveryState.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    with engine.begin() as connection:
        connection.execute(
            insert(WebhookSubscription),
            [
                {
                    "id": subscription,
                    "situation_id": situation,
                    "url": target,
                    "event_types": [kind],
                    "secret": new_secret(),
                    "active": True,
                    "failure_count": 0,
                    "created_at": now,
                }
            ],
        )
        for start in range(0, count, 5000):
            connection.execute(insert(Event), events[start : start + 5000])
            connection.execute(insert(WebhookDelivery), deliveries[start : start + 5000])
    engine.dispose()


def delivered_webhooks(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        done = connection.scalar(
            select(func.count()).where(WebhookDelivery.state == DeliveryState.DELIVERED)
        )
    engine.dispose()
    return int(done or 0)


def bare_emails(target: str, count: int) -> None:
    """The baseline: the same messages over one SMTP connection, no database."""
    port = int(target.rsplit(":", 1)[1])
    with smtplib.SMTP("127.0.0.1", port, local_hostname="bench") as connection:
        for n in range(count):
            message = EmailMessage()
            message["From"], message["To"] = "crrf@example.org", f"person{n}@example.org"
            message["Subject"], message["Message-ID"] = f"Fan-out {n}", f"<bare-{n}@bench>"
            message.set_content("Three updates wait for your review.\n")
            message.add_alternative("<p>Three updates wait for your review.</p>", subtype="html")
            connection.send_message(message)


def bare_webhooks(target: str, count: int) -> None:
    """The baseline: as many signed POSTs of a CloudEvent over one kept-alive HTTP
    connection, no database."""
    signer = Webhook(new_secret())
    with httpx.Client(timeout=10) as client:
        for n in range(count):
            message, at = f"msg_bare{n}", datetime.now(UTC)
            body = json.dumps({"specversion": "1.0", "id": message, "data": {"n": n}})
            headers = {
                "content-type": "application/cloudevents+json",
                "webhook-id": message,
                "webhook-timestamp": str(int(at.timestamp())),
                "webhook-signature": signer.sign(message, at, body),
            }
            client.post(target, content=body, headers=headers)


@dataclass(frozen=True)
class Channel:
    name: str
    receiver: Callable[[], Any]
    seed: Callable[[str, int, str], None]
    done: Callable[[str], int]
    bare: Callable[[str, int], None]


def channels() -> list[Channel]:
    return [
        Channel("email", smtp_sink, seed_emails, sent_emails, bare_emails),
        Channel("webhook", http_receiver, seed_webhooks, delivered_webhooks, bare_webhooks),
    ]


# --- running --------------------------------------------------------------------------------


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        path = PROJECT_ROOT / "var" / "bench" / f"fanout-{uuid.uuid4().hex[:6]}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    server = os.environ.get(
        "CRRF_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    name = f"crrf_bench_fanout_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_channel(kind: str, channel: Channel, count: int) -> dict[str, Any]:
    """Seed ``count`` deliveries, start one worker, time it until all are done."""
    with fresh_database(kind) as url, channel.receiver() as (target, received):
        env = {
            **os.environ,
            "CRRF_DATABASE_URL": url,
            "CRRF_SMTP_URL": target if channel.name == "email" else "",
            "CRRF_MAIL_FROM": "crrf@example.org",
            "CRRF_WEBHOOK_ALLOW_PRIVATE": "true",
            "CRRF_WORKER_POLL_SECONDS": "0.2",
        }
        subprocess.run(
            [sys.executable, "-m", "app.cli", "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        channel.seed(url, count, target)
        worker = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Timed from the first arrival: the worker's start (its imports, its first poll)
        # is not its rate. Its CPU is counted from then too.
        launched, cpu_before = time.perf_counter(), 0.0
        try:
            while received.first is None and time.perf_counter() - launched < 60:
                time.sleep(0.01)
            cpu_before = _cpu_seconds(worker.pid)
            while channel.done(url) < count and time.perf_counter() - launched < 600:
                time.sleep(0.1)
            elapsed = time.perf_counter() - (received.first or launched)
            cpu = _cpu_seconds(worker.pid) - cpu_before
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        done = channel.done(url)
        service = {
            "per_second": done / elapsed,
            "cpu_ms_per_delivery": cpu * 1000 / max(done, 1),
            "delivered": done,
            "received": received.total,
            "duplicates": received.duplicates,
        }
    with channel.receiver() as (target, received):
        started = time.perf_counter()
        channel.bare(target, count)
        bare = {"per_second": count / (time.perf_counter() - started)}
    return {"service": service, "baseline": bare}


def report(results: dict[str, dict[str, Any]], count: int) -> str:
    lines = [
        f"### fan-out: {count:,} deliveries per channel, one worker",
        "",
        "| database | channel | target | deliveries/s | worker CPU ms/delivery | delivered | duplicates |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    checks = []
    for kind, by_channel in results.items():
        for name, data in by_channel.items():
            s, b = data["service"], data["baseline"]
            lines.append(
                f"| {kind} | {name} | worker | {s['per_second']:.0f} | "
                f"{s['cpu_ms_per_delivery']:.2f} | {s['delivered']:,} | {s['duplicates']} |"
            )
            lines.append(f"| {kind} | {name} | bare baseline | {b['per_second']:.0f} | | | |")
            ok = s["per_second"] >= GOALS[name] and s["duplicates"] == 0
            ok = ok and s["delivered"] == count
            checks.append(
                f"- {'met' if ok else 'MISSED'}: {kind} {name}: >= {GOALS[name]:.0f}/s "
                "from one worker, every one delivered, zero duplicates"
            )
    return "\n".join([*lines, "", "Goals:", *checks, ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args(argv)
    results = {
        kind: {channel.name: run_channel(kind, channel, args.count) for channel in channels()}
        for kind in args.db.split(",")
    }
    print(report(results, args.count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
