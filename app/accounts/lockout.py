"""Failed sign-ins, slowed and then locked, per account and per client address.

The failures are rows in the database, so every process counts the same ones. Within the
window, each failure past half the limit makes the next attempt wait (1 s, 2 s, 4 s, …);
reaching the limit locks the key for the lock period. A locked or slowed attempt is refused
before any password is checked, and records nothing. Keys are hashed: the table holds
neither e-mail addresses nor client addresses. The account key is the e-mail address as
typed, whether or not a user has it, so a lock says nothing about which addresses exist.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import SignInFailure

ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True)
class Limit:
    """``failures`` within ``window`` lock a key for ``lock``."""

    failures: int
    window: timedelta
    lock: timedelta

    @property
    def slow_from(self) -> int:
        return max(1, math.ceil(self.failures / 2))


def limits(settings: Settings) -> dict[str, Limit]:
    """The limits of each scope, from the settings."""
    window = timedelta(minutes=settings.signin_window_minutes)
    lock = timedelta(minutes=settings.signin_lock_minutes)
    return {
        ACCOUNT: Limit(settings.signin_account_failures, window, lock),
        ADDRESS: Limit(settings.signin_address_failures, window, lock),
    }


def _key(scope: str, value: str) -> str:
    return hashlib.sha256(f"{scope}:{value.strip().casefold()}".encode()).hexdigest()


def blocked_until(times: list[datetime], limit: Limit) -> datetime | None:
    """Until when a key with these failure times (oldest first) may not try again."""
    until: datetime | None = None
    start = 0
    for end, moment in enumerate(times):
        while times[start] <= moment - limit.window:
            start += 1
        if end - start + 1 >= limit.failures:
            until = max(until or moment, moment + limit.lock)
    if times:
        last = times[-1]
        recent = sum(1 for t in times if t > last - limit.window)
        if recent >= limit.slow_from:
            delay = min(timedelta(seconds=2 ** (recent - limit.slow_from)), limit.lock)
            until = max(until or last, last + delay)
    return until


def retry_after(session: Session, keys: dict[str, str], settings: Settings, now: datetime) -> int:
    """Seconds before these keys (``{scope: value}``) may try to sign in again (0: now)."""
    wait = 0
    for scope, limit in limits(settings).items():
        times = list(
            session.scalars(
                select(SignInFailure.failed_at)
                .where(
                    SignInFailure.scope == scope,
                    SignInFailure.key_hash == _key(scope, keys[scope]),
                    SignInFailure.failed_at > now - limit.window - limit.lock,
                )
                .order_by(SignInFailure.failed_at)
            )
        )
        until = blocked_until(times, limit)
        if until is not None and until > now:
            wait = max(wait, math.ceil((until - now).total_seconds()))
    return wait


def record_failure(
    session: Session, keys: dict[str, str], settings: Settings, now: datetime
) -> None:
    """Count a failed sign-in against each key; forget failures too old to matter."""
    horizon = max(limit.window + limit.lock for limit in limits(settings).values())
    session.execute(delete(SignInFailure).where(SignInFailure.failed_at <= now - horizon))
    for scope, value in keys.items():
        session.add(SignInFailure(scope=scope, key_hash=_key(scope, value), failed_at=now))
    session.flush()


def clear(session: Session, scope: str, value: str) -> None:
    """Forget a key's failures (an account's, once its owner signs in)."""
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.scope == scope, SignInFailure.key_hash == _key(scope, value)
        )
    )
