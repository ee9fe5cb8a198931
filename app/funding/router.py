"""Requirements per item and year, and the funding flows of a situation.

Money is a JSON string of decimals, never a float: see ``app.funding.rules`` for how a
flow's USD amount is made (half-even to the cent) and split between the items it serves.
"""

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from app.auth.deps import FundingManager, FundingReader, FundingRecorder
from app.checklist.deps import ItemCodePath
from app.checklist.schemas import ItemCode
from app.core.deps import SessionDep
from app.core.errors import NotFound
from app.core.etag import IfMatchDep, OptionalIfMatchDep, etag
from app.core.pagination import Cursor, Limit, Page, SortKey, paginate
from app.core.vocab import FlowStatus
from app.events.service import Actor
from app.funding import requirements, service
from app.funding.deps import FlowPath, YearPath
from app.funding.schemas import FlowCreate, FlowRead, FlowUpdate, RequirementIn, RequirementRead
from app.idempotency.deps import IdempotencyDep
from app.idempotency.service import StoredResponse
from app.models import FundingFlow, FundingRequirement

router = APIRouter(tags=["funding"])

_YEARS = [SortKey(FundingRequirement.year, int, int)]
_FLOWS = [
    SortKey(FundingFlow.date, date.fromisoformat, date.isoformat),
    SortKey(FundingFlow.id, uuid.UUID),
]
_CREATED: dict[int | str, dict[str, Any]] = {
    201: {"model": RequirementRead, "description": "Created: the first for this year."}
}


@router.get("/situations/{sid}/items/{code}/requirements")
def list_requirements(
    code: ItemCodePath,
    access: FundingReader,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[RequirementRead]:
    """List what an item needs, year by year."""
    item_id, _ = requirements.item_of(session, access.situation.id, code)
    stmt = requirements.requirements_query(item_id)
    rows, next_cursor = paginate(session, stmt, _YEARS, cursor=cursor, limit=limit)
    return Page[RequirementRead](
        items=[requirements.read(r, code) for r in rows], next_cursor=next_cursor
    )


@router.get("/situations/{sid}/items/{code}/requirements/{year}")
def get_requirement(
    code: ItemCodePath,
    year: YearPath,
    access: FundingReader,
    session: SessionDep,
    response: Response,
) -> RequirementRead:
    """Read what an item needs in a year (404 when none was set)."""
    item_id, _ = requirements.item_of(session, access.situation.id, code)
    requirement = requirements.get(session, item_id, year)
    if requirement is None:
        raise NotFound("No requirement was set for this item and year.")
    response.headers["ETag"] = etag(requirement.version)
    return requirements.read(requirement, code)


@router.put("/situations/{sid}/items/{code}/requirements/{year}", responses=_CREATED)
def set_requirement(
    code: ItemCodePath,
    year: YearPath,
    data: RequirementIn,
    access: FundingManager,
    session: SessionDep,
    response: Response,
    if_match: OptionalIfMatchDep,
) -> RequirementRead:
    """Set what an item needs in a year: 201 the first time, then replace it with `If-Match`."""
    requirement, created = requirements.put(
        session, access.situation.id, code, year, data, if_match, Actor.of(access.user)
    )
    response.headers["ETag"] = etag(requirement.version)
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = (
            f"/api/v1/situations/{access.situation.id}/items/{code}/requirements/{year}"
        )
    return requirements.read(requirement, code)


@router.delete(
    "/situations/{sid}/items/{code}/requirements/{year}", status_code=status.HTTP_204_NO_CONTENT
)
def delete_requirement(
    code: ItemCodePath,
    year: YearPath,
    access: FundingManager,
    session: SessionDep,
    if_match: OptionalIfMatchDep,
) -> None:
    """Delete what an item needs in a year (404 when none was set); `If-Match` optional."""
    requirements.delete(session, access.situation.id, code, year, if_match, Actor.of(access.user))


@router.get("/situations/{sid}/funding")
def list_flows(
    access: FundingReader,
    session: SessionDep,
    item: Annotated[ItemCode | None, Query(description="Flows serving this item.")] = None,
    flow_status: Annotated[FlowStatus | None, Query(alias="status")] = None,
    organisation_id: Annotated[
        uuid.UUID | None, Query(description="Flows from or to this organisation.")
    ] = None,
    year: Annotated[int | None, Query(ge=1990, le=2100, description="Budget year.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[FlowRead]:
    """List the situation's funding flows, the latest first."""
    stmt = service.flows_query(
        access.situation.id,
        item=item,
        status=flow_status,
        organisation_id=organisation_id,
        year=year,
    )
    rows, next_cursor = paginate(session, stmt, _FLOWS, cursor=cursor, limit=limit, descending=True)
    return Page[FlowRead](items=[service.flow_read(flow) for flow in rows], next_cursor=next_cursor)


@router.post(
    "/situations/{sid}/funding", status_code=status.HTTP_201_CREATED, response_model=FlowRead
)
def record_flow(
    data: FlowCreate, access: FundingRecorder, session: SessionDep, idempotency: IdempotencyDep
) -> JSONResponse:
    """Record a pledge, commitment or payment; partners only from their own organisation."""

    def work() -> StoredResponse:
        flow = service.create(session, access, data, Actor.of(access.user))
        headers = {
            "Location": f"/api/v1/situations/{access.situation.id}/funding/{flow.id}",
            "ETag": etag(flow.version),
        }
        return StoredResponse(201, service.flow_read(flow).model_dump(mode="json"), headers)

    return idempotency.respond(access.user, data, work)


@router.get("/situations/{sid}/funding/{fid}")
def get_flow(
    fid: FlowPath, access: FundingReader, session: SessionDep, response: Response
) -> FlowRead:
    """Read a funding flow, with each item's share of it."""
    flow = service.get(session, access.situation.id, fid)
    response.headers["ETag"] = etag(flow.version)
    return service.flow_read(flow)


@router.patch("/situations/{sid}/funding/{fid}")
def update_flow(
    fid: FlowPath,
    data: FlowUpdate,
    access: FundingRecorder,
    session: SessionDep,
    response: Response,
    if_match: IfMatchDep,
) -> FlowRead:
    """Advance a flow (pledge → commitment → paid) or correct it; needs `If-Match`."""
    flow = service.get(session, access.situation.id, fid, for_update=True)
    if_match.check(flow.version)
    flow = service.update(session, access, flow, data, Actor.of(access.user))
    response.headers["ETag"] = etag(flow.version)
    return service.flow_read(flow)


@router.delete("/situations/{sid}/funding/{fid}", status_code=status.HTTP_204_NO_CONTENT)
def delete_flow(fid: FlowPath, access: FundingRecorder, session: SessionDep) -> None:
    """Delete a flow recorded by mistake; partners only their own organisation's."""
    flow = service.get(session, access.situation.id, fid, for_update=True)
    service.delete(session, access, flow, Actor.of(access.user))
