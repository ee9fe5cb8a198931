"""Authentication and permission dependencies.

Every route depends on exactly one permission dependency (made by ``require`` or
``situation_permission``, or ``self_or_admin``); a test walks the routes to make sure.
"""

import uuid
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import String, Uuid, and_, bindparam, select
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.auth.permissions import Permission
from app.auth.policies import (
    can_see_situation,
    can_see_user,
    global_permissions,
    situation_permissions,
)
from app.auth.tokens import hash_token
from app.core.base import utcnow
from app.core.deps import SessionDep, run_db
from app.core.errors import Forbidden, NotFound, Unauthorized
from app.models import ApiToken, Membership, Situation, User

PERMISSION_MARK = "crrf_permission"

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API token: `Authorization: Bearer crrf_…`. Issued by an admin or "
    "`crrf users create`; shown once.",
)


_INVALID = "The token is not valid: mistyped, revoked or expired."


# Built once: building a statement costs more than running it, on every request.
_TOKEN_QUERY = (
    select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash", type_=String()))
)
_SITUATION_ACCESS_QUERY = (
    _TOKEN_QUERY.add_columns(Situation, Membership.role)
    .outerjoin(Situation, Situation.id == bindparam("sid", type_=Uuid()))
    .outerjoin(
        Membership,
        and_(Membership.situation_id == Situation.id, Membership.user_id == User.id),
    )
)


def _token_hash(token: str) -> str:
    if len(token) > 256:
        raise Unauthorized("The token is not valid.")
    return hash_token(token)


def authenticate(request: Request, session: Session, token: str) -> User:
    """Resolve a token (from a bearer header or the dashboard's cookie) to an active user.

    Raises ``Unauthorized`` for a token that is too long, unknown, revoked or expired, or
    whose user is deactivated; records the user and token on the request for logging.
    """
    row = session.execute(_TOKEN_QUERY, {"token_hash": _token_hash(token)}).first()
    if row is None:
        raise Unauthorized(_INVALID)
    api_token, user = row
    return _valid_user(request, api_token, user)


def _valid_user(request: Request, api_token: ApiToken, user: User) -> User:
    now = utcnow()
    if (
        api_token.revoked_at is not None
        or (api_token.expires_at is not None and api_token.expires_at <= now)
        or not user.is_active
    ):
        raise Unauthorized(_INVALID)
    request.state.user_id = user.id
    request.state.token_id = api_token.id
    return user


def get_current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User:
    """Resolve the bearer token to an active user, or answer 401."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized()
    return authenticate(request, session, credentials.credentials)


CurrentUser = Annotated[User, Depends(get_current_user)]


def mark_permission(dependency: Callable[..., Any], permission: str) -> None:
    """Tag a dependency as the permission check of the routes that use it."""
    setattr(dependency, PERMISSION_MARK, permission)


@cache
def require(permission: Permission) -> Callable[..., Awaitable[User]]:
    """A dependency that lets through users who hold a global ``permission``."""

    async def dependency(user: CurrentUser) -> User:
        if permission not in global_permissions(user):
            raise Forbidden()
        return user

    dependency.__name__ = f"require_{permission.value.replace(':', '_')}"
    mark_permission(dependency, permission.value)
    return dependency


async def self_or_admin(user_id: Annotated[uuid.UUID, Path()], user: CurrentUser) -> User:
    """Let admins act on any user, and users on themselves; others see nothing (404)."""
    if not can_see_user(user, user_id):
        raise NotFound()
    return user


mark_permission(self_or_admin, "users:self_or_admin")


async def admin_on_visible_user(user_id: Annotated[uuid.UUID, Path()], user: CurrentUser) -> User:
    """Change a user: others are invisible (404), oneself is visible but not changeable (403)."""
    if not can_see_user(user, user_id):
        raise NotFound()
    if Permission.USERS_WRITE not in global_permissions(user):
        raise Forbidden()
    return user


mark_permission(admin_on_visible_user, Permission.USERS_WRITE.value)


async def get_situation_access(
    sid: Annotated[uuid.UUID, Path(description="Situation id")],
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> SituationAccess:
    """Authenticate and load a situation the caller may see, with their role, in one query.

    401 for a missing or invalid token; 404 for a situation the caller may not see.
    """
    if credentials is None or not credentials.credentials:
        raise Unauthorized()
    params = {"token_hash": _token_hash(credentials.credentials), "sid": sid}
    row = await run_db(request, _access_row, session, params)
    if row is None:
        raise Unauthorized(_INVALID)
    api_token, user, situation, role = row
    user = _valid_user(request, api_token, user)
    if situation is None or not can_see_situation(user, role):
        raise NotFound()
    return SituationAccess(situation, user, role, situation_permissions(user, role))


def _access_row(session: Session, params: dict[str, Any]) -> Any:
    return session.execute(_SITUATION_ACCESS_QUERY, params).first()


def load_situation_access(session: Session, sid: uuid.UUID, user: User) -> SituationAccess:
    """Load a situation the signed-in ``user`` may see, with their role; 404 otherwise."""
    row = session.execute(
        select(Situation, Membership.role)
        .outerjoin(
            Membership,
            and_(Membership.situation_id == Situation.id, Membership.user_id == user.id),
        )
        .where(Situation.id == sid)
    ).first()
    if row is None:
        raise NotFound()
    situation, role = row
    if not can_see_situation(user, role):
        raise NotFound()
    return SituationAccess(situation, user, role, situation_permissions(user, role))


@cache
def situation_permission(permission: Permission) -> Callable[..., Awaitable[SituationAccess]]:
    """A dependency: see the situation (else 404) and hold ``permission`` there (else 403)."""

    async def dependency(
        access: Annotated[SituationAccess, Depends(get_situation_access)],
    ) -> SituationAccess:
        if not access.can(permission):
            raise Forbidden()
        return access

    dependency.__name__ = f"situation_{permission.value.replace(':', '_')}"
    mark_permission(dependency, permission.value)
    return dependency


# Aliases: a route's signature names the permission it needs.
P = Permission
SignedIn = Annotated[User, Depends(require(P.PROFILE_READ))]
CanReadTemplates = Annotated[User, Depends(require(P.TEMPLATES_READ))]
CanReadOrganisations = Annotated[User, Depends(require(P.ORGANISATIONS_READ))]
CanWriteOrganisations = Annotated[User, Depends(require(P.ORGANISATIONS_WRITE))]
CanReadUsers = Annotated[User, Depends(require(P.USERS_READ))]
CanWriteUsers = Annotated[User, Depends(require(P.USERS_WRITE))]
CanListSituations = Annotated[User, Depends(require(P.SITUATIONS_LIST))]
CanCreateSituations = Annotated[User, Depends(require(P.SITUATIONS_CREATE))]
CanReadSummary = Annotated[User, Depends(require(P.SUMMARY_READ))]
SelfOrAdmin = Annotated[User, Depends(self_or_admin)]
CanChangeUser = Annotated[User, Depends(admin_on_visible_user)]

SituationReader = Annotated[SituationAccess, Depends(situation_permission(P.SITUATION_READ))]
SituationWriter = Annotated[SituationAccess, Depends(situation_permission(P.SITUATION_WRITE))]
MembersReader = Annotated[SituationAccess, Depends(situation_permission(P.MEMBERS_READ))]
MembersWriter = Annotated[SituationAccess, Depends(situation_permission(P.MEMBERS_WRITE))]
ItemsReader = Annotated[SituationAccess, Depends(situation_permission(P.ITEMS_READ))]
ItemsWriter = Annotated[SituationAccess, Depends(situation_permission(P.ITEMS_WRITE))]
OwnersWriter = Annotated[SituationAccess, Depends(situation_permission(P.OWNERS_WRITE))]
HistoryReader = Annotated[SituationAccess, Depends(situation_permission(P.HISTORY_READ))]
ReportsReader = Annotated[SituationAccess, Depends(situation_permission(P.REPORTS_READ))]
ExportsReader = Annotated[SituationAccess, Depends(situation_permission(P.EXPORTS_READ))]
UpdatesLister = Annotated[SituationAccess, Depends(situation_permission(P.UPDATES_LIST))]
UpdatesSubmitter = Annotated[SituationAccess, Depends(situation_permission(P.UPDATES_SUBMIT))]
UpdatesReviewer = Annotated[SituationAccess, Depends(situation_permission(P.UPDATES_REVIEW))]
