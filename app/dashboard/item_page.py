"""What the item page shows: the item, its history, accepted updates, its money, the update
form for those who may report on it (prefilled from a returned update to send again), and the
funding flow form for those who may record one."""

import uuid
from typing import Any

from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.auth.permissions import Permission
from app.auth.policies import may_submit_update
from app.checklist.schemas import ItemRead
from app.core.base import utcnow
from app.core.errors import NotFound
from app.core.vocab import ItemStatus, UpdateState
from app.dashboard import flow_forms, funding_views, seeing_views, views
from app.dashboard.flow_forms import TypedFlow
from app.dashboard.update_forms import TypedUpdate
from app.models import Update
from app.pledges.items import item_pledges
from app.templates.registry import TemplateRegistry
from app.updates import service as updates

Errors = dict[str, list[str]]


def _returned(
    session: Session, access: SituationAccess, item: ItemRead, update_id: uuid.UUID
) -> Update | None:
    """One of the caller's returned updates on this item, or ``None``."""
    try:
        found = updates.get(session, update_id)
    except NotFound:
        return None
    if found.item_id != item.id or found.state is not UpdateState.RETURNED:
        return None
    return found if updates.can_see(access, found) else None


def report_form(
    session: Session,
    access: SituationAccess,
    item: ItemRead,
    report: tuple[TypedUpdate, Errors] | None,
    resubmit: uuid.UUID | None,
) -> dict[str, Any] | None:
    """The update form, for those who may report on the item; else ``None``."""
    owners = {owner.organisation.id for owner in item.owners}
    if not may_submit_update(access.user, access.permissions, owners):
        return None
    typed, errors = report or (TypedUpdate(), {})
    returned = _returned(session, access, item, resubmit) if resubmit and not report else None
    if returned is not None:
        typed = TypedUpdate.resubmitting(returned)
    return {"typed": typed, "errors": errors, "returned": returned, "statuses": list(ItemStatus)}


def context(
    session: Session,
    access: SituationAccess,
    registry: TemplateRegistry,
    code: str,
    *,
    cursor: str | None = None,
    report: tuple[TypedUpdate, Errors] | None = None,
    resubmit: uuid.UUID | None = None,
    flow: tuple[TypedFlow, Errors] | None = None,
) -> dict[str, Any]:
    """Everything ``item.html`` shows."""
    item, entries, next_cursor = views.item_with_history(
        session, access, registry, code, now=utcnow(), cursor=cursor
    )
    return {
        "user": access.user,
        "situation": access.situation,
        "can_review": access.can(Permission.UPDATES_REVIEW),
        "can_edit": access.can(Permission.ITEMS_WRITE),
        "can_set_owners": access.can(Permission.OWNERS_WRITE),
        "can_set_requirements": access.can(Permission.FUNDING_MANAGE),
        "item": item,
        "entries": entries,
        "next_cursor": next_cursor,
        "accepted": seeing_views.accepted_updates(session, item.id),
        "report": report_form(session, access, item, report, resubmit),
        "money": funding_views.item_money(session, access.situation.id, code),
        "flow_form": flow_forms.form(session, access, flow),
        "pledges": item_pledges(session, item.id),
    }
