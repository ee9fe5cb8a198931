"""Who sees which events of an item's history."""

from sqlalchemy import ColumnElement, Select, or_, select

from app.auth.access import SituationAccess
from app.auth.permissions import Permission
from app.models import ChecklistItem, Event, Organisation, Update, User


def history_query(item: ChecklistItem, access: SituationAccess) -> Select[Event, str, str]:
    """Build the query of an item's events that the caller may see, with who made them.

    Submitted and returned updates stay between the coordinators and the reporting
    organisation; accepted ones, like every other change, are visible to every member.
    """
    stmt = (
        select(Event, User.name, Organisation.name)
        .outerjoin(User, User.id == Event.actor_user_id)
        .outerjoin(Organisation, Organisation.id == Event.actor_organisation_id)
        .where(Event.item_id == item.id)
    )
    hidden_updates = history_visibility(access)
    if hidden_updates is not None:
        stmt = stmt.outerjoin(Update, Update.id == Event.update_id).where(hidden_updates)
    return stmt


def history_visibility(access: SituationAccess) -> ColumnElement[bool] | None:
    """SQL on events joined to their update: hide the update events the caller may not see."""
    if access.can(Permission.UPDATES_READ_ALL):
        return None
    visible = or_(Event.update_id.is_(None), Event.action == "update.accepted")
    if access.can(Permission.UPDATES_READ_OWN) and access.user.organisation_id is not None:
        visible = or_(visible, Update.organisation_id == access.user.organisation_id)
    return visible
