"""Who may write pledges: the permission dependencies of the pledge routes.

Pledges are public: any signed-in user reads them (``pledges:read``). Writing is for admins
and for the users of a pledge's parties (``pledges:write``, checked on the pledge itself):
a pledge anyone may see but not change answers 403.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path

from app.auth.deps import Credential, bearer_credential, mark_permission, require
from app.auth.permissions import Permission
from app.auth.policies import may_write_pledge
from app.core.deps import SessionDep
from app.core.errors import Forbidden
from app.models import Pledge, User
from app.pledges import service

PledgePath = Annotated[uuid.UUID, Path(description="Pledge id")]


@dataclass(frozen=True)
class PledgeAccess:
    """A pledge (locked, with its parts) and a user who may change it."""

    pledge: Pledge
    user: User


def pledge_creator(
    credential: Annotated[Credential, Depends(bearer_credential)], session: SessionDep
) -> User:
    """Let through admins and users of an organisation (which the pledge must name)."""
    user = credential.user(session)
    if not user.is_admin and user.organisation_id is None:
        raise Forbidden("Only users of an organisation make pledges, for their organisation.")
    return user


def pledge_writer(
    pid: PledgePath,
    credential: Annotated[Credential, Depends(bearer_credential)],
    session: SessionDep,
) -> PledgeAccess:
    """Load the pledge (404) and let through admins and its parties' users (else 403)."""
    user = credential.user(session)
    pledge = service.get(session, pid, for_update=True)
    if not may_write_pledge(user, {party.organisation_id for party in pledge.parties}):
        raise Forbidden("Only the users of a pledge's parties, and admins, may change it.")
    return PledgeAccess(pledge, user)


mark_permission(pledge_creator, Permission.PLEDGES_WRITE.value)
mark_permission(pledge_writer, Permission.PLEDGES_WRITE.value)

PledgesReader = Annotated[User, Depends(require(Permission.PLEDGES_READ))]
PledgeCreator = Annotated[User, Depends(pledge_creator)]
PledgeWriter = Annotated[PledgeAccess, Depends(pledge_writer)]
