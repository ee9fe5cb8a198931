"""Reporting cycles of a situation, their obligations, and what the caller's organisation owes."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from app.auth.deps import CyclesReader, CyclesWriter, ObligationsLister, ObligationsWaiver, SignedIn
from app.checklist.schemas import ItemCode
from app.core.base import utcnow
from app.core.deps import SessionDep
from app.core.etag import IfMatchDep, etag
from app.core.pagination import Cursor, Limit, Page, SortKey, paginate
from app.core.vocab import CycleState, ObligationState
from app.cycles import service
from app.cycles.deps import CyclePath, ObligationPath
from app.cycles.schemas import CycleCreate, CycleRead, CycleUpdate, ObligationRead, WaiveIn
from app.events.service import Actor
from app.idempotency.deps import IdempotencyDep
from app.idempotency.service import StoredResponse
from app.models import ChecklistItem, Obligation, ReportingCycle

router = APIRouter(tags=["cycles"])

_DAY = SortKey(ReportingCycle.period_start, date.fromisoformat, date.isoformat)
_ORDER = [_DAY, SortKey(ReportingCycle.id, uuid.UUID)]
_OBLIGATION_ORDER = [SortKey(ChecklistItem.sort_order, int, int), SortKey(Obligation.id, uuid.UUID)]
_OWED_ORDER = [
    SortKey(ReportingCycle.due_date, date.fromisoformat, date.isoformat),
    SortKey(ChecklistItem.sort_order, int, int),
    SortKey(Obligation.id, uuid.UUID),
]


@router.get("/situations/{sid}/cycles")
def list_cycles(
    access: CyclesReader,
    session: SessionDep,
    state: Annotated[CycleState | None, Query(description="Open or closed today.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CycleRead]:
    """List the situation's reporting cycles, the latest period first."""
    today = utcnow().date()
    stmt = service.cycles_query(access.situation.id, state, today)
    rows, next_cursor = paginate(session, stmt, _ORDER, cursor=cursor, limit=limit, descending=True)
    return Page[CycleRead](
        items=[service.cycle_read(c, today) for c in rows], next_cursor=next_cursor
    )


@router.post(
    "/situations/{sid}/cycles", status_code=status.HTTP_201_CREATED, response_model=CycleRead
)
def open_cycle(
    data: CycleCreate, access: CyclesWriter, session: SessionDep, idempotency: IdempotencyDep
) -> JSONResponse:
    """Open a reporting cycle: one obligation per item and owning organisation in its roles."""

    def work() -> StoredResponse:
        cycle = service.create(session, access.situation.id, data, Actor.of(access.user))
        read = service.cycle_read(cycle, utcnow().date())
        headers = {
            "Location": f"/api/v1/situations/{access.situation.id}/cycles/{cycle.id}",
            "ETag": etag(cycle.version),
        }
        return StoredResponse(201, read.model_dump(mode="json"), headers)

    return idempotency.respond(access.user, data, work)


@router.get("/situations/{sid}/cycles/{cid}")
def get_cycle(
    cid: CyclePath, access: CyclesReader, session: SessionDep, response: Response
) -> CycleRead:
    """Read a reporting cycle; past cycles stay readable."""
    cycle = service.get(session, access.situation.id, cid)
    response.headers["ETag"] = etag(cycle.version)
    return service.cycle_read(cycle, utcnow().date())


@router.patch("/situations/{sid}/cycles/{cid}")
def update_cycle(
    cid: CyclePath,
    data: CycleUpdate,
    access: CyclesWriter,
    session: SessionDep,
    response: Response,
    if_match: IfMatchDep,
) -> CycleRead:
    """Rename a cycle, move its dates, close it or reopen it; needs `If-Match`."""
    cycle = service.get(session, access.situation.id, cid, for_update=True)
    if_match.check(cycle.version)
    cycle = service.update(session, cycle, data, Actor.of(access.user))
    response.headers["ETag"] = etag(cycle.version)
    return service.cycle_read(cycle, utcnow().date())


@router.get("/situations/{sid}/cycles/{cid}/obligations")
def list_obligations(
    cid: CyclePath,
    access: ObligationsLister,
    session: SessionDep,
    organisation_id: Annotated[uuid.UUID | None, Query()] = None,
    state: Annotated[ObligationState | None, Query()] = None,
    item: Annotated[ItemCode | None, Query(description="An item code.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ObligationRead]:
    """List a cycle's obligations in checklist order: coordinators all, partners their own."""
    today = utcnow().date()
    cycle = service.get(session, access.situation.id, cid)
    stmt = service.obligations_query(
        access, cycle, today=today, organisation_id=organisation_id, state=state, item_code=item
    )
    rows, next_cursor = paginate(
        session,
        stmt,
        _OBLIGATION_ORDER,
        cursor=cursor,
        limit=limit,
        scalars=False,
        row_key=lambda row: (row[1], row[0].id),
    )
    return Page[ObligationRead](
        items=[service.obligation_read(row[0], today) for row in rows], next_cursor=next_cursor
    )


@router.post("/situations/{sid}/cycles/{cid}/obligations/{oid}:waive")
def waive_obligation(
    cid: CyclePath,
    oid: ObligationPath,
    data: WaiveIn,
    access: ObligationsWaiver,
    session: SessionDep,
) -> ObligationRead:
    """Excuse an organisation from one report, with a reason (not once it was accepted)."""
    obligation = service.get_obligation(session, access, cid, oid)
    obligation = service.waive(session, obligation, data.reason, Actor.of(access.user))
    return service.obligation_read(obligation, utcnow().date())


@router.get("/users/me/obligations")
def list_my_obligations(
    user: SignedIn,
    session: SessionDep,
    state: Annotated[ObligationState | None, Query()] = None,
    include_closed: Annotated[
        bool, Query(description="Also the obligations of closed cycles.")
    ] = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ObligationRead]:
    """What your organisation owes in the situations you are a member of, soonest due first."""
    today = utcnow().date()
    stmt = service.owed_by(user, today=today, state=state, all_cycles=include_closed)
    rows, next_cursor = paginate(
        session,
        stmt,
        _OWED_ORDER,
        cursor=cursor,
        limit=limit,
        scalars=False,
        row_key=lambda row: (row[0].cycle.due_date, row[1], row[0].id),
    )
    return Page[ObligationRead](
        items=[service.obligation_read(row[0], today) for row in rows], next_cursor=next_cursor
    )
