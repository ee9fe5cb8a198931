"""Authentication and permission dependencies.

Every route depends on exactly one permission dependency (made by ``require`` or
``situation_permission``, or ``self_or_admin``); a test walks the routes to make sure.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.auth.permissions import Permission
from app.auth.policies import (
    can_see_situation,
    can_see_user,
    global_permissions,
    situation_permissions,
)
from app.auth.tokens import with_user_and_access_by_hash, with_user_by_hash
from app.core.base import utcnow
from app.core.deps import SessionDep
from app.core.errors import Forbidden, NotFound, Unauthorized
from app.core.vocab import SituationRole
from app.models import ApiToken, Membership, Situation, User

PERMISSION_MARK = "crrf_permission"

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An API token: `Authorization: Bearer crrf_…`. Issued by an admin or "
    "`crrf users create`; shown once.",
)


_INVALID = "The token is not valid: mistyped, revoked or expired."


def _checked(token: str) -> str:
    if len(token) > 256:
        raise Unauthorized("The token is not valid.")
    return token


def authenticate(request: Request, session: Session, token: str) -> User:
    """Resolve a token (from a bearer header or the dashboard's cookie) to an active user.

    Raises ``Unauthorized`` for a token that is too long, unknown, revoked or expired, or
    whose user is deactivated; records the user and token on the request for logging.
    """
    row = with_user_by_hash(session, ApiToken, ApiToken.token_hash, _checked(token))
    if row is None:
        raise Unauthorized(_INVALID)
    api_token, user = row
    return _valid_user(request, api_token, user)


def authenticate_with_access(
    request: Request, session: Session, token: str, sid: uuid.UUID
) -> SituationAccess:
    """``authenticate`` and ``load_situation_access`` in one statement, for a bearer token."""
    row = with_user_and_access_by_hash(session, ApiToken, ApiToken.token_hash, _checked(token), sid)
    if row is None:
        raise Unauthorized(_INVALID)
    api_token, user, situation, role = row
    return situation_access(_valid_user(request, api_token, user), situation, role)


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


@dataclass(frozen=True)
class Credential:
    """What a request presents to say who it is, before the database is asked.

    Read on the event loop (no I/O); resolved to a ``User`` in the same worker-thread hop
    as the permission check that needs it, so a request crosses to a thread once for both.
    """

    request: Request
    secret: str
    resolve: Callable[[Request, Session, str], User]
    # Reads the user and their access to a situation at once, where the credential can.
    resolve_access: Callable[[Request, Session, str, uuid.UUID], SituationAccess] | None = None

    def user(self, session: Session) -> User:
        """The active user the credential names, or ``Unauthorized``."""
        return self.resolve(self.request, session, self.secret)

    def access(self, session: Session, sid: uuid.UUID) -> SituationAccess:
        """The user and what they may do in situation ``sid`` (404 if they may not see it)."""
        if self.resolve_access is not None:
            return self.resolve_access(self.request, session, self.secret, sid)
        return load_situation_access(session, sid, self.user(session))


async def bearer_credential(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Credential:
    """The bearer token of the request, or 401 without one."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized()
    return Credential(request, credentials.credentials, authenticate, authenticate_with_access)


CredentialSource = Callable[..., Any]


def get_current_user(
    session: SessionDep, credential: Annotated[Credential, Depends(bearer_credential)]
) -> User:
    """Resolve the bearer token to an active user, or answer 401."""
    return credential.user(session)


CurrentUser = Annotated[User, Depends(get_current_user)]


def mark_permission(dependency: Callable[..., Any], permission: str) -> None:
    """Tag a dependency as the permission check of the routes that use it."""
    setattr(dependency, PERMISSION_MARK, permission)


@cache
def require(
    permission: Permission, signed_in: CredentialSource = bearer_credential
) -> Callable[..., User]:
    """A dependency that lets through users who hold a global ``permission``.

    ``signed_in`` says where the credential comes from: the bearer token, or the dashboard's
    cookie.
    """

    def dependency(
        credential: Annotated[Credential, Depends(signed_in)], session: SessionDep
    ) -> User:
        user = credential.user(session)
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


def load_situation_access(session: Session, sid: uuid.UUID, user: User) -> SituationAccess:
    """Load a situation ``user`` may see, with their role; 404 otherwise.

    The one way to the situation and role, for the API, the dashboard and updates (a bearer
    token reads it with the user: ``authenticate_with_access``).
    """
    row = session.execute(
        select(Situation, Membership.role)
        .outerjoin(
            Membership,
            and_(Membership.situation_id == Situation.id, Membership.user_id == user.id),
        )
        .where(Situation.id == sid)
    ).first()
    situation, role = row if row is not None else (None, None)
    return situation_access(user, situation, role)


def situation_access(
    user: User, situation: Situation | None, role: SituationRole | None
) -> SituationAccess:
    """What ``user`` may do in ``situation`` (as read with their ``role``); 404 if they may
    not see it, or it does not exist."""
    if situation is None or not can_see_situation(user, role):
        raise NotFound()
    return SituationAccess(situation, user, role, situation_permissions(user, role))


@cache
def situation_permission(
    permission: Permission, signed_in: CredentialSource = bearer_credential
) -> Callable[..., SituationAccess]:
    """A dependency: see the situation (else 404) and hold ``permission`` there (else 403)."""

    def dependency(
        sid: Annotated[uuid.UUID, Path(description="Situation id")],
        credential: Annotated[Credential, Depends(signed_in)],
        session: SessionDep,
    ) -> SituationAccess:
        access = credential.access(session, sid)
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
CyclesReader = Annotated[SituationAccess, Depends(situation_permission(P.CYCLES_READ))]
CyclesWriter = Annotated[SituationAccess, Depends(situation_permission(P.CYCLES_WRITE))]
ObligationsLister = Annotated[SituationAccess, Depends(situation_permission(P.OBLIGATIONS_LIST))]
ObligationsWaiver = Annotated[SituationAccess, Depends(situation_permission(P.OBLIGATIONS_WAIVE))]
WebhooksManager = Annotated[SituationAccess, Depends(situation_permission(P.WEBHOOKS_MANAGE))]
FundingReader = Annotated[SituationAccess, Depends(situation_permission(P.FUNDING_READ))]
FundingRecorder = Annotated[SituationAccess, Depends(situation_permission(P.FUNDING_RECORD))]
FundingManager = Annotated[SituationAccess, Depends(situation_permission(P.FUNDING_MANAGE))]
