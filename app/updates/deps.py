"""Load an update the caller may see (else 404), with what they may do in its situation."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from app.auth.access import SituationAccess
from app.auth.deps import CurrentUser, mark_permission
from app.auth.permissions import Permission
from app.auth.policies import can_see_situation, situation_permissions
from app.core.deps import SessionDep
from app.core.errors import Forbidden, NotFound
from app.models import Membership, Situation, Update
from app.updates import service


@dataclass(frozen=True)
class UpdateAccess:
    update: Update
    access: SituationAccess


def get_update_access(
    uid: Annotated[uuid.UUID, Path(description="Update id")], user: CurrentUser, session: SessionDep
) -> UpdateAccess:
    """Load an update whose situation and content the caller may see; 404 otherwise."""
    row = session.execute(
        select(Update, Situation, Membership.role)
        .join(Situation, Situation.id == Update.situation_id)
        .outerjoin(
            Membership,
            and_(Membership.situation_id == Situation.id, Membership.user_id == user.id),
        )
        .options(selectinload(Update.organisation))
        .where(Update.id == uid)
    ).first()
    if row is None:
        raise NotFound("No such update, or you may not see it.")
    update, situation, role = row
    if not can_see_situation(user, role):
        raise NotFound("No such update, or you may not see it.")
    access = SituationAccess(situation, user, role, situation_permissions(user, role))
    if not service.can_see(access, update):
        raise NotFound("No such update, or you may not see it.")
    return UpdateAccess(update, access)


@cache
def update_permission(permission: Permission) -> Callable[..., Awaitable[UpdateAccess]]:
    """A dependency: see the update (else 404) and hold ``permission`` there (else 403)."""

    async def dependency(
        found: Annotated[UpdateAccess, Depends(get_update_access)],
    ) -> UpdateAccess:
        if not found.access.can(permission):
            raise Forbidden()
        return found

    dependency.__name__ = f"update_{permission.value.replace(':', '_')}"
    mark_permission(dependency, permission.value)
    return dependency


UpdateReader = Annotated[UpdateAccess, Depends(update_permission(Permission.UPDATES_LIST))]
UpdateReviewer = Annotated[UpdateAccess, Depends(update_permission(Permission.UPDATES_REVIEW))]
