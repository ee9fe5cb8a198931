"""The worker's task that sends due e-mails over SMTP, each once as far as SMTP allows.

A batch is claimed (leased) and committed first; each message is then sent and marked
sent right after the server accepted it, in a transaction of its own. A worker killed in
between leaves its lease to run out, and the message is sent again: the one duplicate
SMTP cannot rule out, which the message's stable ``Message-ID`` lets mail clients fold.

One connection serves a run's batches. A refusal of one message (4xx: later, with
backoff; 5xx: given up) leaves it in use; a connection that cannot be made or breaks ends
the run, and the batch's messages are retried later.
"""

import logging
import smtplib
import socket
import ssl
from datetime import datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr

from app.core.base import utcnow
from app.notify import outbox
from app.notify.config import MailConfig, SmtpTarget, mail_config
from app.notify.outbox import Claimed, SessionFactory
from app.ops import metrics

log = logging.getLogger("crrf.mail")

BATCH = 20
BATCHES_PER_RUN = 10  # then the worker's loop comes back at once: a stop is heard soon
CHANNEL = "email"
# Refusals of one message; any other SMTP error is the connection's.
_MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def connect(target: SmtpTarget) -> smtplib.SMTP:
    """Open an SMTP session: TLS from the start, or upgraded with STARTTLS, then log in."""
    hostname = socket.gethostname()  # never a DNS lookup (smtplib's default does one)
    # The system's trusted certificates (or SSL_CERT_FILE's); loading them takes a while,
    # so only when TLS is used.
    context = ssl.create_default_context() if target.implicit_tls or target.starttls else None
    connection: smtplib.SMTP
    if target.implicit_tls:
        connection = smtplib.SMTP_SSL(
            target.host,
            target.port,
            local_hostname=hostname,
            timeout=target.timeout,
            context=context,
        )
    else:
        connection = smtplib.SMTP(
            target.host, target.port, local_hostname=hostname, timeout=target.timeout
        )
    try:
        if target.starttls:
            connection.starttls(context=context)
        if target.username:
            connection.login(target.username, target.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def build(message: Claimed, sender: str) -> MIMEMultipart:
    """The MIME message: plain text with an HTML alternative, in the recipient's language.

    Built with the ``email.mime`` classes: the newer ``EmailMessage`` parses every header it
    is given, which cost more than sending the message.
    """
    email = MIMEMultipart("alternative")
    name, address = parseaddr(sender)
    email["From"] = formataddr((name, address), charset="utf-8")
    email["To"] = message.to_address
    subject = message.subject
    email["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    email["Date"] = format_datetime(utcnow())
    domain = address.rpartition("@")[2] or "localhost"
    # The same on every attempt, so that a copy sent twice can be recognised.
    email["Message-ID"] = f"<{message.id}@{domain}>"
    email["Content-Language"] = message.language
    email["Auto-Submitted"] = "auto-generated"
    email.attach(MIMEText(message.text_body, "plain", "utf-8"))
    email.attach(MIMEText(message.html_body, "html", "utf-8"))
    return email


class _Session:
    """One SMTP connection for a run, opened when first needed and closed at the end."""

    def __init__(self, target: SmtpTarget) -> None:
        self.target = target
        self.connection: smtplib.SMTP | None = None

    def send(self, email: MIMEMultipart) -> None:
        if self.connection is None:
            self.connection = connect(self.target)
        self.connection.send_message(email)

    def close(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (OSError, smtplib.SMTPException):
            self.connection.close()
        self.connection = None


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _refusal(exc: smtplib.SMTPException) -> tuple[int, str]:
    """The SMTP code and reply of a refused message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (550, b"refused"))
        return code, _text(reply)
    assert isinstance(exc, smtplib.SMTPResponseException)
    return exc.smtp_code, _text(exc.smtp_error)


def _failed(
    session_factory: SessionFactory, message: Claimed, error: str, now: datetime, *, permanent: bool
) -> None:
    gave_up = outbox.mark_failed(session_factory, message, error, now, permanent=permanent)
    metrics.NOTIFICATION_FAILURES.labels(CHANNEL, "gave_up" if gave_up else "retry").inc()
    log.warning(
        "e-mail not sent: %s (%s)",
        error,
        "given up" if gave_up else "will retry",
        extra={"email_id": str(message.id), "attempts": message.attempts},
    )


def _deliver(
    session_factory: SessionFactory,
    config: MailConfig,
    smtp: _Session,
    batch: list[Claimed],
    now: datetime,
) -> tuple[int, bool]:
    """Send a claimed batch; return how many were sent, and whether the connection failed."""
    sent = 0
    for position, message in enumerate(batch):
        try:
            smtp.send(build(message, config.sender))
        except _MESSAGE_REFUSED as exc:
            code, reply = _refusal(exc)
            _failed(session_factory, message, f"{code} {reply}", now, permanent=code >= 500)
            continue
        except (OSError, smtplib.SMTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
            for left in batch[position:]:
                _failed(session_factory, left, error, now, permanent=False)
            return sent, True
        at = utcnow()
        outbox.mark_sent(session_factory, message, at)
        metrics.NOTIFICATIONS_SENT.labels(CHANNEL).inc()
        metrics.DELIVERY_LATENCY.labels(CHANNEL).observe(
            max((at - message.created_at).total_seconds(), 0.0)
        )
        sent += 1
    return sent, False


def send_due_emails(session_factory: SessionFactory, now: datetime) -> int:
    """Send e-mails due at ``now``, batch by batch; return how many the server accepted.

    At most ``BATCHES_PER_RUN`` batches a call; the worker calls again while it finds work.
    """
    with session_factory() as session:
        config = mail_config(session)
    if config is None:
        return 0
    sent = 0
    smtp = _Session(config.smtp)
    try:
        for _ in range(BATCHES_PER_RUN):
            # The lease (CRRF_MAIL_LEASE_SECONDS) outlasts a batch: BATCH messages, each
            # within the SMTP timeout.
            batch = outbox.claim(session_factory, now, limit=BATCH, lease=config.lease)
            if not batch:
                break
            delivered, broken = _deliver(session_factory, config, smtp, batch, now)
            sent += delivered
            if broken or len(batch) < BATCH:
                break
    finally:
        smtp.close()
    return sent
