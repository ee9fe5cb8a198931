"""Users and tokens: admins manage everyone; a user reads themself and manages their tokens."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from app.auth.deps import CanReadUsers, CanWriteUsers, SelfOrAdmin, SignedIn
from app.core.deps import SessionDep
from app.core.pagination import Cursor, Limit, Page, SortKey, paginate
from app.idempotency.deps import IdempotencyDep
from app.idempotency.service import StoredResponse
from app.models import User
from app.users import service
from app.users.schemas import (
    Email,
    MembershipSummary,
    MeRead,
    TokenCreate,
    TokenIssued,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)

router = APIRouter(prefix="/users", tags=["users"])

_ORDER = [SortKey(User.email, str), SortKey(User.id, uuid.UUID)]


@router.get("")
def list_users(
    _admin: CanReadUsers,
    session: SessionDep,
    organisation_id: Annotated[uuid.UUID | None, Query()] = None,
    email: Annotated[Email | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[UserRead]:
    """List users by e-mail address."""
    stmt = service.search(organisation_id, email)
    rows, next_cursor = paginate(session, stmt, _ORDER, cursor=cursor, limit=limit)
    return Page[UserRead](items=[UserRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UserRead)
def create_user(
    data: UserCreate, admin: CanWriteUsers, session: SessionDep, idempotency: IdempotencyDep
) -> JSONResponse:
    """Create a user (then issue them a token)."""

    def work() -> StoredResponse:
        user = service.create(session, data)
        body = UserRead.model_validate(user).model_dump(mode="json")
        return StoredResponse(201, body, {"Location": f"/api/v1/users/{user.id}"})

    return idempotency.respond(admin, data, work)


@router.get("/me")
def read_me(user: SignedIn, session: SessionDep) -> MeRead:
    """Read the signed-in user, their organisation and their situations."""
    loaded = service.get(session, user.id)
    memberships = [
        MembershipSummary(situation_id=sid, situation_name=name, role=role)
        for sid, name, role in service.memberships(session, user.id)
    ]
    return MeRead(**UserRead.model_validate(loaded).model_dump(), memberships=memberships)


@router.get("/{user_id}")
def get_user(user_id: uuid.UUID, _actor: SelfOrAdmin, session: SessionDep) -> UserRead:
    """Read a user (admins: anyone; others: themself)."""
    return UserRead.model_validate(service.get(session, user_id))


@router.patch(
    "/{user_id}",
    responses={403: {"description": "Not an admin, and changing more than your own choices"}},
)
def update_user(
    user_id: uuid.UUID, data: UserUpdate, actor: SelfOrAdmin, session: SessionDep
) -> UserRead:
    """Change a user (admins); users change their own language and e-mail choices."""
    target = service.get(session, user_id)
    return UserRead.model_validate(service.update(session, target, data, by=actor))


@router.get("/{user_id}/tokens")
def list_tokens(user_id: uuid.UUID, _actor: SelfOrAdmin, session: SessionDep) -> Page[TokenRead]:
    """List a user's tokens (never their secrets)."""
    service.get(session, user_id)
    tokens = service.list_tokens(session, user_id)
    return Page[TokenRead](items=[TokenRead.model_validate(t) for t in tokens], next_cursor=None)


@router.post("/{user_id}/tokens", status_code=status.HTTP_201_CREATED)
def create_token(
    user_id: uuid.UUID,
    _actor: SelfOrAdmin,
    session: SessionDep,
    response: Response,
    data: TokenCreate | None = None,
) -> TokenIssued:
    """Issue a token; the response is the only time it is shown."""
    data = data or TokenCreate()
    token, secret = service.issue_token(
        session, service.get(session, user_id), data.name, data.expires_in_days
    )
    response.headers["Location"] = f"/api/v1/users/{user_id}/tokens/{token.id}"
    return TokenIssued(**TokenRead.model_validate(token).model_dump(), token=secret)


@router.delete("/{user_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(
    user_id: uuid.UUID, token_id: uuid.UUID, _actor: SelfOrAdmin, session: SessionDep
) -> None:
    """Revoke a token at once."""
    service.revoke_token(session, user_id, token_id)
