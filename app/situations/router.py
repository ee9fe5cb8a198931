"""Situations and their members."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from app.auth.deps import (
    CanCreateSituations,
    CanListSituations,
    MembersReader,
    MembersWriter,
    SituationReader,
    SituationWriter,
)
from app.core.deps import RegistryDep, SessionDep
from app.core.etag import IfMatchDep, etag
from app.core.pagination import Cursor, Limit, Page, SortKey, paginate
from app.core.schemas import CountryCode
from app.core.vocab import Phase
from app.events.service import Actor
from app.idempotency.deps import IdempotencyDep
from app.idempotency.service import StoredResponse
from app.models import Membership, Situation
from app.situations import service
from app.situations.schemas import (
    MembershipIn,
    MembershipRead,
    SituationCreate,
    SituationRead,
    SituationUpdate,
)

router = APIRouter(prefix="/situations", tags=["situations"])

_ORDER = [SortKey(Situation.name, str), SortKey(Situation.id, uuid.UUID)]
_MEMBER_ORDER = [SortKey(Membership.user_id, uuid.UUID)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SituationRead)
def create_situation(
    data: SituationCreate,
    admin: CanCreateSituations,
    session: SessionDep,
    registry: RegistryDep,
    idempotency: IdempotencyDep,
) -> JSONResponse:
    """Open a situation; its checklist is created from the template in the same transaction."""

    def work() -> StoredResponse:
        situation = service.create(session, registry, data, Actor.of(admin))
        read = service.situation_read(service.load(session, situation.id), None)
        headers = {
            "Location": f"/api/v1/situations/{situation.id}",
            "ETag": etag(situation.version),
        }
        return StoredResponse(201, read.model_dump(mode="json"), headers)

    return idempotency.respond(admin, data, work)


@router.get("")
def list_situations(
    user: CanListSituations,
    session: SessionDep,
    host_country: Annotated[CountryCode | None, Query()] = None,
    phase: Annotated[Phase | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SituationRead]:
    """List the situations the caller is a member of (admins: all), by name."""
    stmt = service.search(user, host_country=host_country, phase=phase)
    rows, next_cursor = paginate(
        session,
        stmt,
        _ORDER,
        cursor=cursor,
        limit=limit,
        scalars=False,
        row_key=lambda row: (row[0].name, row[0].id),
    )
    return Page[SituationRead](
        items=[service.situation_read(situation, role) for situation, role in rows],
        next_cursor=next_cursor,
    )


@router.get("/{sid}")
def get_situation(
    access: SituationReader, session: SessionDep, response: Response
) -> SituationRead:
    """Read a situation."""
    situation = service.load(session, access.situation.id)
    response.headers["ETag"] = etag(situation.version)
    return service.situation_read(situation, access.role)


@router.patch("/{sid}")
def update_situation(
    data: SituationUpdate,
    access: SituationWriter,
    session: SessionDep,
    response: Response,
    if_match: IfMatchDep,
) -> SituationRead:
    """Change a situation's fields (admins and its coordinators); needs `If-Match`."""
    situation = service.load(session, access.situation.id, for_update=True)
    if_match.check(situation.version)
    situation = service.update(session, situation, data, Actor.of(access.user))
    response.headers["ETag"] = etag(situation.version)
    return service.situation_read(situation, access.role)


@router.get("/{sid}/members")
def list_members(
    access: MembersReader, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[MembershipRead]:
    """List the situation's members and their roles."""
    stmt = service.members_query(access.situation.id)
    rows, next_cursor = paginate(session, stmt, _MEMBER_ORDER, cursor=cursor, limit=limit)
    return Page[MembershipRead](
        items=[MembershipRead.model_validate(m) for m in rows], next_cursor=next_cursor
    )


@router.get("/{sid}/members/{user_id}")
def get_member(user_id: uuid.UUID, access: MembersReader, session: SessionDep) -> MembershipRead:
    """Read one member's role."""
    return MembershipRead.model_validate(service.get_member(session, access.situation.id, user_id))


@router.put(
    "/{sid}/members/{user_id}",
    responses={
        200: {"description": "The user was a member already: their role now"},
        201: {"description": "The user is a new member", "model": MembershipRead},
    },
)
def set_member(
    user_id: uuid.UUID,
    data: MembershipIn,
    access: MembersWriter,
    session: SessionDep,
    response: Response,
) -> MembershipRead:
    """Give a user a role here: `coordinator`, `partner` or `viewer` (201 when new)."""
    membership, created = service.set_member(
        session, access.situation, user_id, data.role, Actor.of(access.user), by=access.user
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = f"/api/v1/situations/{access.situation.id}/members/{user_id}"
    return MembershipRead.model_validate(membership)


@router.delete("/{sid}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(user_id: uuid.UUID, access: MembersWriter, session: SessionDep) -> None:
    """Take a user out of the situation."""
    service.remove_member(session, access.situation, user_id, Actor.of(access.user))
