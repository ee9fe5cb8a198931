"""Per-token rate limits: a token bucket per caller, in each process.

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
from starlette.types import ASGIApp, Receive, Scope, Send

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
        client = scope.get("client")
        return "a:" + (client[0] if client else "unknown")
