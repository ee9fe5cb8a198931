"""Pledges: public to every user, written by admins and their parties' users."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from app.checklist.schemas import ItemCode
from app.core.deps import SessionDep
from app.core.etag import IfMatchDep, etag
from app.core.pagination import Cursor, Limit, Page, SortKey, paginate, timestamp_key
from app.core.vocab import PledgeStatus, PledgeType
from app.idempotency.deps import IdempotencyDep
from app.idempotency.service import StoredResponse
from app.models import PledgeProgress
from app.pledges import progress, service
from app.pledges.deps import PledgeCreator, PledgePath, PledgesReader, PledgeWriter
from app.pledges.schemas import (
    Forum,
    PledgeCreate,
    PledgeRead,
    PledgeUpdate,
    ProgressIn,
    ProgressRead,
)

router = APIRouter(prefix="/pledges", tags=["pledges"])

_PROGRESS_ORDER = [
    SortKey(PledgeProgress.year, int, int),
    timestamp_key(PledgeProgress.submitted_at),
    SortKey(PledgeProgress.id, uuid.UUID),
]


@router.get("")
def list_pledges(
    _user: PledgesReader,
    session: SessionDep,
    forum: Annotated[Forum | None, Query()] = None,
    type: Annotated[PledgeType | None, Query()] = None,
    objective: Annotated[int | None, Query(ge=1, le=4, description="A GCR objective.")] = None,
    status: Annotated[PledgeStatus | None, Query()] = None,
    organisation_id: Annotated[uuid.UUID | None, Query(description="A party.")] = None,
    situation_id: Annotated[uuid.UUID | None, Query(description="A linked situation.")] = None,
    code: Annotated[
        ItemCode | None, Query(description="A linked item, or any item under this element.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PledgeRead]:
    """List pledges, newest first, filtered by forum, type, objective, status, party or item."""
    stmt = service.list_query(
        forum=forum,
        type_=type,
        objective=objective,
        status=status,
        organisation_id=organisation_id,
        situation_id=situation_id,
        code=code,
    )
    rows, next_cursor = paginate(
        session, stmt, service.ORDER, cursor=cursor, limit=limit, descending=True
    )
    return Page[PledgeRead](items=[service.pledge_read(p) for p in rows], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PledgeRead)
def create_pledge(
    data: PledgeCreate, user: PledgeCreator, session: SessionDep, idempotency: IdempotencyDep
) -> JSONResponse:
    """Record a pledge: its parties (your organisation among them) and the items it serves."""

    def work() -> StoredResponse:
        pledge = service.create(session, user, data)
        headers = {"Location": f"/api/v1/pledges/{pledge.id}", "ETag": etag(pledge.version)}
        return StoredResponse(201, service.pledge_read(pledge).model_dump(mode="json"), headers)

    return idempotency.respond(user, data, work)


@router.get("/{pid}")
def get_pledge(
    pid: PledgePath, _user: PledgesReader, session: SessionDep, response: Response
) -> PledgeRead:
    """Read a pledge with its parties and links; the ETag is its version."""
    pledge = service.get(session, pid)
    response.headers["ETag"] = etag(pledge.version)
    return service.pledge_read(pledge)


@router.patch("/{pid}")
def update_pledge(
    data: PledgeUpdate,
    access: PledgeWriter,
    session: SessionDep,
    response: Response,
    if_match: IfMatchDep,
) -> PledgeRead:
    """Change a pledge (parties and links replace their sets); needs `If-Match`."""
    if_match.check(access.pledge.version)
    pledge = service.update(session, access.user, access.pledge, data)
    response.headers["ETag"] = etag(pledge.version)
    return service.pledge_read(pledge)


@router.get("/{pid}/progress")
def list_progress(
    pid: PledgePath,
    _user: PledgesReader,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ProgressRead]:
    """List a pledge's progress reports, the latest year first."""
    service.get(session, pid)
    rows, next_cursor = paginate(
        session,
        progress.reports_query(pid),
        _PROGRESS_ORDER,
        cursor=cursor,
        limit=limit,
        descending=True,
    )
    return Page[ProgressRead](
        items=[progress.progress_read(r) for r in rows], next_cursor=next_cursor
    )


@router.post("/{pid}/progress", status_code=status.HTTP_201_CREATED, response_model=ProgressRead)
def report_progress(
    data: ProgressIn, access: PledgeWriter, session: SessionDep, idempotency: IdempotencyDep
) -> JSONResponse:
    """Report a year's progress as a party; a `status` given becomes the pledge's."""

    def work() -> StoredResponse:
        entry = progress.report(session, access.user, access.pledge, data)
        body = progress.progress_read(entry).model_dump(mode="json")
        location = f"/api/v1/pledges/{access.pledge.id}/progress"
        return StoredResponse(201, body, {"Location": location})

    return idempotency.respond(access.user, data, work)
