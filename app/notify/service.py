"""Which changes cause which e-mails, to whom: queued in the transaction of the change.

``on_event`` is called by ``app.events.service`` for every event recorded; invitations
and the daily digest queue theirs directly. Nothing is queued when mail is off (the
session carries no ``MailConfig``), to inactive users, or of a kind the user turned off.
Each message has a dedupe key, so it is queued once whatever repeats.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app import i18n
from app.core.base import utcnow
from app.core.db import SQLITE_BEGIN_OPTION
from app.core.vocab import EmailKind, SituationRole, UpdateState
from app.models import (
    ChecklistItem,
    Event,
    Invitation,
    Membership,
    Organisation,
    OutboundEmail,
    Situation,
    Update,
    User,
)
from app.notify import messages, outbox
from app.notify.config import MailConfig, mail_config
from app.notify.outbox import SessionFactory

OBLIGATION_KINDS = {
    "obligation.due_soon": EmailKind.OBLIGATION_DUE_SOON,
    "obligation.due_today": EmailKind.OBLIGATION_DUE_TODAY,
    "obligation.overdue": EmailKind.OBLIGATION_OVERDUE,
}
# Who of an organisation hears of its obligations in a situation.
REPORTING_ROLES = (SituationRole.PARTNER, SituationRole.COORDINATOR)


def _queue(
    session: Session,
    config: MailConfig,
    user: User,
    kind: EmailKind,
    dedupe_key: str,
    context: dict[str, Any],
) -> bool:
    """Render a ``kind`` message in ``user``'s language and queue it, unless they opted out."""
    if not user.is_active or kind.value in (user.email_opt_out or []):
        return False
    language = i18n.supported(user.language) or i18n.DEFAULT_LANGUAGE
    rendered = messages.render(
        kind, language, {**context, "user": user, "base_url": config.base_url}
    )
    return outbox.queue(
        session,
        kind=kind,
        user=user,
        language=language,
        message=rendered,
        dedupe_key=dedupe_key,
        now=utcnow(),
    )


def on_event(session: Session, event: Event) -> None:
    """Queue the e-mails ``event`` causes (none when mail is off)."""
    config = mail_config(session)
    if config is None:
        return
    if event.action == "update.returned":
        _update_returned(session, config, event)
    elif event.action in OBLIGATION_KINDS:
        _obligation(session, config, event, OBLIGATION_KINDS[event.action])


def _update_returned(session: Session, config: MailConfig, event: Event) -> None:
    update: Update | None = event.update
    if update is None or update.submitted_by_id is None:
        return
    submitter = session.get(User, update.submitted_by_id)
    situation = session.get(Situation, update.situation_id)
    item = session.get(ChecklistItem, update.item_id)
    if submitter is None or situation is None or item is None:
        return
    reviewer = session.get(User, event.actor_user_id) if event.actor_user_id else None
    link = (
        f"{config.base_url}/situations/{situation.id}/items/{item.code}?resubmit={update.id}#report"
    )
    _queue(
        session,
        config,
        submitter,
        EmailKind.UPDATE_RETURNED,
        # An update is returned once: one message per update and submitter.
        f"{EmailKind.UPDATE_RETURNED.value}:{update.id}:{submitter.id}",
        {
            "code": item.code,
            "title": item.title,
            "situation": situation.name,
            "comment": update.review_comment or "",
            "reviewer": reviewer.name if reviewer else None,
            "link": link,
        },
    )


def _obligation(session: Session, config: MailConfig, event: Event, kind: EmailKind) -> None:
    after = event.after or {}
    try:
        obligation_id = str(uuid.UUID(str(after["obligation_id"])))
        organisation_id = uuid.UUID(str(after["organisation_id"]))
        code = str(after["code"])
        due_date = date.fromisoformat(str(after["due_date"]))
    except (KeyError, ValueError):
        return  # not an obligation reminder this code knows how to read
    found = _reminder_rows(session, event.situation_id, organisation_id)
    if found is None:
        return
    situation, organisation, titles, recipients = found
    context = {
        "code": code,
        "title": titles.get(code, code),
        "situation": situation.name,
        "organisation": organisation.name,
        "due_date": due_date,
        "link": f"{config.base_url}/situations/{situation.id}/items/{code}",
    }
    for user in recipients:
        # Once per obligation and due date: a repeated event sends nothing more.
        key = f"{kind.value}:{obligation_id}:{due_date.isoformat()}:{user.id}"
        _queue(session, config, user, kind, key, context)


# session.info key: the rows a transaction's reminders share (``_reminder_rows``).
_REMINDER_ROWS = "notify.reminder_rows"
# A situation, its item titles by code, and its reporting members by organisation.
SituationRows = tuple[Situation, dict[str, str], dict[uuid.UUID, list[User]]]


def _reminder_rows(
    session: Session, situation_id: uuid.UUID, organisation_id: uuid.UUID
) -> tuple[Situation, Organisation, dict[str, str], list[User]] | None:
    """The situation, the organisation, the situation's item titles by code and the
    organisation's recipients there, loaded once per transaction and situation.

    A deadline pass records a hundred reminders, a few situations' worth (``run_deadlines``
    takes them situation by situation); loaded per event, these rows were two thirds of
    its time (the identity map holds rows weakly, so each event loaded them again), all
    of it inside the transaction that SQLite's other writers wait for. They are kept for
    the current transaction only.
    """
    transaction = session.get_transaction()
    kept = session.info.get(_REMINDER_ROWS)
    if kept is None or kept[0] is not transaction:
        kept = session.info[_REMINDER_ROWS] = (transaction, {}, {})
    situations: dict[uuid.UUID, SituationRows | None] = kept[1]
    organisations: dict[uuid.UUID, Organisation | None] = kept[2]
    if situation_id not in situations:
        situations[situation_id] = _situation_rows(session, situation_id)
    if organisation_id not in organisations:
        organisations[organisation_id] = session.get(Organisation, organisation_id)
    rows, organisation = situations[situation_id], organisations[organisation_id]
    if rows is None or organisation is None:
        return None
    situation, titles, members = rows
    return situation, organisation, titles, members.get(organisation_id, [])


def _situation_rows(session: Session, situation_id: uuid.UUID) -> SituationRows | None:
    situation = session.get(Situation, situation_id)
    if situation is None:
        return None
    titles = dict(
        session.execute(
            select(ChecklistItem.code, ChecklistItem.title).where(
                ChecklistItem.situation_id == situation_id
            )
        ).all()
    )
    members: dict[uuid.UUID, list[User]] = {}
    for user in session.scalars(
        select(User)
        .join(
            Membership,
            and_(Membership.user_id == User.id, Membership.situation_id == situation_id),
        )
        .where(User.is_active.is_(True), Membership.role.in_(REPORTING_ROLES))
        .order_by(User.id)
    ):
        if user.organisation_id is not None:
            members.setdefault(user.organisation_id, []).append(user)
    return situation, titles, members


def _invitation_key(invitation: Invitation) -> str:
    return f"{EmailKind.INVITATION.value}:{invitation.id}:{invitation.user_id}"


def queue_invitation(session: Session, user: User, invitation: Invitation, path: str) -> None:
    """Mail ``user`` the invitation's link (``path`` under the base URL), when mail is on.

    The user's earlier invitation mails that no worker has taken yet are dropped: their
    links stopped working when this invitation was made.
    """
    config = mail_config(session)
    if config is None:
        return
    outbox.drop_pending(session, EmailKind.INVITATION, user.id)
    inviter = session.get(User, invitation.created_by_id) if invitation.created_by_id else None
    _queue(
        session,
        config,
        user,
        EmailKind.INVITATION,
        _invitation_key(invitation),
        {
            "link": f"{config.base_url}{path}",
            "expires_at": invitation.expires_at,
            "inviter": inviter.name if inviter else None,
        },
    )


def invitation_emailed(session: Session, invitation: Invitation) -> bool | None:
    """Whether the invitation's link was queued to be e-mailed; None when mail is off."""
    if mail_config(session) is None:
        return None
    return outbox.is_queued(session, _invitation_key(invitation))


def queue_digests(session: Session, config: MailConfig, now: datetime) -> int:
    """Queue today's digest of pending reviews to each coordinator with some; once a day.

    Nothing before ``digest_hour`` (UTC). Returns how many digests were queued.
    """
    due = _due_digests(session, config, now)
    users = session.scalars(select(User).where(User.id.in_(list(due)))).all() if due else []
    queued = 0
    for user in users:
        key, situations = due[user.id]
        if _queue(session, config, user, EmailKind.REVIEW_DIGEST, key, {"situations": situations}):
            queued += 1
    return queued


def _due_digests(
    session: Session, config: MailConfig, now: datetime
) -> dict[uuid.UUID, tuple[str, list[dict[str, Any]]]]:
    """The digests due at ``now`` and not queued yet: each coordinator's key and situations."""
    if now.hour < config.digest_hour:
        return {}
    day = now.date().isoformat()
    rows = session.execute(
        select(
            Membership.user_id,
            Situation.id,
            Situation.name,
            func.count(Update.id),
            func.min(Update.submitted_at),
        )
        .join(Situation, Situation.id == Membership.situation_id)
        .join(
            Update,
            and_(Update.situation_id == Situation.id, Update.state == UpdateState.SUBMITTED),
        )
        .where(Membership.role == SituationRole.COORDINATOR)
        .group_by(Membership.user_id, Situation.id, Situation.name)
        .order_by(Membership.user_id, Situation.name)
    ).all()
    waiting: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for user_id, situation_id, name, count, since in rows:
        waiting.setdefault(user_id, []).append(
            {
                "name": name,
                "count": count,
                "since": since,
                "link": f"{config.base_url}/situations/{situation_id}/review",
            }
        )
    keys = {user_id: f"{EmailKind.REVIEW_DIGEST.value}:{user_id}:{day}" for user_id in waiting}
    done = set(
        session.scalars(
            select(OutboundEmail.dedupe_key).where(OutboundEmail.dedupe_key.in_(keys.values()))
        )
    )
    return {user_id: (key, waiting[user_id]) for user_id, key in keys.items() if key not in done}


def queue_daily_digests(session_factory: SessionFactory, now: datetime) -> int:
    """The worker's task: queue today's review digests (``queue_digests``) and commit.

    The worker runs it on every pass, and nearly every pass finds the day's digests queued
    already: it looks first in a transaction that only reads, so that on SQLite it does not
    take the write lock that requests wait for (a GROUP BY over the pending updates, each
    pass), and writes only when a digest is due.
    """
    with session_factory() as session:
        config = mail_config(session)
        if config is None:
            return 0
        session.connection(execution_options={SQLITE_BEGIN_OPTION: "DEFERRED"})
        due = bool(_due_digests(session, config, now))
        session.rollback()
    if not due:
        return 0
    with session_factory() as session, session.begin():
        return queue_digests(session, config, now)
