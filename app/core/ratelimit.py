"""Rate limits, in each process: a token bucket per caller, and one per address for failures.

Callers are told apart by a hash of their bearer token (or, without one, by their
address), before any database work, so that a flood costs next to nothing. Limits are per
process: with N workers a caller may get up to N times the rate, which the generous
defaults allow for.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import TooManyRequests
from app.core.problems import app_error_response


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Allow ``per_minute`` requests a minute per key, with bursts of ``burst``."""

    def __init__(self, per_minute: int, burst: int, max_keys: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(burst, 1))
        self.max_keys = max_keys
        self.buckets: dict[str, _Bucket] = {}

    def take(self, key: str, now: float) -> float:
        """Spend one request; return 0 if allowed, else the seconds to wait."""
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self._forget_idle(now)
            bucket = self.buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def wait(self, key: str, now: float) -> float:
        """Return the seconds until ``key`` may spend a request (0: now), spending nothing."""
        bucket = self.buckets.get(key)
        if bucket is None:
            return 0.0
        tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.rate
        self.buckets = {k: b for k, b in self.buckets.items() if now - b.updated < full_after}


class RateLimitMiddleware:
    """Answer 429 with ``Retry-After`` when a caller exceeds its rate on the API."""

    def __init__(self, app: ASGIApp, per_minute: int, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute, burst) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is None or scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(self._caller(scope), time.monotonic())
        if wait > 0:
            retry_after = str(max(1, math.ceil(wait)))
            error = TooManyRequests(
                f"Too many requests for this token: retry in {retry_after} s.",
                headers={"Retry-After": retry_after},
            )
            await app_error_response(error, scope["path"])(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _caller(scope: Scope) -> str:
        authorization = Headers(scope=scope).get("authorization", "")
        if authorization:
            return "t:" + hashlib.sha256(authorization.encode("utf-8", "replace")).hexdigest()[:32]
        return "a:" + client_address(scope)


AUTH_FAILED = "auth_failed"
"""The request-state flag a page sets when the credential it was given did not sign anyone in."""


class AuthFailureLimitMiddleware:
    """Refuse, with 429 and ``Retry-After``, an address whose authentication keeps failing.

    Every answer 401, and every request a page flags ``request.state.auth_failed`` (a bad
    dashboard sign-in or session cookie), spends one of the address's ``burst`` failures,
    which come back at ``per_minute``: guessing is slowed to that rate, and while the address
    has none left each of its requests is refused before any work, whatever its token. So a
    new bad token each time no longer escapes the per-token limit. Health probes pass.
    """

    def __init__(self, app: ASGIApp, per_minute: int, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute, burst) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        buckets = self.buckets
        if buckets is None or scope["type"] != "http" or scope["path"] in _PROBES:
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        wait = buckets.wait(address, time.monotonic())
        if wait > 0:
            retry_after = str(max(1, math.ceil(wait)))
            error = TooManyRequests(
                f"Too many failed sign-ins from this address: retry in {retry_after} s.",
                headers={"Retry-After": retry_after},
            )
            await app_error_response(error, scope["path"])(scope, receive, send)
            return
        status = 0

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            if status == 401 or scope.get("state", {}).get(AUTH_FAILED):
                buckets.take(address, time.monotonic())


_PROBES = frozenset({"/healthz", "/readyz"})


def client_address(scope: Scope) -> str:
    """The client's address (behind a trusted proxy, the one it forwarded)."""
    client = scope.get("client")
    return client[0] if client else "unknown"
