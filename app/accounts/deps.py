"""Who may invite whom: the permission dependency of the invitation route."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.accounts.invitations import coordinator_reach
from app.auth.deps import CurrentUser, mark_permission
from app.auth.policies import invitation_access
from app.core.deps import SessionDep
from app.core.errors import Forbidden, NotFound
from app.models import User
from app.users import service as users


def invitation_target(
    user_id: Annotated[uuid.UUID, Path()], actor: CurrentUser, session: SessionDep
) -> User:
    """The user to invite, if the caller may (``invitation_access``); else 404 or 403."""
    target = users.get(session, user_id)
    shared, elsewhere = (
        (False, False) if actor.is_admin else coordinator_reach(session, actor.id, target.id)
    )
    answer = invitation_access(
        actor, target, in_coordinated_situation=shared, coordinates_elsewhere=elsewhere
    )
    if answer == "hide":
        raise NotFound("No such user.")
    if answer == "forbid":
        raise Forbidden()
    return target


mark_permission(invitation_target, "users:invite")

InvitationTarget = Annotated[User, Depends(invitation_target)]
