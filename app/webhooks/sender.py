"""POST signed CloudEvents to receivers, each attempt bounded in time and in what is kept.

Each attempt resolves the URL's host again and connects to the addresses it checked (the
URL's host still names the site: in ``Host``, and for TLS in SNI and the certificate
check). The whole attempt, from the lookup to the end of the kept excerpt, must finish
within ``webhook_timeout_seconds``; connecting, within ``webhook_connect_timeout_seconds``.
Redirects are not followed, and only the first KiB of a response body is read.
"""

import asyncio
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import httpx
from standardwebhooks import Webhook

from app.config import Settings
from app.webhooks.targets import UNRESOLVED, Target, TargetRefused, resolve

EXCERPT_BYTES = 1024
USER_AGENT = "crrf-webhooks/1"
_CONTROLS = {chr(code) for code in range(32)} - {"\t", "\n", "\r"}


@dataclass(frozen=True)
class Attempt:
    """What one attempt sends, read from the database when it was leased."""

    delivery_id: uuid.UUID
    url: str
    secret: str
    webhook_id: str
    body: bytes
    lease: datetime


@dataclass(frozen=True)
class Outcome:
    """How an attempt went: ``reason`` is empty on a 2xx, else the kind of failure."""

    delivery_id: uuid.UUID
    lease: datetime
    status: int | None
    error: str | None
    excerpt: str | None
    seconds: float
    reason: str  # "", "status", "redirect", "timeout", "connection", "refused", "error"

    @property
    def ok(self) -> bool:
        return not self.reason


@cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings of every attempt, made once a process: loading the certificate
    authorities costs 20 ms, which each batch's clients would otherwise pay again."""
    return httpx.create_ssl_context()


async def send_all(
    attempts: list[Attempt], settings: Settings, *, concurrency: int
) -> list[Outcome]:
    """Make every attempt, ``concurrency`` at a time; one outcome each, in order.

    ``concurrency`` lanes take the attempts in turn, each over kept-alive connections of its
    own (one client per site and lane, so one connection each). One pool of ``concurrency``
    connections per site did the same work, but httpcore looks over every connection of a
    pool for every queued request (has it expired? a ``poll`` each): a third of a
    delivery's CPU (bench/fanout.py).
    """
    outcomes: list[Outcome | None] = [None] * len(attempts)
    waiting = iter(enumerate(attempts))

    async def lane() -> None:
        clients: dict[tuple[str, str, int], httpx.AsyncClient] = {}

        def client_for(target: Target) -> httpx.AsyncClient:
            # A kept-alive connection is reused only for the host whose name (SNI,
            # certificate) it was opened for.
            key = (target.scheme, target.host, target.port)
            if key not in clients:
                clients[key] = httpx.AsyncClient(
                    verify=tls_context(),
                    timeout=httpx.Timeout(
                        settings.webhook_timeout_seconds,
                        connect=settings.webhook_connect_timeout_seconds,
                    ),
                    follow_redirects=False,
                    trust_env=False,
                    limits=httpx.Limits(max_connections=1),
                )
            return clients[key]

        try:
            for index, attempt in waiting:  # one iterator: the lanes share the attempts
                outcomes[index] = await attempt_delivery(attempt, settings, client_for)
        finally:
            await asyncio.gather(*(client.aclose() for client in clients.values()))

    await asyncio.gather(*(lane() for _ in range(min(concurrency, len(attempts)))))
    return [outcome for outcome in outcomes if outcome is not None]


async def attempt_delivery(
    attempt: Attempt, settings: Settings, client_for: Callable[[Target], httpx.AsyncClient]
) -> Outcome:
    """POST one delivery and say how it went; never raises."""
    started = time.perf_counter()

    def outcome(
        reason: str, error: str | None, status: int | None = None, excerpt: str | None = None
    ) -> Outcome:
        return Outcome(
            attempt.delivery_id,
            attempt.lease,
            status,
            error[:500] if error else None,
            excerpt,
            time.perf_counter() - started,
            reason,
        )

    limit = settings.webhook_timeout_seconds
    try:
        async with asyncio.timeout(limit):
            target = await asyncio.to_thread(
                resolve, attempt.url, allow_private=settings.webhook_allow_private
            )
            status, excerpt = await _post(client_for(target), target, attempt)
    except TargetRefused as refused:
        return outcome("refused", f"Not sent: {refused}")
    except (TimeoutError, httpx.TimeoutException):
        return outcome("timeout", f"No complete answer within {limit:g} s.")
    except httpx.HTTPError as exc:
        return outcome("connection", f"Could not deliver: {type(exc).__name__}: {exc}")
    except Exception as exc:  # one odd receiver must not stop the batch
        return outcome("error", f"Could not deliver: {type(exc).__name__}")
    if 200 <= status < 300:
        return outcome("", None, status, excerpt)
    if 300 <= status < 400:
        return outcome("redirect", f"HTTP {status}: a redirect, not followed.", status, excerpt)
    return outcome("status", f"HTTP {status}.", status, excerpt)


async def _post(
    client: httpx.AsyncClient, target: Target, attempt: Attempt
) -> tuple[int, str | None]:
    # The receiver checks the timestamp against its own clock: always the real time here,
    # never a clock that a test or the demo moved.
    sent_at = datetime.now(UTC)
    url = httpx.URL(attempt.url)
    headers = {
        "Host": url.netloc.decode("ascii"),
        "Content-Type": "application/cloudevents+json",
        "User-Agent": USER_AGENT,
        "webhook-id": attempt.webhook_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(attempt.secret).sign(
            attempt.webhook_id, sent_at, attempt.body
        ),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else None
    for index, address in enumerate(target.addresses):
        request = client.build_request(
            "POST",
            url.copy_with(host=address),
            content=attempt.body,
            headers=headers,
            extensions=extensions,
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.ConnectError:
            if index == len(target.addresses) - 1:
                raise
            continue  # as a client would: the host's next address
        try:
            return response.status_code, await _excerpt(response)
        finally:
            await response.aclose()
    raise TargetRefused(UNRESOLVED)


async def _excerpt(response: httpx.Response) -> str | None:
    """The body's first KiB (the rest is never read), as text any database stores."""
    kept = bytearray()
    async for chunk in response.aiter_bytes():
        kept += chunk
        if len(kept) >= EXCERPT_BYTES:
            break
    text = bytes(kept[:EXCERPT_BYTES]).decode("utf-8", errors="replace")
    # Controls (NUL too) replaced: PostgreSQL stores no NUL in text.
    return "".join("\ufffd" if char in _CONTROLS else char for char in text) or None
