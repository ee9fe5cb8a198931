"""The outbox's rows: queued once each, claimed by one worker at a time, marked sent or failed.

Claiming takes due rows (pending and due, or sending with a lease that ran out: a killed
worker's messages) and leases them in a transaction of its own, committed before anything
is sent. On PostgreSQL the rows are locked with ``SKIP LOCKED``, so workers claim disjoint
rows; SQLite's writers take turns (``BEGIN IMMEDIATE``). A lease runs from the claim itself,
and a failure is recorded only by the worker that still holds the lease: one whose lease ran
out (and whose message another worker took) changes nothing.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.core.base import utcnow
from app.core.vocab import EmailKind, EmailState
from app.models import OutboundEmail, User
from app.notify.messages import Rendered

SessionFactory = Callable[[], Session]

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=2)
ERROR_LENGTH = 500
# Kinds whose bodies hold a secret (the invitation's link): emptied once the row is done.
SECRET_KINDS = frozenset({EmailKind.INVITATION})


def queue(
    session: Session,
    *,
    kind: EmailKind,
    user: User,
    language: str,
    message: Rendered,
    dedupe_key: str,
    now: datetime,
) -> bool:
    """Queue a message to ``user`` in the session's transaction, unless its key is queued."""
    values = {
        "id": uuid.uuid4(),
        "kind": kind,
        "recipient_user_id": user.id,
        "to_address": user.email,
        "language": language,
        "subject": message.subject[:300],
        "text_body": message.text,
        "html_body": message.html,
        "dedupe_key": dedupe_key,
        "state": EmailState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    result = session.execute(
        dialect.insert(OutboundEmail)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return getattr(result, "rowcount", 0) == 1


def drop_pending(session: Session, kind: EmailKind, user_id: uuid.UUID) -> None:
    """Forget the messages of ``kind`` to a user that no worker has taken yet."""
    session.execute(
        delete(OutboundEmail).where(
            OutboundEmail.kind == kind,
            OutboundEmail.recipient_user_id == user_id,
            OutboundEmail.state == EmailState.PENDING,
        )
    )


def is_queued(session: Session, dedupe_key: str) -> bool:
    """Whether a message with this key is in the outbox."""
    found = session.scalar(select(OutboundEmail.id).where(OutboundEmail.dedupe_key == dedupe_key))
    return found is not None


@dataclass(frozen=True)
class Claimed:
    """A leased message, detached from any session, ready to send."""

    id: uuid.UUID
    kind: EmailKind
    to_address: str
    language: str
    subject: str
    text_body: str
    html_body: str
    attempts: int
    created_at: datetime
    leased_until: datetime


def claim(
    session_factory: SessionFactory, now: datetime, *, limit: int, lease: timedelta
) -> list[Claimed]:
    """Lease up to ``limit`` messages due at ``now`` for ``lease``; count an attempt each.

    The lease runs from the claim: a worker's pass may have begun (its ``now``) minutes
    before it claims a later batch, and a lease counted from then could run out while the
    batch is sent, for another worker to send it again. (A ``now`` ahead of the clock is a
    test's moved clock: the lease runs from it.)
    """
    leased_until = max(now, utcnow()) + lease
    with session_factory() as session, session.begin():
        due = (
            select(OutboundEmail)
            .where(
                or_(
                    and_(
                        OutboundEmail.state == EmailState.PENDING,
                        OutboundEmail.next_attempt_at <= now,
                    ),
                    and_(
                        OutboundEmail.state == EmailState.SENDING,
                        OutboundEmail.leased_until <= now,
                    ),
                )
            )
            .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        rows = session.scalars(due).all()
        for row in rows:
            row.state = EmailState.SENDING
            row.leased_until = leased_until
            row.attempts += 1
        return [
            Claimed(
                id=row.id,
                kind=row.kind,
                to_address=row.to_address,
                language=row.language,
                subject=row.subject,
                text_body=row.text_body,
                html_body=row.html_body,
                attempts=row.attempts,
                created_at=row.created_at,
                leased_until=leased_until,
            )
            for row in rows
        ]


def _done(message: Claimed) -> dict[str, object]:
    values: dict[str, object] = {"leased_until": None}
    if message.kind in SECRET_KINDS:
        values.update(text_body="", html_body="")
    return values


def mark_sent(session_factory: SessionFactory, message: Claimed, at: datetime) -> None:
    """Record that the server accepted ``message``.

    One short transaction a message, so that a worker killed mid-batch resends at most the
    one in flight. On PostgreSQL it commits without waiting for the WAL to reach the disk
    (``synchronous_commit`` off for this transaction only): the wait was most of a
    message's time (bench/fanout.py: 107 e-mails/s, goal 200). A worker's crash loses
    nothing; only a crash of the database server itself within a fraction of a second
    could forget a mark, and that message would go again, with its ``Message-ID``.
    """
    with session_factory() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == message.id)
            .values(state=EmailState.SENT, sent_at=at, last_error=None, **_done(message))
        )


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4 … minutes, ≤ 2 h."""
    delay: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, LAST_RETRY)


def mark_failed(
    session_factory: SessionFactory,
    message: Claimed,
    error: str,
    now: datetime,
    *,
    permanent: bool,
) -> bool:
    """Record a failed attempt: retry later with backoff, or give up. True: given up.

    Only while the lease is still ``message``'s: once it ran out, another worker may have
    claimed the message (and be sending it, or have sent it), and nothing is changed.
    """
    give_up = permanent or message.attempts >= MAX_ATTEMPTS
    values: dict[str, object] = {"last_error": error[:ERROR_LENGTH]}
    if give_up:
        values.update(state=EmailState.FAILED, **_done(message))
    else:
        values.update(
            state=EmailState.PENDING,
            leased_until=None,
            next_attempt_at=now + backoff(message.attempts),
        )
    with session_factory() as session, session.begin():
        session.execute(
            update(OutboundEmail)
            .where(
                OutboundEmail.id == message.id,
                OutboundEmail.state == EmailState.SENDING,
                OutboundEmail.leased_until == message.leased_until,
            )
            .values(**values)
        )
    return give_up
