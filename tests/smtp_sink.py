"""A real SMTP server for the tests (aiosmtpd) on 127.0.0.1 and a free port, keeping what
it receives; it can answer the next messages with a refusal (e.g. ``451``), and take its
time over each (``delay``)."""

import asyncio
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.live import free_port

SENDER = "CRRF Case Manager <crrf@example.org>"


@dataclass
class SmtpSink:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # replies to the next DATA commands
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0  # seconds each message takes to be accepted (once received)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The settings of a process (``crrf serve``, ``crrf worker``) that mails here."""
        return {"CRRF_SMTP_URL": self.url, "CRRF_MAIL_FROM": SENDER}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def received(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received() if m["To"] == address]


@dataclass
class Logins:
    """An authenticator that accepts one user name and password, and notes who logged in."""

    username: str
    password: str
    seen: list[str] = field(default_factory=list)

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            if (login, password) == (self.username, self.password):
                self.seen.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@contextmanager
def smtp_sink(
    *,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    logins: Logins | None = None,
    delay: float = 0.0,
) -> Iterator[SmtpSink]:
    """Run an SMTP server until the block ends: plain, requiring STARTTLS, or TLS from the
    start (with the server's context), optionally requiring a login, and ``delay`` seconds
    late with each answer to DATA."""
    sink = SmtpSink(port=free_port(), delay=delay)
    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    if logins is not None:
        options.update(authenticator=logins, auth_required=True)
    controller = Controller(
        sink, hostname="127.0.0.1", port=sink.port, ssl_context=implicit_tls, **options
    )
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts of a message."""
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    text, markup = plain.get_content(), html.get_content()
    assert isinstance(text, str) and isinstance(markup, str)
    return text, markup
