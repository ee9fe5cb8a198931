"""The review queue: submitted updates to accept or return, and how a review went."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.checklist import service as checklist
from app.checklist.schemas import ItemRead
from app.core.errors import AppError, Conflict, NotFound
from app.core.pagination import SortKey, paginate, timestamp_key
from app.core.vocab import UpdateState
from app.dashboard.views import ITEM_ORDER
from app.events.service import Actor
from app.i18n import N_
from app.i18n import gettext as _
from app.models import Update
from app.templates.registry import TemplateRegistry
from app.updates import service as updates
from app.updates.schemas import ReviewIn, UpdateRead

QUEUE_PER_PAGE = 50
QUEUE_ORDER = [timestamp_key(Update.submitted_at), SortKey(Update.id, uuid.UUID)]


@dataclass(frozen=True)
class QueueEntry:
    """A submitted update with the item it reports on."""

    update: UpdateRead
    item: ItemRead | None


def review_queue(
    session: Session,
    access: SituationAccess,
    registry: TemplateRegistry,
    *,
    now: datetime,
    cursor: str | None,
) -> tuple[list[QueueEntry], str | None]:
    """The situation's submitted updates, oldest first, each with its item."""
    rows, next_cursor = paginate(
        session,
        updates.updates_query(access, state=UpdateState.SUBMITTED),
        QUEUE_ORDER,
        cursor=cursor,
        limit=QUEUE_PER_PAGE,
    )
    items = _items_by_code(session, access, registry, now, {u.item_code for u in rows})
    return [
        QueueEntry(UpdateRead.model_validate(u), items.get(u.item_code)) for u in rows
    ], next_cursor


def _items_by_code(
    session: Session,
    access: SituationAccess,
    registry: TemplateRegistry,
    now: datetime,
    codes: set[str],
) -> dict[str, ItemRead]:
    if not codes:
        return {}
    rows, _ = paginate(
        session,
        checklist.items_query(access.situation, now=now),
        ITEM_ORDER,
        cursor=None,
        limit=10_000,
        scalars=False,
    )
    wanted = [row for row in rows if row.code in codes]
    return {
        item.code: item
        for item in checklist.item_reads(session, wanted, access.situation, registry, now)
    }


class Outcome(StrEnum):
    """How a review from the queue went; the queue page says it in words."""

    ACCEPTED = "accepted"
    RETURNED = "returned"
    ALREADY_REVIEWED = "already_reviewed"
    COMMENT_REQUIRED = "comment_required"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FAILED = "failed"


OUTCOME_MESSAGES = {
    Outcome.ACCEPTED: N_("Update on {item} accepted: the item now has the proposed status."),
    Outcome.RETURNED: N_("Update on {item} returned to its organisation with your comment."),
    Outcome.ALREADY_REVIEWED: N_(
        "That update was reviewed already (perhaps by another coordinator); nothing changed."
    ),
    Outcome.COMMENT_REQUIRED: N_(
        "To return an update, write a comment for the partner; nothing changed."
    ),
    Outcome.INVALID: N_(
        "That review could not be read: choose Accept or Return, and keep the comment to "
        "2,000 characters of plain text. Nothing changed."
    ),
    Outcome.NOT_FOUND: N_("That update is not in this situation's queue; nothing changed."),
    Outcome.FAILED: N_("The review could not be saved; nothing changed."),
}
SUCCESSES = (Outcome.ACCEPTED, Outcome.RETURNED)


def review(
    session: Session,
    access: SituationAccess,
    update_id: uuid.UUID,
    decision: str,
    comment: str,
) -> tuple[Outcome, str | None]:
    """Accept or return an update of this situation; say how it went, and on which item.

    A failed review leaves nothing behind: the attempt runs in a savepoint.
    """
    try:
        data = ReviewIn.model_validate({"decision": decision, "comment": comment or None})
    except ValidationError:
        missing = decision == "return" and not comment.strip()
        return (Outcome.COMMENT_REQUIRED if missing else Outcome.INVALID), None
    try:
        with session.begin_nested():
            found = updates.get(session, update_id)
            if found.situation_id != access.situation.id:
                raise NotFound()
            reviewed = updates.review(
                session, update_id, data.decision, data.comment, Actor.of(access.user)
            )
    except Conflict:
        return Outcome.ALREADY_REVIEWED, None
    except NotFound:
        return Outcome.NOT_FOUND, None
    except AppError:
        return Outcome.FAILED, None
    accepted = reviewed.state is UpdateState.ACCEPTED
    return (Outcome.ACCEPTED if accepted else Outcome.RETURNED), reviewed.item_code


def outcome_message(outcome: Outcome, item: str | None) -> str:
    """The sentence that tells the coordinator how their review went."""
    return _(OUTCOME_MESSAGES[outcome]).format(item=item or _("the item"))
