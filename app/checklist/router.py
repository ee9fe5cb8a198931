"""The checklist of a situation: items, owners, history."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from app.auth.deps import HistoryReader, ItemsReader, ItemsWriter, OwnersWriter
from app.checklist import listing, service
from app.checklist.deps import ItemCodePath, ItemListCacheDep
from app.checklist.listing import ItemFilters
from app.checklist.schemas import EventRead, ItemCreate, ItemPatch, ItemRead, OwnersIn
from app.core.base import utcnow
from app.core.deps import RegistryDep, SessionDep
from app.core.etag import IfMatchDep, etag
from app.core.pagination import Cursor, Limit, Page, SortKey, paginate, timestamp_key
from app.core.vocab import ItemStatus, PillarCode
from app.events.service import Actor
from app.frameworks.deps import FrameworkQuery
from app.frameworks.views import FrameworkChecklist, refuse_filters, through
from app.funding import figures
from app.idempotency.deps import IdempotencyDep
from app.idempotency.service import StoredResponse
from app.models import Event
from app.pledges.items import item_pledges
from app.templates.deps import Language

router = APIRouter(prefix="/situations/{sid}/items", tags=["checklist"])


_HISTORY_ORDER = [
    timestamp_key(Event.at),
    SortKey(Event.id, uuid.UUID),
]


@router.get("", response_model=Page[ItemRead] | FrameworkChecklist)
def list_items(
    request: Request,
    access: ItemsReader,
    session: SessionDep,
    registry: RegistryDep,
    cache: ItemListCacheDep,
    language: Language,
    pillar: Annotated[PillarCode | None, Query()] = None,
    status_: Annotated[
        list[ItemStatus] | None, Query(alias="status", max_length=5, description="Repeatable.")
    ] = None,
    owner: Annotated[
        uuid.UUID | None, Query(description="An owning organisation, any role.")
    ] = None,
    overdue: bool | None = None,
    stale: bool | None = None,
    no_data: bool | None = None,
    lead_missing: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    framework: FrameworkQuery = None,
) -> Page[ItemRead] | FrameworkChecklist | Response:
    """List the checklist in Annex I order, with filters; or through an adopted framework."""
    filters = ItemFilters(
        pillar=pillar,
        statuses=tuple(status_ or ()),
        owner=owner,
        overdue=overdue,
        stale=stale,
        no_data=no_data,
        lead_missing=lead_missing,
    )
    if framework is not None:
        refuse_filters(filters != ItemFilters() or cursor is not None)
        return through(session, access.situation, registry, framework, language)
    page = listing.items_page(
        session,
        access.situation,
        registry,
        cache,
        filters,
        cursor=cursor,
        limit=limit,
        now=utcnow(),
    )
    if isinstance(page, Page):
        return page
    # A kept page goes out as the body it keeps: the response model's JSON, made once
    # (``app.checklist.list_cache``; bench "list 43 items").
    return page.response(request.headers.get("Accept-Encoding", ""))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ItemRead)
def create_item(
    data: ItemCreate,
    access: ItemsWriter,
    session: SessionDep,
    registry: RegistryDep,
    idempotency: IdempotencyDep,
) -> JSONResponse:
    """Add a context-specific item mapped to an Annex I element (Annex I ¶3)."""

    def work() -> StoredResponse:
        situation = access.situation
        item = service.create_item(session, situation, registry, data, Actor.of(access.user))
        read = service.item_read(item, situation, registry, utcnow())
        headers = {
            "Location": f"/api/v1/situations/{situation.id}/items/{item.code}",
            "ETag": etag(item.version),
        }
        return StoredResponse(201, read.model_dump(mode="json"), headers)

    return idempotency.respond(access.user, data, work)


@router.get("/{code}")
def get_item(
    code: ItemCodePath,
    access: ItemsReader,
    session: SessionDep,
    registry: RegistryDep,
    response: Response,
) -> ItemRead:
    """Read one item: Annex I text, owners, flags, pledges, funding; the ETag is its version."""
    item = service.get_item(session, access.situation.id, code)
    response.headers["ETag"] = etag(item.version)
    read = service.item_read(item, access.situation, registry, utcnow())
    return read.model_copy(
        update={
            "pledges": item_pledges(session, item.id),
            "funding": figures.of_item(session, item.id).funding(),
        }
    )


@router.patch(
    "/{code}",
    responses={412: {"description": "Stale If-Match"}, 428: {"description": "If-Match missing"}},
)
def patch_item(
    code: ItemCodePath,
    data: ItemPatch,
    access: ItemsWriter,
    session: SessionDep,
    registry: RegistryDep,
    response: Response,
    if_match: IfMatchDep,
) -> ItemRead:
    """Change status, status note or target date; needs `If-Match` with the current ETag."""
    item = service.get_item(session, access.situation.id, code, for_update=True)
    if_match.check(item.version)
    item = service.patch_item(session, item, data, Actor.of(access.user))
    response.headers["ETag"] = etag(item.version)
    return service.item_read(item, access.situation, registry, utcnow())


@router.put("/{code}/owners")
def set_owners(
    code: ItemCodePath,
    data: OwnersIn,
    access: OwnersWriter,
    session: SessionDep,
    registry: RegistryDep,
    response: Response,
    if_match: IfMatchDep,
) -> ItemRead:
    """Replace the item's owners: at most one `lead`, any `support`, `funding`, `implementing`."""
    item = service.get_item(session, access.situation.id, code, for_update=True)
    if_match.check(item.version)
    item = service.set_owners(session, item, data, Actor.of(access.user))
    response.headers["ETag"] = etag(item.version)
    return service.item_read(item, access.situation, registry, utcnow())


@router.get("/{code}/history")
def item_history(
    code: ItemCodePath,
    access: HistoryReader,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[EventRead]:
    """List the item's events, newest first."""
    item = service.get_item(session, access.situation.id, code)
    rows, next_cursor = paginate(
        session,
        service.history_query(item, access),
        _HISTORY_ORDER,
        cursor=cursor,
        limit=limit,
        descending=True,
        scalars=False,
        row_key=lambda row: (row[0].at, row[0].id),
    )
    return Page[EventRead](
        items=[service.event_read(r, item.code) for r in rows], next_cursor=next_cursor
    )
