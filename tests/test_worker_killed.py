"""A ``crrf worker`` killed with SIGKILL in the middle of a batch (issue 14 §4): the messages
it held go out from another worker once their lease (``CRRF_MAIL_LEASE_SECONDS``) has run
out. Real processes and a real SMTP server that takes its time, on SQLite and PostgreSQL."""

import os
import uuid
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.core.db import make_engine
from app.core.vocab import EmailState
from app.models import OutboundEmail, User
from tests.databases import fresh_database
from tests.factories import migrated_world, queue_emails
from tests.live import crrf_worker, wait_for
from tests.smtp_sink import smtp_sink

pytestmark = pytest.mark.slow

MESSAGES = 30  # a batch of 20 for the first worker, the other 10 for the second
DELAY = 0.5  # seconds the sink takes over each message: the first batch takes 10 s
LEASE = 12  # seconds: longer than the first batch takes


def sent(sessions: sessionmaker[Session]) -> dict[uuid.UUID, datetime]:
    """The messages sent, and when."""
    with sessions() as session:
        rows = session.execute(
            select(OutboundEmail.id, OutboundEmail.sent_at).where(
                OutboundEmail.state == EmailState.SENT
            )
        ).all()
    return {row_id: at for row_id, at in rows if at is not None}


def leases(sessions: sessionmaker[Session]) -> dict[uuid.UUID, datetime]:
    """The messages being sent, and until when they are leased."""
    with sessions() as session:
        rows = session.execute(
            select(OutboundEmail.id, OutboundEmail.leased_until).where(
                OutboundEmail.state == EmailState.SENDING
            )
        ).all()
    return {row_id: until for row_id, until in rows if until is not None}


def test_a_worker_killed_mid_batch_leaves_its_messages_to_another(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """SIGKILL while sending: what it held is sent by another worker, running all along, once
    the lease has run out; at most the message in flight arrives twice (one Message-ID)."""
    with fresh_database(os.environ.get("CRRF_TEST_DATABASE_URL"), tmp_path_factory) as url:
        world = migrated_world(url)
        engine = make_engine(url, Settings(database_url=url, db_pool_size=2))
        sessions = sessionmaker(engine)
        try:
            with sessions() as session, session.begin():
                user = session.get(User, world.users["partner_a"].id)
                assert user is not None
                queue_emails(session, user, MESSAGES)
            with smtp_sink(delay=DELAY) as sink:
                env = {
                    **sink.env(),
                    "CRRF_MAIL_LEASE_SECONDS": str(LEASE),
                    "CRRF_WORKER_POLL_SECONDS": "0.1",
                    "CRRF_LOG_LEVEL": "warning",
                }
                with crrf_worker(url, env) as doomed:
                    assert wait_for(lambda: len(sink.received()) >= 1, 30)
                    # The doomed worker's batch (it runs alone): held, or sent already.
                    batch = set(leases(sessions)) | set(sent(sessions))
                    with crrf_worker(url, env):
                        # The other takes what was left and sends it; then the first dies.
                        assert wait_for(lambda: bool(set(sent(sessions)) - batch), 30)
                        doomed.kill()
                        doomed.wait()
                        held = {i: until for i, until in leases(sessions).items() if i in batch}
                        assert wait_for(lambda: len(sent(sessions)) == MESSAGES, 60)
                received = sink.received()
            with sessions() as session:
                rows = {row.id: row for row in session.scalars(select(OutboundEmail))}
        finally:
            engine.dispose()
    assert len(batch) == 20 and len(held) > 0, (batch, held)
    assert {row.state for row in rows.values()} == {EmailState.SENT}
    for message_id, leased_until in held.items():
        # Claimed again (a second attempt) and sent only once the killed worker's lease ran out.
        assert rows[message_id].attempts == 2
        assert (sent_at := rows[message_id].sent_at) is not None and sent_at >= leased_until
    # The other worker was sending its own while those were held, and left them alone.
    theirs = [row.sent_at for row in rows.values() if row.id not in batch and row.sent_at]
    assert min(theirs) < min(held.values())
    arrived = Counter(m["Message-ID"] for m in received)
    assert set(arrived) == {f"<{i}@example.org>" for i in rows}
    twice = {mid for mid, count in arrived.items() if count > 1}
    assert len(twice) <= 1 and twice <= {f"<{i}@example.org>" for i in held}, twice
