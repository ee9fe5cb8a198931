"""Scale-out on PostgreSQL: four processes share one database, each message sent once
(issue 14 §4).

Two ``crrf serve`` processes (each with the worker it runs in-process) and two
``crrf worker`` processes share one PostgreSQL database, a real SMTP server (aiosmtpd) and
a real webhook receiver. While they run, an admin subscribes a webhook to five situations
and opens their reporting cycles through both servers (1,000 obligations), and partners
report through both servers while the admin returns their reports. The cycles' due dates
are set around today, so the reminders are due at once: no clock moves, and nobody sleeps.
The four workers race for the deadlines and both outboxes; each reminder and each
"returned" message must reach each recipient exactly once, and each webhook event its
receiver once.
"""

import os
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.core.base import utcnow
from app.core.db import make_engine
from app.core.vocab import DeliveryState, EmailKind, EmailState, OwnerRole, SituationRole
from app.cycles.deadlines import DUE_SOON, OVERDUE
from app.models import ChecklistItem, Event, Obligation, OutboundEmail, WebhookDelivery
from app.ops import migrations
from app.templates.registry import cached_registry
from tests.databases import postgres_database
from tests.factories import (
    add_member,
    auth,
    make_organisation,
    make_situation,
    make_user,
    set_owners,
)
from tests.live import crrf_serve, crrf_worker, wait_for
from tests.receiver import Received, running_receiver
from tests.smtp_sink import smtp_sink, text_and_html

SERVER_URL = os.environ.get("CRRF_TEST_DATABASE_URL")
ON_POSTGRES = bool(SERVER_URL) and make_url(SERVER_URL or "").get_backend_name() == "postgresql"

pytestmark = pytest.mark.slow

# Five situations x 40 items x 5 owning organisations = 1,000 obligations. Each organisation
# has a partner in every situation, NGO 0 a second one in the first: 1,040 reminders.
SITUATIONS = 5
ITEMS = 40
ROLES = (OwnerRole.LEAD, OwnerRole.SUPPORT, OwnerRole.SUPPORT, OwnerRole.FUNDING)
ROLES += (OwnerRole.IMPLEMENTING,)
REPORTS = 30  # reports sent (and returned) while the workers run
HOOKED = 1  # the situations with a webhook subscription
EVENT_TYPES = [
    "crrf.obligation.due_soon",
    "crrf.obligation.overdue",
    "crrf.update.submitted",
    "crrf.update.reviewed",
]
LINK = re.compile(r"/situations/([0-9a-f-]{36})/items/([^\s?#]+)(?:\?resubmit=([0-9a-f-]{36}))?")


@dataclass
class Round:
    """What the seeding made: the database, its situations and people."""

    url: str
    situations: list[uuid.UUID]
    codes: list[str]  # the items owned, the same in each situation
    partners: list[tuple[str, str]]  # e-mail and token of one partner per organisation
    recipients: dict[tuple[uuid.UUID, uuid.UUID], list[str]]  # (situation, organisation)
    admin_token: str


def seed(url: str) -> Round:
    """Migrate ``url`` and make the situations, organisations, owners and members."""
    migrations.upgrade(url)
    settings = Settings(database_url=url)
    registry = cached_registry(Path(settings.templates_dir).resolve())
    engine = make_engine(url, settings)
    try:
        with Session(engine, expire_on_commit=False) as db:
            orgs = [make_organisation(db, f"NGO {n} {uuid.uuid4().hex[:6]}") for n in range(5)]
            _, admin_token = make_user(db, admin=True, name="admin")
            partners = [make_user(db, org, name="partner") for org in orgs]
            second, _ = make_user(db, orgs[0], name="second")  # a member of the first only
            situations, codes = [], []
            recipients: dict[tuple[uuid.UUID, uuid.UUID], list[str]] = {}
            for number in range(SITUATIONS):
                situation = make_situation(db, registry, reminder_days_before=3)
                members = [user for user, _ in partners] + ([second] if number == 0 else [])
                for user in members:
                    add_member(db, situation, user, SituationRole.PARTNER)
                    key = (situation.id, user.organisation_id or uuid.UUID(int=0))
                    recipients.setdefault(key, []).append(user.email)
                codes = list(
                    db.scalars(
                        select(ChecklistItem.code)
                        .where(ChecklistItem.situation_id == situation.id)
                        .order_by(ChecklistItem.sort_order)
                        .limit(ITEMS)
                    )
                )
                for code in codes:
                    set_owners(db, situation, code, *zip(orgs, ROLES, strict=True))
                situations.append(situation.id)
            db.commit()
            return Round(
                url=url,
                situations=situations,
                codes=codes,
                partners=[(user.email, token) for user, token in partners],
                recipients=recipients,
                admin_token=admin_token,
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def seeded() -> Iterator[Round]:
    if not ON_POSTGRES:
        pytest.skip(
            "scale-out needs PostgreSQL (row locks, SKIP LOCKED, concurrent writers): "
            "set CRRF_TEST_DATABASE_URL to a PostgreSQL server"
        )
    assert SERVER_URL is not None
    with postgres_database(SERVER_URL) as url:
        yield seed(url)


def cycle_dates(number: int, today: date) -> dict[str, object]:
    """The last situation's cycle was due yesterday (overdue); the others' in two days
    (due soon: ``reminder_days_before`` is 3)."""
    due = today - timedelta(days=1) if number == SITUATIONS - 1 else today + timedelta(days=2)
    return {
        "name": f"Round {number}",
        "period_start": (today - timedelta(days=90)).isoformat(),
        "period_end": (today - timedelta(days=1)).isoformat(),
        "due_date": due.isoformat(),
        "closes_on": (today + timedelta(days=30)).isoformat(),
        "reporting_roles": ["lead", "support", "funding", "implementing"],
    }


class Drive:
    """The writes sent through the two servers while the workers run. The admin acts (an
    admin is no coordinator of a situation: no daily digest of pending reviews is queued)."""

    def __init__(self, round_: Round, servers: list[str], hook: str) -> None:
        self.round = round_
        self.servers = servers
        self.hook = hook
        self.today = utcnow().date()

    def post(self, number: int, path: str, body: dict[str, object], token: str) -> httpx.Response:
        """POST through server ``number % 2``."""
        url = f"{self.servers[number % 2]}/api/v1{path}"
        headers = {**auth(token), "Idempotency-Key": f"{path}:{number}"}
        return httpx.post(url, json=body, headers=headers, timeout=60)

    def open_cycle(self, number: int) -> None:
        """Subscribe the receiver to a situation (the first ``HOOKED``), then open its cycle
        (its obligations)."""
        situation = f"/situations/{self.round.situations[number]}"
        token = self.round.admin_token
        if number < HOOKED:
            hook = {"url": self.hook, "event_types": EVENT_TYPES}
            subscribed = self.post(number, f"{situation}/webhooks", hook, token)
            assert subscribed.status_code == 201, subscribed.text
        opened = self.post(
            number + 1, f"{situation}/cycles", cycle_dates(number, self.today), token
        )
        assert opened.status_code == 201, opened.text

    def report_and_return(self, number: int) -> tuple[str, str]:
        """A partner reports (for 2019: outside every cycle, so no obligation is fulfilled)
        through one server; the admin returns it through the other. (e-mail, update id)"""
        email, token = self.round.partners[number % len(self.round.partners)]
        sid, code = self.round.situations[number % SITUATIONS], self.round.codes[number % ITEMS]
        report = {
            "proposed_status": "in_progress",
            "narrative": f"Report {number}",
            "period_start": "2019-01-01",
            "period_end": "2019-01-31",
        }
        submitted = self.post(number, f"/situations/{sid}/items/{code}/updates", report, token)
        assert submitted.status_code == 201, submitted.text
        update_id = submitted.json()["id"]
        decision = {"decision": "return", "comment": f"Please add figures ({number})"}
        returned = self.post(
            number + 1, f"/updates/{update_id}/review", decision, self.round.admin_token
        )
        assert returned.status_code == 200, returned.text
        return email, update_id


@dataclass
class Backlog:
    """What is left: reminders not recorded, e-mails and webhook deliveries not done."""

    unrecorded: int
    emails: dict[EmailState, int]
    webhooks: dict[tuple[DeliveryState, str | None], int]  # by state and last error

    @property
    def drained(self) -> bool:
        return (
            self.unrecorded == 0
            and set(self.emails) <= {EmailState.SENT}
            and {state for state, _ in self.webhooks} <= {DeliveryState.DELIVERED}
        )


def backlog(sessions: sessionmaker[Session]) -> Backlog:
    with sessions() as session:
        unrecorded = session.scalar(
            select(func.count(Obligation.id)).where(
                Obligation.due_soon_sent_at.is_(None), Obligation.overdue_sent_at.is_(None)
            )
        )
        emails = session.execute(
            select(OutboundEmail.state, func.count()).group_by(OutboundEmail.state)
        )
        webhooks = session.execute(
            select(WebhookDelivery.state, WebhookDelivery.last_error, func.count()).group_by(
                WebhookDelivery.state, WebhookDelivery.last_error
            )
        )
        return Backlog(
            unrecorded or 0,
            {state: count for state, count in emails},  # noqa: C416 (rows, not pairs)
            {(state, error): count for state, error, count in webhooks},
        )


def sent_by(folder: Path) -> tuple[float, float]:
    """The e-mails and webhooks one process delivered, from its metrics' files."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    emails = registry.get_sample_value("crrf_notifications_sent_total", {"channel": "email"})
    hooks = registry.get_sample_value(
        "crrf_webhook_delivery_seconds_count", {"outcome": "delivered"}
    )
    return emails or 0.0, hooks or 0.0


def link_of(message: EmailMessage) -> tuple[str, str, str | None]:
    """The situation, item code and (for a returned report) update a message links to."""
    text, _ = text_and_html(message)
    found = LINK.search(text)
    assert found is not None, text
    return found.group(1), found.group(2), found.group(3)


def test_two_servers_and_two_workers_send_the_reminders_of_1000_obligations_once(
    seeded: Round, tmp_path: Path
) -> None:
    engine = make_engine(seeded.url, Settings(database_url=seeded.url, db_pool_size=2))
    sessions = sessionmaker(engine)
    metrics = [tmp_path / f"metrics-{n}" for n in range(4)]
    try:
        with smtp_sink() as sink, running_receiver() as receiver, ExitStack() as stack:
            env = {
                **sink.env(),
                "CRRF_WEBHOOK_ALLOW_PRIVATE": "true",
                "CRRF_WORKER_POLL_SECONDS": "0.5",
                "CRRF_LOG_LEVEL": "warning",
                "CRRF_DB_POOL_SIZE": "4",
                "CRRF_DB_MAX_OVERFLOW": "4",
            }
            for folder in metrics:
                folder.mkdir()
            servers = [
                stack.enter_context(
                    crrf_serve(seeded.url, {**env, "PROMETHEUS_MULTIPROC_DIR": str(folder)})
                )
                for folder in metrics[:2]
            ]
            workers = [
                stack.enter_context(
                    crrf_worker(seeded.url, {**env, "PROMETHEUS_MULTIPROC_DIR": str(folder)})
                )
                for folder in metrics[2:]
            ]
            drive = Drive(seeded, [server.url for server in servers], receiver.url)
            with ThreadPoolExecutor(8) as pool:
                opened = [pool.submit(drive.open_cycle, n) for n in range(SITUATIONS)]
                reports = [pool.submit(drive.report_and_return, n) for n in range(REPORTS)]
                for future in opened:
                    future.result()
                returned = [future.result() for future in reports]
            assert wait_for(lambda: backlog(sessions).drained, 120, every=0.5), backlog(sessions)
            stack.close()
            # Each stopped cleanly on SIGTERM (after its current pass).
            processes = [server.process for server in servers] + workers
            assert [process.returncode for process in processes] == [0, 0, 0, 0]
            received = sink.received()
            hooks = list(receiver.requests)
        check_the_reminders(sessions, seeded, received)
        check_the_returns(received, returned)
        check_the_webhooks(sessions, seeded.situations, hooks)
        # Every process delivered its share (what each counted adds up to what arrived).
        shares = [sent_by(folder) for folder in metrics]
        assert sum(emails for emails, _ in shares) == len(received)
        assert sum(webhooks for _, webhooks in shares) == len(hooks)
        assert all(emails > 0 for emails, _ in shares), shares
    finally:
        engine.dispose()


def check_the_reminders(
    sessions: sessionmaker[Session], seeded: Round, received: list[EmailMessage]
) -> None:
    with sessions() as session:
        obligations = session.execute(
            select(
                Obligation.situation_id, Obligation.item_code, Obligation.organisation_id
            ).add_columns(Obligation.id)
        ).all()
        events = session.execute(
            select(Event.situation_id, Event.action, Event.after).where(
                Event.action.in_([DUE_SOON, OVERDUE])
            )
        ).all()
        rows = session.execute(select(OutboundEmail.id, OutboundEmail.kind, OutboundEmail.state))
        emails = rows.all()
    assert len(obligations) == SITUATIONS * ITEMS * len(ROLES) == 1000
    # One reminder event per obligation: due soon, or overdue in the last situation.
    assert Counter(str(after["obligation_id"]) for _, _, after in events) == {
        str(o.id): 1 for o in obligations
    }
    overdue_in = seeded.situations[-1]
    assert all((action == OVERDUE) == (sid == overdue_in) for sid, action, _ in events)
    # Every row of the outbox is sent and arrived once (its Message-ID); nothing else did.
    assert {state for _, _, state in emails} == {EmailState.SENT}
    assert Counter(m["Message-ID"] for m in received) == {
        f"<{email_id}@example.org>": 1 for email_id, _, _ in emails
    }
    # Read from the mails alone: each obligation reached each partner of its organisation in
    # its situation once (NGO 0 has two in the first situation).
    expected = Counter(
        (email, str(sid), code)
        for sid, code, org, _ in obligations
        for email in seeded.recipients[(sid, org)]
    )
    reminders = [m for m in received if link_of(m)[2] is None]
    assert Counter((m["To"], *link_of(m)[:2]) for m in reminders) == expected
    assert len(reminders) == 1000 + ITEMS
    assert len(reminders) == sum(kind != EmailKind.UPDATE_RETURNED for _, kind, _ in emails)


def check_the_returns(received: list[EmailMessage], returned: list[tuple[str, str]]) -> None:
    """Each report returned mailed its partner once."""
    mails = [(m["To"], link_of(m)[2]) for m in received if link_of(m)[2] is not None]
    assert Counter(mails) == Counter(returned)
    assert len(set(returned)) == REPORTS


def check_the_webhooks(
    sessions: sessionmaker[Session], situations: list[uuid.UUID], hooks: list[Received]
) -> None:
    """Each delivery arrived once (its ``webhook-id``), every reminder event among them."""
    with sessions() as session:
        deliveries = session.execute(select(WebhookDelivery.webhook_id, WebhookDelivery.state))
        rows = deliveries.all()
        reminders = session.scalars(
            select(Event.id).where(
                Event.action.in_([DUE_SOON, OVERDUE]),
                Event.situation_id.in_(situations[:HOOKED]),
            )
        )
        reminder_ids = {f"msg_{event_id.hex}" for event_id in reminders}
    assert {state for _, state in rows} == {DeliveryState.DELIVERED}
    arrived = Counter(hook.headers["webhook-id"] for hook in hooks)
    assert arrived == {webhook_id: 1 for webhook_id, _ in rows}
    assert reminder_ids <= set(arrived) and len(reminder_ids) == HOOKED * ITEMS * len(ROLES)
