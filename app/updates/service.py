"""Submit updates, review them, and apply accepted ones to their item."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session, aliased, selectinload

from app.auth.access import SituationAccess
from app.auth.policies import may_submit_update, update_scope
from app.checklist.service import ItemRef
from app.core.base import utcnow
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.schemas import jsonable
from app.core.vocab import PillarCode, ReviewPolicy, UpdateState
from app.cycles import obligations, rules
from app.events.service import Actor, record, record_item_change
from app.models import ChecklistItem, Membership, Organisation, Update
from app.updates.schemas import UpdateIn


def visibility_clause(access: SituationAccess) -> ColumnElement[bool]:
    """SQL: the updates of this situation that the caller may see."""
    scope = update_scope(access.permissions)
    if scope == "all":
        return true()
    if scope == "own":
        if access.user.organisation_id is None:
            return false()
        return Update.organisation_id == access.user.organisation_id
    if scope == "accepted":
        return Update.state == UpdateState.ACCEPTED
    return false()


def can_see(access: SituationAccess, update: Update) -> bool:
    """Python twin of ``visibility_clause`` for one loaded update."""
    scope = update_scope(access.permissions)
    return (
        scope == "all"
        or (
            scope == "own"
            and update.organisation_id is not None
            and update.organisation_id == access.user.organisation_id
        )
        or (scope == "accepted" and update.state is UpdateState.ACCEPTED)
    )


def updates_query(
    access: SituationAccess,
    *,
    state: UpdateState | None = None,
    item_code: str | None = None,
    organisation_id: uuid.UUID | None = None,
    pillar: PillarCode | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> Select[Update]:
    """Build the query of a situation's updates that the caller may see, with filters."""
    stmt = (
        select(Update)
        .options(selectinload(Update.organisation))
        .where(Update.situation_id == access.situation.id, visibility_clause(access))
    )
    if state is not None:
        stmt = stmt.where(Update.state == state)
    if item_code is not None:
        stmt = stmt.where(Update.item_code == item_code)
    if organisation_id is not None:
        stmt = stmt.where(Update.organisation_id == organisation_id)
    if pillar is not None:
        in_pillar = select(ChecklistItem.id).where(
            ChecklistItem.situation_id == access.situation.id, ChecklistItem.pillar == pillar
        )
        stmt = stmt.where(Update.item_id.in_(in_pillar))
    if period_from is not None:
        stmt = stmt.where(Update.period_end >= period_from)
    if period_to is not None:
        stmt = stmt.where(Update.period_start <= period_to)
    return stmt


def get(session: Session, update_id: uuid.UUID, *, for_update: bool = False) -> Update:
    """Load an update with its organisation; lock it when it is about to be reviewed."""
    stmt = (
        select(Update)
        .options(selectinload(Update.organisation))
        .where(Update.id == update_id)
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Update)
    update = session.scalar(stmt)
    if update is None:
        raise NotFound("No such update, or you may not see it.")
    return update


def check_may_submit(access: SituationAccess, item: ItemRef) -> None:
    """Refuse (403) a report on ``item`` by someone who may not report on it."""
    if not may_submit_update(access.user, access.permissions, set(item.owner_organisation_ids)):
        raise Forbidden(
            "Only coordinators and partners whose organisation owns this item report on it."
        )


def submit(session: Session, access: SituationAccess, item: ItemRef, data: UpdateIn) -> Update:
    """Record a partner's update on an item; accept it at once where review is off.

    It fulfils the organisation's obligations on the item in the cycles its period lies in;
    ``CycleClosed`` (409) when one of them is closed. Read ``item`` with the submitter's
    organisation as its reporter (``item_ref``): it is then in the session already.
    """
    check_may_submit(access, item)
    actor = Actor.of(access.user)
    now = utcnow()
    period = rules.report_period(data.period_start, data.period_end, now.date())
    cycles = obligations.check_report(session, item.situation_id, period, now.date())
    update = Update(
        id=uuid.uuid4(),
        situation_id=item.situation_id,
        item_id=item.id,
        item_code=item.code,
        organisation_id=access.user.organisation_id,
        submitted_by_id=access.user.id,
        state=UpdateState.SUBMITTED,
        proposed_status=data.proposed_status,
        status_note=data.status_note,
        narrative=data.narrative,
        evidence=[link.model_dump() for link in data.evidence],
        period_start=data.period_start,
        period_end=data.period_end,
        base_version=item.version,
        submitted_at=now,
    )
    organisation_id = access.user.organisation_id
    update.organisation = session.get(Organisation, organisation_id) if organisation_id else None
    session.add(update)
    record(
        session,
        actor,
        situation_id=item.situation_id,
        item_id=item.id,
        update=update,
        action="update.submitted",
        after=_summary(update),
    )
    if access.situation.review_policy is ReviewPolicy.AUTO_ACCEPT:
        _accept(session, update, actor, comment=None, now=now)
    session.flush()
    obligations.fulfil(session, update, cycles)
    return update


def review(
    session: Session,
    update_id: uuid.UUID,
    decision: str,
    comment: str | None,
    actor: Actor,
    *,
    situation_id: uuid.UUID | None = None,
) -> Update:
    """Accept (apply to the item) or return (to the partner) a submitted update, once.

    With ``situation_id``, an update of another situation is not found.
    """
    update = get(session, update_id, for_update=True)
    if situation_id is not None and update.situation_id != situation_id:
        raise NotFound("No such update in this situation.")
    if update.state is not UpdateState.SUBMITTED:
        raise Conflict(f"This update was {update.state.value} already; it is reviewed once.")
    now = utcnow()
    if decision == "accept":
        _accept(session, update, actor, comment=comment, now=now)
    else:
        update.state = UpdateState.RETURNED
        update.reviewed_at = now
        update.reviewed_by_id = actor.user_id
        update.review_comment = comment
        record(
            session,
            actor,
            situation_id=update.situation_id,
            item_id=update.item_id,
            update=update,
            action="update.returned",
            after={**_summary(update), "review_comment": comment},
        )
    session.flush()
    obligations.follow_review(session, update)
    return get(session, update.id)


def _accept(
    session: Session, update: Update, actor: Actor, *, comment: str | None, now: datetime
) -> None:
    item = session.scalar(
        select(ChecklistItem)
        .where(ChecklistItem.id == update.item_id)
        .with_for_update(of=ChecklistItem)
        .execution_options(populate_existing=True)
    )
    assert item is not None  # the foreign key guarantees it
    before: dict[str, Any] = {"last_accepted_update_at": jsonable(item.last_accepted_update_at)}
    after: dict[str, Any] = {"last_accepted_update_at": jsonable(now), "update_id": str(update.id)}
    if update.proposed_status is not None and update.proposed_status != item.status:
        before["status"], after["status"] = item.status.value, update.proposed_status.value
        item.status = update.proposed_status
    if update.status_note is not None and update.status_note != item.status_note:
        before["status_note"], after["status_note"] = item.status_note, update.status_note
        item.status_note = update.status_note
    item.last_accepted_update_at = now
    item.version += 1
    item.updated_at = now
    update.state = UpdateState.ACCEPTED
    update.reviewed_at = now
    update.reviewed_by_id = actor.user_id
    update.review_comment = comment
    record_item_change(
        session,
        actor,
        item,
        action="update.accepted",
        has_lead=item.has_lead,
        before=before,
        after=after,
        update=update,
    )


def _summary(update: Update) -> dict[str, Any]:
    return {
        "update_id": str(update.id),
        "state": update.state.value,
        "proposed_status": update.proposed_status.value if update.proposed_status else None,
    }


def accepted_query(item_id: uuid.UUID) -> Select[Update]:
    """Build the query of an item's accepted updates, newest review first.

    Every member of the situation may read these: an accepted update is part of the item's
    record, like its ``update.accepted`` event in the history (``history_visibility``).
    """
    return (
        select(Update)
        .options(selectinload(Update.organisation))
        .where(Update.item_id == item_id, Update.state == UpdateState.ACCEPTED)
        .order_by(Update.reviewed_at.desc(), Update.id.desc())
    )


RETURNED_SHOWN = 50


def returned_to(organisation_id: uuid.UUID, user_id: uuid.UUID) -> Select[Update]:
    """Build the query of the organisation's returned updates that wait to be sent again.

    Only in situations where ``user_id`` is a member; an update is no longer waiting once
    the organisation has reported on the same item after it. Latest review first.
    """
    later = aliased(Update)
    resubmitted = (
        select(later.id)
        .where(
            later.item_id == Update.item_id,
            later.organisation_id == Update.organisation_id,
            later.submitted_at > Update.submitted_at,
        )
        .exists()
    )
    return (
        select(Update)
        .options(selectinload(Update.organisation))
        .join(
            Membership,
            (Membership.situation_id == Update.situation_id) & (Membership.user_id == user_id),
        )
        .where(
            Update.organisation_id == organisation_id,
            Update.state == UpdateState.RETURNED,
            ~resubmitted,
        )
        .order_by(Update.reviewed_at.desc(), Update.id.desc())
        .limit(RETURNED_SHOWN)
    )
