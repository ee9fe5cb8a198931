"""Scale-out: several processes on one database, each message sent once (issue 14 §4).

Two ``crrf serve`` processes (each with the worker it runs in-process) and two
``crrf worker`` processes share one PostgreSQL database and a real SMTP server (aiosmtpd).
While they run, an admin opens the reporting cycles of five situations through both servers
(1,000 obligations), and partners report through both servers while the admin returns their
reports. The cycles' due dates are set around today, so the reminders are due at once: no
clock moves, and nobody sleeps. The four workers race for the deadlines and the outbox; each
reminder and each "returned" message must reach each recipient exactly once.

Then a ``crrf worker`` killed with SIGKILL in the middle of a batch: the messages it held go
out from another worker once their lease (``CRRF_MAIL_LEASE_SECONDS``) has run out.
"""

import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.core.base import utcnow
from app.core.db import make_engine
from app.core.vocab import EmailKind, EmailState, OwnerRole, SituationRole
from app.cycles.deadlines import DUE_SOON, OVERDUE
from app.models import ChecklistItem, Event, Obligation, OutboundEmail, User
from app.ops import migrations
from app.templates.registry import cached_registry
from tests.databases import fresh_database, postgres_database
from tests.factories import (
    add_member,
    auth,
    make_organisation,
    make_situation,
    make_user,
    migrated_world,
    queue_emails,
    set_owners,
)
from tests.live import crrf_serve, crrf_worker
from tests.smtp_sink import SmtpSink, smtp_sink, text_and_html

SERVER_URL = os.environ.get("CRRF_TEST_DATABASE_URL")
ON_POSTGRES = bool(SERVER_URL) and make_url(SERVER_URL or "").get_backend_name() == "postgresql"
SENDER = "CRRF Case Manager <crrf@example.org>"

pytestmark = pytest.mark.slow

# Five situations x 40 items x 5 owning organisations (one per reporting role slot) = 1,000
# obligations. NGO 0 has two partners, the others one: 40 x 6 = 240 reminders a situation.
SITUATIONS = 5
ITEMS = 40
ROLES = (OwnerRole.LEAD, OwnerRole.SUPPORT, OwnerRole.SUPPORT, OwnerRole.FUNDING)
ROLES += (OwnerRole.IMPLEMENTING,)
REPORTS = 60  # reports sent (and returned) while the workers run
LINK = re.compile(r"/situations/([0-9a-f-]{36})/items/([^\s?#]+)(?:\?resubmit=([0-9a-f-]{36}))?")


@dataclass
class Round:
    """What the seeding made: the database, its situations and people."""

    url: str
    situations: list[uuid.UUID]
    codes: list[str]  # the items owned, the same in each situation
    partners: list[tuple[uuid.UUID, str, uuid.UUID, str]]  # id, e-mail, organisation, token
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
            partners = [
                make_user(db, org, name=f"partner-{n}") for n, org in enumerate([orgs[0], *orgs])
            ]
            situations, codes = [], []
            for _ in range(SITUATIONS):
                situation = make_situation(db, registry, reminder_days_before=3)
                for user, _ in partners:
                    add_member(db, situation, user, SituationRole.PARTNER)
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
                partners=[
                    (user.id, user.email, org_id, token)
                    for (user, token), org_id in zip(
                        partners, [o.id for o in [orgs[0], *orgs]], strict=True
                    )
                ],
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


def mail_env(sink: SmtpSink, **extra: str) -> dict[str, str]:
    return {
        "CRRF_SMTP_URL": sink.url,
        "CRRF_MAIL_FROM": SENDER,
        "CRRF_WORKER_POLL_SECONDS": "0.2",
        "CRRF_LOG_LEVEL": "warning",
        "CRRF_DB_POOL_SIZE": "4",
        "CRRF_DB_MAX_OVERFLOW": "4",
        **extra,
    }


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` (real processes work in real time) for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def cycle_dates(number: int, today: date) -> dict[str, str]:
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
    """The writes sent through the two servers while the workers run."""

    def __init__(self, round_: Round, servers: list[str]) -> None:
        self.round = round_
        self.servers = servers
        self.today = utcnow().date()

    def open_cycle(self, number: int) -> None:
        response = httpx.post(
            f"{self.servers[number % 2]}/api/v1/situations/{self.round.situations[number]}/cycles",
            json=cycle_dates(number, self.today),
            headers=auth(self.round.admin_token),
            timeout=60,
        )
        assert response.status_code == 201, response.text

    def report_and_return(self, number: int) -> tuple[str, str]:
        """A partner reports (for 2019: outside every cycle, so no obligation is fulfilled)
        through one server; the admin returns it through the other. (e-mail, update id)"""
        _, email, _, token = self.round.partners[number % len(self.round.partners)]
        sid = self.round.situations[number % SITUATIONS]
        code = self.round.codes[number % ITEMS]
        submitted = httpx.post(
            f"{self.servers[number % 2]}/api/v1/situations/{sid}/items/{code}/updates",
            json={
                "proposed_status": "in_progress",
                "narrative": f"Report {number}",
                "period_start": "2019-01-01",
                "period_end": "2019-01-31",
            },
            headers={**auth(token), "Idempotency-Key": f"report-{number}"},
            timeout=60,
        )
        assert submitted.status_code == 201, submitted.text
        update_id = submitted.json()["id"]
        returned = httpx.post(
            f"{self.servers[(number + 1) % 2]}/api/v1/updates/{update_id}/review",
            json={"decision": "return", "comment": f"Please add figures ({number})"},
            headers=auth(self.round.admin_token),
            timeout=60,
        )
        assert returned.status_code == 200, returned.text
        return email, update_id


def drained(sessions: sessionmaker[Session]) -> bool:
    """Every obligation has its reminder recorded, and no e-mail waits or is being sent."""
    with sessions() as session:
        unmarked = session.scalar(
            select(func.count(Obligation.id)).where(
                Obligation.due_soon_sent_at.is_(None), Obligation.overdue_sent_at.is_(None)
            )
        )
        waiting = session.scalar(
            select(func.count(OutboundEmail.id)).where(
                OutboundEmail.state.in_([EmailState.PENDING, EmailState.SENDING])
            )
        )
        return unmarked == 0 and waiting == 0


def link_of(message: EmailMessage) -> tuple[str, str, str | None]:
    """The situation, item code and (for a returned report) update a message links to."""
    text, _ = text_and_html(message)
    found = LINK.search(text)
    assert found is not None, text
    return found.group(1), found.group(2), found.group(3)


def test_two_servers_and_two_workers_send_the_reminders_of_1000_obligations_once(
    seeded: Round,
) -> None:
    engine = make_engine(seeded.url, Settings(database_url=seeded.url, db_pool_size=2))
    sessions = sessionmaker(engine)
    try:
        with smtp_sink() as sink:
            with ExitStack() as stack:
                env = mail_env(sink)
                servers = [stack.enter_context(crrf_serve(seeded.url, env)) for _ in range(2)]
                workers = [stack.enter_context(crrf_worker(seeded.url, env)) for _ in range(2)]
                drive = Drive(seeded, [server.url for server in servers])
                with ThreadPoolExecutor(8) as pool:
                    opened = [pool.submit(drive.open_cycle, n) for n in range(SITUATIONS)]
                    reports = [pool.submit(drive.report_and_return, n) for n in range(REPORTS)]
                    for future in opened:
                        future.result()
                    returned = [future.result() for future in reports]
                assert wait_for(lambda: drained(sessions), 90), "the queue was not drained"
                processes = [server.process for server in servers] + workers
            # Each stopped cleanly on SIGTERM (after its current pass).
            assert [process.returncode for process in processes] == [0, 0, 0, 0]
            received = sink.received()
        check_the_reminders(sessions, seeded, received)
        check_the_returns(received, returned)
    finally:
        engine.dispose()


def check_the_reminders(
    sessions: sessionmaker[Session], seeded: Round, received: list[EmailMessage]
) -> None:
    with sessions() as session:
        obligations = session.execute(
            select(
                Obligation.id,
                Obligation.situation_id,
                Obligation.item_code,
                Obligation.organisation_id,
            )
        ).all()
        events = session.execute(
            select(Event.situation_id, Event.action, Event.after).where(
                Event.action.in_([DUE_SOON, OVERDUE])
            )
        ).all()
        rows = session.execute(
            select(OutboundEmail.id, OutboundEmail.kind, OutboundEmail.state)
        ).all()
    assert len(obligations) == SITUATIONS * ITEMS * len(ROLES) == 1000
    # One reminder event per obligation: due soon, or overdue in the last situation.
    overdue_in = seeded.situations[-1]
    assert Counter(str(after["obligation_id"]) for _, _, after in events) == {
        str(o.id): 1 for o in obligations
    }
    assert all((action == OVERDUE) == (sid == overdue_in) for sid, action, _ in events)
    # Every row of the outbox is sent, and arrived once (its Message-ID), nothing else did.
    assert {state for _, _, state in rows} == {EmailState.SENT}
    assert Counter(m["Message-ID"] for m in received) == {
        f"<{i}@example.org>": 1 for i, _, _ in rows
    }
    # Read from the mails alone: each obligation reached each partner of its organisation once.
    members: dict[uuid.UUID, list[str]] = {}
    for _, email, org_id, _ in seeded.partners:
        members.setdefault(org_id, []).append(email)
    expected = Counter(
        (email, str(o.situation_id), o.item_code)
        for o in obligations
        for email in members[o.organisation_id]
    )
    reminders = [m for m in received if link_of(m)[2] is None]
    assert Counter((m["To"], *link_of(m)[:2]) for m in reminders) == expected
    assert len(reminders) == sum(1 for _, kind, _ in rows if kind != EmailKind.UPDATE_RETURNED)
    assert len(reminders) == 1200


def check_the_returns(received: list[EmailMessage], returned: list[tuple[str, str]]) -> None:
    """Each report returned mailed its partner once."""
    mails = [(m["To"], link_of(m)[2]) for m in received if link_of(m)[2] is not None]
    assert Counter(mails) == Counter(returned)
    assert len(set(returned)) == REPORTS


def test_a_worker_killed_mid_batch_leaves_its_messages_to_another(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """SIGKILL while sending: the batch it held is sent by another worker once the lease has
    run out; at most the message in flight arrives twice (with one Message-ID). On SQLite
    as on PostgreSQL."""
    with fresh_database(SERVER_URL, tmp_path_factory) as url:
        world = migrated_world(url)
        engine = make_engine(url, Settings(database_url=url, db_pool_size=2))
        sessions = sessionmaker(engine)
        try:
            with sessions() as session, session.begin():
                user = session.get(User, world.users["partner_a"].id)
                assert user is not None
                queue_emails(session, user, 30)
            # Each message takes 0.1 s to be accepted: a batch of 20 takes 2 s.
            with smtp_sink(delay=0.1) as sink:
                env = mail_env(sink, CRRF_MAIL_LEASE_SECONDS="3", CRRF_WORKER_POLL_SECONDS="0.1")
                with crrf_worker(url, env) as doomed:
                    assert wait_for(lambda: len(sink.received()) >= 3, 30)
                    doomed.kill()
                    doomed.wait()
                held = leases(sessions)
                assert 0 < len(held) <= 17, held  # the rest of its batch of 20
                with crrf_worker(url, env):
                    assert wait_for(lambda: not leases(sessions) and pending(sessions) == 0, 60)
                received = sink.received()
            with sessions() as session:
                rows = {row.id: row for row in session.scalars(select(OutboundEmail))}
        finally:
            engine.dispose()
    assert {row.state for row in rows.values()} == {EmailState.SENT}
    for message_id, leased_until in held.items():
        # Claimed again (a second attempt) and sent only after the killed worker's lease.
        assert rows[message_id].attempts == 2
        assert (sent_at := rows[message_id].sent_at) is not None and sent_at >= leased_until
    arrived = Counter(m["Message-ID"] for m in received)
    assert set(arrived) == {f"<{i}@example.org>" for i in rows}
    twice = [mid for mid, count in arrived.items() if count > 1]
    assert len(twice) <= 1 and all(mid.strip("<>").split("@")[0] in map(str, held) for mid in twice)


def leases(sessions: sessionmaker[Session]) -> dict[uuid.UUID, datetime]:
    """The messages being sent, and until when they are leased."""
    with sessions() as session:
        rows = session.execute(
            select(OutboundEmail.id, OutboundEmail.leased_until).where(
                OutboundEmail.state == EmailState.SENDING
            )
        ).all()
    return {row_id: until for row_id, until in rows if until is not None}


def pending(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        count = session.scalar(
            select(func.count(OutboundEmail.id)).where(OutboundEmail.state == EmailState.PENDING)
        )
    return count or 0
