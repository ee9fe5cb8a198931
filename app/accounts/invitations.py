"""Invitation links: one-time, expiring, shown once; following one sets a password.

The link's token is random (256 bits) and kept only as its SHA-256 hash. A new invitation
replaces the user's unused ones, which is also how a forgotten password is handled.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import Session, aliased

from app.accounts import passwords, sessions
from app.auth.tokens import new_secret, with_user_by_hash
from app.core.base import utcnow
from app.core.errors import NotFound, Unprocessable, field_error
from app.core.vocab import SituationRole
from app.models import Invitation, Membership, User
from app.notify import service as notify

PATH = "/invitations/"
MAX_TOKEN_LENGTH = 128


class InvitationInvalid(NotFound):
    default_detail = (
        "This invitation link does not work: it may have expired or been used already. "
        "Ask whoever invited you for a new one."
    )


def url(base_url: str, token: str) -> str:
    """The link a person opens to set their password."""
    return f"{base_url.rstrip('/')}{PATH}{token}"


def coordinator_reach(
    session: Session, actor_id: uuid.UUID, target_id: uuid.UUID
) -> tuple[bool, bool]:
    """Whether ``target`` is a member of a situation ``actor`` coordinates, and whether
    ``target`` coordinates a situation that ``actor`` does not."""
    theirs, mine = aliased(Membership), aliased(Membership)
    coordinated = select(Membership.situation_id).where(
        Membership.user_id == actor_id, Membership.role == SituationRole.COORDINATOR
    )
    shared = exists().where(
        theirs.user_id == target_id,
        theirs.situation_id == mine.situation_id,
        and_(mine.user_id == actor_id, mine.role == SituationRole.COORDINATOR),
    )
    elsewhere = exists().where(
        theirs.user_id == target_id,
        theirs.role == SituationRole.COORDINATOR,
        theirs.situation_id.not_in(coordinated),
    )
    row = session.execute(select(shared, elsewhere)).one()
    return bool(row[0]), bool(row[1])


def issue(
    session: Session, user: User, *, lifetime: timedelta, by: uuid.UUID | None
) -> tuple[Invitation, str]:
    """Invite ``user``: their unused invitations stop working; the token is returned once.

    When mail is on, the link is also queued to be e-mailed to them (``app.notify``).
    """
    now = utcnow()
    session.execute(
        delete(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
    )
    token, token_hash = new_secret()
    invitation = Invitation(
        user_id=user.id,
        token_hash=token_hash,
        created_by_id=by,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(invitation)
    session.flush()
    notify.queue_invitation(session, user, invitation, f"{PATH}{token}")
    return invitation, token


def find_open(session: Session, token: str, now: datetime) -> tuple[Invitation, User]:
    """The unused, unexpired invitation with this token and its active user; else 404."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvitationInvalid()
    row = with_user_by_hash(session, Invitation, Invitation.token_hash, token)
    if row is None:
        raise InvitationInvalid()
    invitation, user = row
    if invitation.used_at is not None or invitation.expires_at <= now or not user.is_active:
        raise InvitationInvalid()
    return invitation, user


def accept(session: Session, token: str, password: str, *, min_length: int) -> User:
    """Set the invited user's password, use up the link, and end the user's sessions.

    The password is checked and hashed before anything is written; the link is used up by
    a conditional update, so of two requests racing with one link only one sets a password.
    """
    now = utcnow()
    invitation, user = find_open(session, token, now)
    problems = passwords.password_problems(password, min_length=min_length, email=user.email)
    if problems:
        raise Unprocessable(
            problems[0], errors=[field_error(("form", "password"), msg) for msg in problems]
        )
    hashed = passwords.hash_password(password)
    used = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if getattr(used, "rowcount", 0) != 1:
        raise InvitationInvalid()
    user.password_hash = hashed
    sessions.end_all(session, user.id)
    session.flush()
    return user
