"""Whether mail is on, and where it goes, as the sessions of a process carry it.

Mail is on when ``CRRF_SMTP_URL`` is set. A process's session factories put a
``MailConfig`` in ``Session.info`` (``session_info``), so that code deep inside a
transaction (``app.events.service.record``, ``app.accounts.invitations.issue``) queues
messages without settings threaded through every call. A session without one (the demo
loader, the tests' factories) queues nothing.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy.orm import Session

from app.config import Settings

INFO_KEY = "crrf_mail"
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


@dataclass(frozen=True)
class SmtpTarget:
    """An SMTP server, read from ``smtp://user:password@host:port?starttls=true``."""

    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None = field(repr=False)
    timeout: float

    @classmethod
    def from_url(cls, url: str, timeout: float) -> "SmtpTarget":
        """Parse an ``smtp://`` or ``smtps://`` URL; raise ValueError on anything else."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("CRRF_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
        query = parse_qs(parts.query)
        unknown = set(query) - {"starttls"}
        if unknown:
            raise ValueError(f"CRRF_SMTP_URL: unknown option {sorted(unknown)[0]!r}")
        starttls_value = query.get("starttls", ["false"])[-1].lower()
        if starttls_value not in _TRUE + _FALSE:
            raise ValueError("CRRF_SMTP_URL: starttls must be true or false")
        implicit_tls = parts.scheme == "smtps"
        starttls = starttls_value in _TRUE
        if implicit_tls and starttls:
            raise ValueError("CRRF_SMTP_URL: smtps:// is TLS already; starttls is for smtp://")
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit_tls else 25),
            implicit_tls=implicit_tls,
            starttls=starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout,
        )


@dataclass(frozen=True)
class MailConfig:
    """What queuing and sending need: the sender, links' base, the server, the digest hour,
    and how long a worker's claim on the messages it sends lasts."""

    sender: str
    base_url: str
    smtp: SmtpTarget
    digest_hour: int
    lease: timedelta


def from_settings(settings: Settings) -> MailConfig | None:
    """The mail configuration of ``settings``, or None when mail is off."""
    if settings.smtp_url is None or not settings.mail_from:
        return None
    return MailConfig(
        sender=settings.mail_from,
        base_url=settings.base_url(),
        smtp=SmtpTarget.from_url(settings.smtp_url.get_secret_value(), settings.smtp_timeout),
        digest_hour=settings.digest_hour,
        lease=timedelta(seconds=settings.mail_lease_seconds),
    )


def session_info(settings: Settings) -> dict[str, Any]:
    """``Session.info`` for the sessions of a process with ``settings``."""
    config = from_settings(settings)
    return {INFO_KEY: config} if config is not None else {}


def mail_config(session: Session) -> MailConfig | None:
    """The mail configuration ``session`` carries; None: mail is off for it."""
    config = session.info.get(INFO_KEY)
    return config if isinstance(config, MailConfig) else None
