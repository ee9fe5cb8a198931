"""The worker against a database of its own, with real commits, and a real SMTP server:
each message once, retries with backoff, leases that run out, two workers sharing a queue,
``crrf worker`` and the worker that ``crrf serve`` runs in-process."""

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.core.base import frozen_now, utcnow
from app.core.db import make_engine
from app.core.vocab import EmailState
from app.events.service import SYSTEM
from app.i18n import catalogs
from app.models import OutboundEmail, User
from app.notify import outbox
from app.notify.service import queue_daily_digests
from app.ops import metrics
from app.updates import service as updates_service
from app.worker import BackgroundWorker, run_once, worker_sessions
from tests.databases import fresh_database
from tests.factories import World, migrated_world, queue_emails
from tests.live import free_port, wait_for
from tests.smtp_sink import SmtpSink, smtp_sink

SENDER = "CRRF Case Manager <crrf@example.org>"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, World]]:
    """A world whose updates are all reviewed: no digest comes between these tests' messages."""
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        world = migrated_world(url)
        engine = make_engine(url, Settings(database_url=url))
        try:
            with Session(engine) as session, session.begin():
                for update in world.updates.values():
                    updates_service.review(session, update.id, "accept", None, SYSTEM)
        finally:
            engine.dispose()
        yield url, world


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        yield sink


def mail_settings(url: str, smtp_url: str) -> Settings:
    return Settings(
        database_url=url, smtp_url=SecretStr(smtp_url), mail_from=SENDER, db_pool_size=2
    )


@pytest.fixture
def worker(
    database: tuple[str, World], sink: SmtpSink
) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """The worker's engine and sessions on the module's database; the outbox emptied first."""
    catalogs.load()
    engine, sessions = worker_sessions(mail_settings(database[0], sink.url))
    with sessions() as session, session.begin():
        session.execute(delete(OutboundEmail))
    yield engine, sessions
    engine.dispose()


def queue(
    sessions: sessionmaker[Session], world: World, count: int, who: str = "partner_a"
) -> None:
    """Queue ``count`` messages to ``who`` and commit."""
    with sessions() as session, session.begin():
        user = session.get(User, world.users[who].id)
        assert user is not None
        queue_emails(session, user, count)


def rows(sessions: sessionmaker[Session]) -> list[OutboundEmail]:
    with sessions() as session:
        return list(session.scalars(select(OutboundEmail).order_by(OutboundEmail.subject)))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestOnce:
    def test_running_the_worker_again_sends_nothing_twice(
        self,
        worker: tuple[Engine, sessionmaker[Session]],
        database: tuple[str, World],
        sink: SmtpSink,
    ) -> None:
        _, sessions = worker
        queue(sessions, database[1], 3)
        sent_before = sample("crrf_notifications_sent_total", channel="email")
        now = utcnow()
        assert run_once(sessions, now) == 3
        assert run_once(sessions, now) == 0
        assert run_once(sessions, now + timedelta(hours=3)) == 0
        assert sorted(m["Subject"] for m in sink.received()) == [
            "Message 0",
            "Message 1",
            "Message 2",
        ]
        assert {row.state for row in rows(sessions)} == {EmailState.SENT}
        assert sample("crrf_notifications_sent_total", channel="email") == sent_before + 3
        assert sample("crrf_notification_delivery_seconds_count", channel="email") >= 3

    def test_a_lease_that_ran_out_is_retried(
        self,
        worker: tuple[Engine, sessionmaker[Session]],
        database: tuple[str, World],
        sink: SmtpSink,
    ) -> None:
        _, sessions = worker
        queue(sessions, database[1], 1)
        lease = timedelta(seconds=mail_settings(database[0], sink.url).mail_lease_seconds)
        now = utcnow()
        # A worker claims the message, then is killed before it sends or marks anything.
        [claimed] = outbox.claim(sessions, now, limit=10, lease=lease)
        assert claimed.leased_until >= now + lease
        ran_out = claimed.leased_until
        assert run_once(sessions, ran_out - timedelta(seconds=1)) == 0  # still leased
        assert run_once(sessions, ran_out) == 1
        assert len(sink.received()) == 1
        [row] = rows(sessions)
        assert row.id == claimed.id and row.state is EmailState.SENT and row.attempts == 2

    def test_a_lease_runs_from_the_claim_not_from_the_start_of_the_pass(
        self, worker: tuple[Engine, sessionmaker[Session]], database: tuple[str, World]
    ) -> None:
        _, sessions = worker
        began = utcnow() - timedelta(minutes=20)
        with frozen_now(began - timedelta(minutes=1)):
            queue(sessions, database[1], 1)
        lease = timedelta(minutes=10)
        # A pass that began 20 minutes ago (slow batches before this one) claims the message:
        # it is held for the whole lease from now, not for a lease that ran out already.
        claiming = utcnow()
        [claimed] = outbox.claim(sessions, began, limit=10, lease=lease)
        assert claimed.leased_until >= claiming + lease
        assert outbox.claim(sessions, utcnow(), limit=10, lease=lease) == []  # still held

    def test_a_late_failure_does_not_undo_the_next_workers_claim(
        self,
        worker: tuple[Engine, sessionmaker[Session]],
        database: tuple[str, World],
        sink: SmtpSink,
    ) -> None:
        _, sessions = worker
        queue(sessions, database[1], 1)
        lease = timedelta(minutes=10)
        now = utcnow()
        [first] = outbox.claim(sessions, now, limit=10, lease=lease)
        # The first worker's lease ran out; another claims the message and is sending it
        # when the first one's attempt fails at last.
        later = first.leased_until
        [second] = outbox.claim(sessions, later, limit=10, lease=lease)
        outbox.mark_failed(sessions, first, "timed out", later, permanent=False)
        [row] = rows(sessions)
        assert (row.state, row.leased_until) == (EmailState.SENDING, second.leased_until)
        outbox.mark_sent(sessions, second, later)
        assert run_once(sessions, later + 2 * lease) == 0
        assert sink.received() == []


class TestRetries:
    def test_a_refusal_is_retried_later_with_backoff_then_succeeds(
        self,
        worker: tuple[Engine, sessionmaker[Session]],
        database: tuple[str, World],
        sink: SmtpSink,
    ) -> None:
        _, sessions = worker
        queue(sessions, database[1], 1)
        sink.refusals.extend(["451 4.3.0 Try again later", "451 4.3.0 Try again later"])
        retries = sample("crrf_notification_failures_total", channel="email", outcome="retry")
        now = utcnow()
        assert run_once(sessions, now) == 0
        [row] = rows(sessions)
        assert row.state is EmailState.PENDING and row.attempts == 1
        assert row.last_error is not None and row.last_error.startswith("451")
        assert row.next_attempt_at == now + timedelta(minutes=1)
        assert run_once(sessions, now + timedelta(seconds=59)) == 0  # not yet due
        assert run_once(sessions, now + timedelta(minutes=1)) == 0  # refused again
        [row] = rows(sessions)
        assert row.next_attempt_at == now + timedelta(minutes=1) + timedelta(minutes=2)
        assert run_once(sessions, now + timedelta(minutes=3)) == 1
        [message] = sink.received()
        assert message["Subject"] == "Message 0"
        [row] = rows(sessions)
        assert row.state is EmailState.SENT and row.attempts == 3 and row.last_error is None
        assert (
            sample("crrf_notification_failures_total", channel="email", outcome="retry")
            == retries + 2
        )

    def test_a_permanent_refusal_is_given_up(
        self,
        worker: tuple[Engine, sessionmaker[Session]],
        database: tuple[str, World],
        sink: SmtpSink,
    ) -> None:
        _, sessions = worker
        queue(sessions, database[1], 2)
        sink.refusals.append("550 5.1.1 No such mailbox")
        now = utcnow()
        assert run_once(sessions, now) == 1  # the next message still goes out
        states = {row.subject: (row.state, row.last_error) for row in rows(sessions)}
        assert states["Message 0"][0] is EmailState.FAILED
        assert (states["Message 0"][1] or "").startswith("550")
        assert states["Message 1"][0] is EmailState.SENT
        assert run_once(sessions, now + timedelta(days=1)) == 0

    def test_a_server_that_is_down_keeps_the_messages_for_later(
        self, database: tuple[str, World], sink: SmtpSink
    ) -> None:
        engine, sessions = worker_sessions(
            mail_settings(database[0], f"smtp://127.0.0.1:{free_port()}")
        )
        try:
            with sessions() as session, session.begin():
                session.execute(delete(OutboundEmail))
            queue(sessions, database[1], 3)
            now = utcnow()
            assert run_once(sessions, now) == 0
            assert {(row.state, row.attempts) for row in rows(sessions)} == {
                (EmailState.PENDING, 1)
            }
        finally:
            engine.dispose()
        # The server is back (the sink): the messages go when they are due.
        engine, back = worker_sessions(mail_settings(database[0], sink.url))
        try:
            assert run_once(back, now + timedelta(minutes=1)) == 3
        finally:
            engine.dispose()

    def test_after_the_last_attempt_it_gives_up(
        self,
        worker: tuple[Engine, sessionmaker[Session]],
        database: tuple[str, World],
        sink: SmtpSink,
    ) -> None:
        _, sessions = worker
        queue(sessions, database[1], 1)
        sink.refusals.extend(["421 4.7.0 Busy"] * outbox.MAX_ATTEMPTS)
        now = utcnow()
        for _ in range(outbox.MAX_ATTEMPTS):
            now += outbox.LAST_RETRY
            run_once(sessions, now)
        [row] = rows(sessions)
        assert (row.state, row.attempts) == (EmailState.FAILED, outbox.MAX_ATTEMPTS)
        assert sink.received() == []


def test_two_workers_drain_a_queue_sending_each_message_once(
    worker: tuple[Engine, sessionmaker[Session]], database: tuple[str, World], sink: SmtpSink
) -> None:
    """Two workers, each with its own engine (connections), drain 200 messages together."""
    _, sessions = worker
    queue(sessions, database[1], 200)
    barrier = threading.Barrier(2)
    sent: list[int] = []
    lock = threading.Lock()

    def drain() -> None:
        engine, own = worker_sessions(mail_settings(database[0], sink.url))
        try:
            barrier.wait()
            mine = 0
            while (done := run_once(own, utcnow())) > 0:
                mine += done
            with lock:
                sent.append(mine)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sum(sent) == 200 and all(sent), sent  # both took their share
    subjects = [m["Subject"] for m in sink.received()]
    assert len(subjects) == 200 and len(set(subjects)) == 200
    assert len({m["Message-ID"] for m in sink.received()}) == 200
    assert {row.state for row in rows(sessions)} == {EmailState.SENT}


def test_a_pass_with_no_digest_due_leaves_the_write_lock_to_others(
    database: tuple[str, World], sink: SmtpSink
) -> None:
    """On SQLite the digest task looks before it takes the write lock: a request holding it
    (here another connection) does not make the worker wait, nor the worker the request."""
    url, _ = database  # every update reviewed: no digest is due
    settings = mail_settings(url, sink.url).model_copy(update={"sqlite_busy_timeout_ms": 100})
    catalogs.load()
    engine, sessions = worker_sessions(settings)
    other = make_engine(url, settings)
    try:
        with other.connect().execution_options(crrf_sqlite_begin="IMMEDIATE") as holder:
            holder.begin()
            holder.exec_driver_sql("DELETE FROM outbound_email")  # a writer, mid-transaction
            assert queue_daily_digests(sessions, utcnow().replace(hour=12)) == 0
            holder.rollback()
    finally:
        other.dispose()
        engine.dispose()


def test_the_queue_depth_is_read_from_the_database(
    worker: tuple[Engine, sessionmaker[Session]], database: tuple[str, World]
) -> None:
    _, sessions = worker
    queue(sessions, database[1], 4)
    with sessions() as session:
        text = metrics.exposition(session)[0].decode()
    assert 'crrf_notification_queue_depth{channel="email"} 4.0' in text


def test_crrf_worker_once_sends_from_the_command_line(
    worker: tuple[Engine, sessionmaker[Session]], database: tuple[str, World], sink: SmtpSink
) -> None:
    _, sessions = worker
    queue(sessions, database[1], 2)
    env = {
        **os.environ,
        "CRRF_DATABASE_URL": database[0],
        "CRRF_SMTP_URL": sink.url,
        "CRRF_MAIL_FROM": SENDER,
    }
    done = subprocess.run(
        [str(BIN / "crrf"), "worker", "--once"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert len(sink.received()) == 2
    assert done.stdout.strip().splitlines()[-1] == "2"


def test_a_background_worker_sends_and_stops_cleanly(
    worker: tuple[Engine, sessionmaker[Session]], database: tuple[str, World], sink: SmtpSink
) -> None:
    _, sessions = worker
    settings = mail_settings(database[0], sink.url).model_copy(update={"worker_poll_seconds": 0.05})
    background = BackgroundWorker(settings)
    background.start()
    try:
        queue(sessions, database[1], 1)
        assert wait_for(lambda: len(sink.received()) == 1)
    finally:
        background.stop(timeout=10)
    assert background.thread is not None and not background.thread.is_alive()


@pytest.mark.slow
def test_crrf_serve_runs_a_worker_in_process(
    worker: tuple[Engine, sessionmaker[Session]], database: tuple[str, World], sink: SmtpSink
) -> None:
    """``crrf serve`` alone delivers mail; SIGTERM stops the server and its worker."""
    _, sessions = worker
    port = free_port()
    env = {
        **os.environ,
        "CRRF_DATABASE_URL": database[0],
        "CRRF_PORT": str(port),
        "CRRF_SMTP_URL": sink.url,
        "CRRF_MAIL_FROM": SENDER,
        "CRRF_WORKER_POLL_SECONDS": "0.1",
        "CRRF_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [str(BIN / "crrf"), "serve", "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        queue(sessions, database[1], 1)
        assert wait_for(lambda: len(sink.received()) == 1, 30)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, errors = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
    assert process.returncode == 0, errors.decode()
