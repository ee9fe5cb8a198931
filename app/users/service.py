"""Create users, issue and revoke their tokens."""

import uuid
from datetime import timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from app.accounts import sessions
from app.auth.policies import may_change_user
from app.auth.tokens import display_prefix, hash_token, new_token
from app.core.base import utcnow
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable, field_error
from app.models import ApiToken, Membership, Organisation, Situation, User
from app.users.schemas import UserCreate, UserUpdate


def get(session: Session, user_id: uuid.UUID) -> User:
    """Load a user with their organisation, or raise NotFound."""
    user = session.scalar(
        select(User).options(selectinload(User.organisation)).where(User.id == user_id)
    )
    if user is None:
        raise NotFound("No such user.")
    return user


def get_by_email(session: Session, email: str) -> User | None:
    """Find a user by e-mail address (stored lower-case)."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def _check_organisation(session: Session, organisation_id: uuid.UUID | None) -> None:
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise Unprocessable(
            "The organisation does not exist.",
            errors=[field_error(("body", "organisation_id"), "unknown organisation")],
        )


def create(session: Session, data: UserCreate) -> User:
    """Create a user; e-mail addresses are unique."""
    if get_by_email(session, data.email) is not None:
        raise Conflict("A user with this e-mail address exists already.")
    _check_organisation(session, data.organisation_id)
    user = User(**data.model_dump())
    session.add(user)
    session.flush()
    return get(session, user.id)


def update(session: Session, user: User, data: UserUpdate, *, by: User) -> User:
    """Apply the fields given in ``data``, as ``by`` may (admins: any; a user: their own
    language and e-mail choices); deactivating a user ends their dashboard sessions."""
    changes = data.changes()
    if not may_change_user(by, user.id, set(changes)):
        raise Forbidden(
            "Only admins change accounts; you may change your own language and email_opt_out."
        )
    if "email_opt_out" in changes:
        changes["email_opt_out"] = [kind.value for kind in data.email_opt_out or []]
    if "organisation_id" in changes:
        _check_organisation(session, changes["organisation_id"])
    for field, value in changes.items():
        setattr(user, field, value)
    if changes.get("is_active") is False:
        sessions.end_all(session, user.id)
    session.flush()
    session.expire(user, ["organisation"])
    return get(session, user.id)


def search(organisation_id: uuid.UUID | None, email: str | None) -> Select[User]:
    """Build the query of users matching the filters."""
    stmt = select(User).options(selectinload(User.organisation))
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    if email is not None:
        stmt = stmt.where(User.email == email.lower())
    return stmt


def memberships(session: Session, user_id: uuid.UUID) -> list[tuple[uuid.UUID, str, str]]:
    """The situations a user is a member of, with their role, by situation name."""
    rows = session.execute(
        select(Situation.id, Situation.name, Membership.role)
        .join(Membership, Membership.situation_id == Situation.id)
        .where(Membership.user_id == user_id)
        .order_by(Situation.name, Situation.id)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def issue_token(
    session: Session, user: User, name: str = "api", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Issue a new token; the secret is returned once and only its hash is kept."""
    secret = new_token()
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=display_prefix(secret),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    return token, secret


def list_tokens(session: Session, user_id: uuid.UUID) -> list[ApiToken]:
    """A user's tokens, newest first, without their secrets."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def revoke_token(session: Session, user_id: uuid.UUID, token_id: uuid.UUID) -> ApiToken:
    """Revoke a token; revoking twice changes nothing."""
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
    )
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token
