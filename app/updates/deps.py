"""Load an update the caller may see (else 404), with what they may do in its situation."""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.access import SituationAccess
from app.auth.deps import CurrentUser, load_situation_access, mark_permission
from app.auth.permissions import Permission
from app.core.deps import SessionDep
from app.core.errors import Forbidden, NotFound
from app.models import Update
from app.updates import service


@dataclass(frozen=True)
class UpdateAccess:
    update: Update
    access: SituationAccess


_NO_UPDATE = "No such update, or you may not see it."


def get_update_access(
    uid: Annotated[uuid.UUID, Path(description="Update id")], user: CurrentUser, session: SessionDep
) -> UpdateAccess:
    """Load an update whose situation and content the caller may see; 404 otherwise."""
    update = session.scalar(
        select(Update).options(selectinload(Update.organisation)).where(Update.id == uid)
    )
    if update is None:
        raise NotFound(_NO_UPDATE)
    try:
        access = load_situation_access(session, update.situation_id, user)
    except NotFound:
        raise NotFound(_NO_UPDATE) from None
    if not service.can_see(access, update):
        raise NotFound(_NO_UPDATE)
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
