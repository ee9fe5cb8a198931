"""The review queue: submitted updates to accept or return (one or many), and how it went."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import ValidationError
from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.checklist import service as checklist
from app.checklist.schemas import ItemRead
from app.core.errors import AppError, Conflict, NotFound
from app.core.pagination import SortKey, paginate, timestamp_key
from app.core.vocab import PillarCode, UpdateState
from app.dashboard.views import ITEM_ORDER
from app.events.service import Actor
from app.i18n import N_, ngettext
from app.i18n import gettext as _
from app.models import Update
from app.templates.registry import TemplateRegistry
from app.updates import batches
from app.updates import service as updates
from app.updates.schemas import BulkReviewIn, ReviewIn, UpdateRead

QUEUE_PER_PAGE = 50
QUEUE_ORDER = [timestamp_key(Update.submitted_at), SortKey(Update.id, uuid.UUID)]


@dataclass(frozen=True)
class QueueEntry:
    """A submitted update with the item it reports on."""

    update: UpdateRead
    item: ItemRead | None


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters, as its GET form sends them: organisation, pillar, item."""

    organisation: uuid.UUID | None = None
    pillar: PillarCode | None = None
    code: str | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.organisation, self.pillar, self.code))

    def query(self) -> dict[str, str]:
        """The filters as query parameters (to come back to the same queue)."""
        values = {"organisation": self.organisation, "pillar": self.pillar, "code": self.code}
        return {name: str(value) for name, value in values.items() if value is not None}

    def statement(self, access: SituationAccess) -> Select[Update]:
        """The situation's submitted updates that match, as the caller may see them."""
        return updates.updates_query(
            access,
            state=UpdateState.SUBMITTED,
            organisation_id=self.organisation,
            pillar=self.pillar,
            item_code=self.code,
        )


def review_queue(
    session: Session,
    access: SituationAccess,
    registry: TemplateRegistry,
    filters: QueueFilters,
    *,
    now: datetime,
    cursor: str | None,
) -> tuple[list[QueueEntry], str | None]:
    """The situation's submitted updates matching ``filters``, oldest first, each with its item."""
    rows, next_cursor = paginate(
        session,
        filters.statement(access),
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
    BULK_ACCEPTED = "bulk_accepted"
    BULK_RETURNED = "bulk_returned"
    NONE_SELECTED = "none_selected"


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
    Outcome.NONE_SELECTED: N_(
        "Select at least one update to review them together; nothing changed."
    ),
}
SUCCESSES = (Outcome.ACCEPTED, Outcome.RETURNED, Outcome.BULK_ACCEPTED, Outcome.BULK_RETURNED)


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


@dataclass(frozen=True)
class BulkResult:
    """How a review of several updates went: one outcome, how many were done or skipped."""

    outcome: Outcome
    done: int = 0
    skipped: int = 0
    first: tuple[datetime, uuid.UUID] | None = None  # the earliest reviewed: (submitted, id)


def review_many(
    session: Session,
    access: SituationAccess,
    update_ids: Sequence[str],
    decision: str,
    comment: str,
) -> BulkResult:
    """Accept or return the selected updates with one comment, each on its own (the API's
    ``updates:review``): one already reviewed, or of another situation, is skipped."""
    if not update_ids:
        return BulkResult(Outcome.NONE_SELECTED)
    try:
        data = BulkReviewIn.model_validate(
            {"update_ids": list(update_ids), "decision": decision, "comment": comment or None}
        )
    except ValidationError:
        missing = decision == "return" and not comment.strip()
        return BulkResult(Outcome.COMMENT_REQUIRED if missing else Outcome.INVALID)
    results = batches.review_many(session, access, data.update_ids, data.decision, data.comment)
    done = [r.update for r in results if r.update is not None]
    if not done:
        return BulkResult(Outcome.ALREADY_REVIEWED, skipped=len(results))
    first = min((u.submitted_at, u.id) for u in done)
    outcome = Outcome.BULK_ACCEPTED if data.decision == "accept" else Outcome.BULK_RETURNED
    return BulkResult(outcome, done=len(done), skipped=len(results) - len(done), first=first)


def next_card(
    session: Session,
    access: SituationAccess,
    filters: QueueFilters,
    after: tuple[datetime, uuid.UUID],
) -> uuid.UUID | None:
    """The card the queue shows after ``after`` (just reviewed), else its last one, if any."""
    rows, _ = paginate(
        session, filters.statement(access), QUEUE_ORDER, cursor=None, limit=QUEUE_PER_PAGE
    )
    queue: list[Update] = list(rows)
    later = [u.id for u in queue if (u.submitted_at, str(u.id)) > (after[0], str(after[1]))]
    if later:
        return later[0]
    return queue[-1].id if queue else None


def submitted_key(session: Session, update_id: uuid.UUID) -> tuple[datetime, uuid.UUID]:
    """Where an update stands in the queue's order."""
    update = updates.get(session, update_id)
    return update.submitted_at, update.id


def outcome_message(outcome: Outcome, item: str | None, count: int = 0, skipped: int = 0) -> str:
    """The sentence that tells the coordinator how their review went."""
    # Literal messages, so that the catalogs' extraction finds them.
    if outcome is Outcome.BULK_ACCEPTED:
        message = ngettext(
            "%(num)d update accepted: its item now has the proposed status.",
            "%(num)d updates accepted: their items now have the proposed status.",
            count,
        )
    elif outcome is Outcome.BULK_RETURNED:
        message = ngettext(
            "%(num)d update returned to its organisation with your comment.",
            "%(num)d updates returned to their organisations with your comment.",
            count,
        )
    else:
        return _(OUTCOME_MESSAGES[outcome]).format(item=item or _("the item"))
    message %= {"num": count}
    if skipped:
        message += " " + ngettext(
            "%(num)d was reviewed already (perhaps by another coordinator): left as it was.",
            "%(num)d were reviewed already (perhaps by another coordinator): left as they were.",
            skipped,
        ) % {"num": skipped}
    return message
