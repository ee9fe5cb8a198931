"""Sign in with an e-mail address and a password; sign out."""

from datetime import timedelta

from sqlalchemy.orm import Session

from app.accounts import lockout, passwords, sessions
from app.config import Settings
from app.core.base import utcnow
from app.core.errors import TooManyRequests, Unauthorized
from app.models import User
from app.users import service as users

MAX_EMAIL_LENGTH = 254


class WrongCredentials(Unauthorized):
    default_detail = "That e-mail address and password do not match an account that can sign in."


class SignInLocked(TooManyRequests):
    default_detail = "Too many failed sign-ins: wait, then try again."

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, round(retry_after / 60))
        detail = (
            f"Too many failed sign-ins for this account or from this address. "
            f"Try again in {retry_after} s."
            if retry_after < 120
            else "Too many failed sign-ins for this account or from this address. "
            f"Try again in about {minutes} minutes."
        )
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


def session_lifetime(settings: Settings, *, persistent: bool) -> timedelta:
    """How long a new dashboard session lasts: "keep me signed in", or the default."""
    if persistent:
        return timedelta(days=settings.persistent_session_days)
    return timedelta(hours=settings.session_hours)


def sign_in(
    session: Session,
    settings: Settings,
    *,
    email: str,
    password: str,
    address: str,
    persistent: bool,
) -> tuple[User, str]:
    """Check the credentials and open a session; return the user and the new session id.

    Raises ``SignInLocked`` while the account or the address is slowed or locked, and
    ``WrongCredentials`` otherwise; the failure is flushed first, for the caller to commit.
    """
    now = utcnow()
    email = email.strip()[:MAX_EMAIL_LENGTH]
    keys = {lockout.ACCOUNT: email, lockout.ADDRESS: address}
    wait = lockout.retry_after(session, keys, settings, now)
    if wait:
        raise SignInLocked(wait)
    user = users.get_by_email(session, email) if email else None
    matches = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not matches or not user.is_active or user.password_hash is None:
        lockout.record_failure(session, keys, settings, now)
        raise WrongCredentials()
    lockout.clear(session, lockout.ACCOUNT, email)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    _, secret = sessions.start(
        session,
        user,
        persistent=persistent,
        lifetime=session_lifetime(settings, persistent=persistent),
    )
    return user, secret
