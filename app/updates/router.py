"""Partner updates: submit (one or a batch), list, read, review (one or many)."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from app.auth.deps import UpdatesLister, UpdatesReviewer, UpdatesSubmitter
from app.checklist import service as checklist
from app.checklist.deps import ItemCodePath
from app.checklist.schemas import ItemCode
from app.core.deps import SessionDep
from app.core.pagination import Cursor, Limit, Page, SortKey, paginate, timestamp_key
from app.core.vocab import UpdateState
from app.events.service import Actor
from app.idempotency.deps import IdempotencyDep
from app.idempotency.service import StoredResponse
from app.models import Update
from app.ops.metrics import UPDATE_SUBMISSIONS
from app.updates import batches, service
from app.updates.deps import UpdateReader, UpdateReviewer
from app.updates.schemas import (
    BatchIn,
    BatchOut,
    BulkReviewIn,
    BulkReviewOut,
    ReviewIn,
    UpdateIn,
    UpdateRead,
)

router = APIRouter(tags=["updates"])


_ORDER = [
    timestamp_key(Update.submitted_at),
    SortKey(Update.id, uuid.UUID),
]


@router.post(
    "/situations/{sid}/items/{code}/updates",
    status_code=status.HTTP_201_CREATED,
    response_model=UpdateRead,
    responses={409: {"description": "A concurrent request with the same Idempotency-Key"}},
)
def submit_update(
    code: ItemCodePath,
    data: UpdateIn,
    access: UpdatesSubmitter,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> JSONResponse:
    """Report on an item (owning partners, coordinators); `Idempotency-Key` makes retries safe."""

    def work() -> StoredResponse:
        item = checklist.item_ref(session, access.situation.id, code, access.user.organisation_id)
        update = service.submit(session, access, item, data)
        UPDATE_SUBMISSIONS.labels("single").inc()
        body = UpdateRead.model_validate(update).model_dump(mode="json")
        return StoredResponse(201, body, {"Location": f"/api/v1/updates/{update.id}"})

    return idempotency.respond(access.user, data, work)


@router.post("/situations/{sid}/updates:batch", response_model=BatchOut)
def submit_batch(
    data: BatchIn,
    access: UpdatesSubmitter,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> JSONResponse:
    """Report on many items at once (up to 100): one result per update, in order."""

    def work() -> StoredResponse:
        results = batches.submit_batch(session, access, data.updates)
        return StoredResponse(200, BatchOut(results=results).model_dump(mode="json"), {})

    return idempotency.respond(access.user, data, work)


@router.get("/situations/{sid}/updates")
def list_updates(
    access: UpdatesLister,
    session: SessionDep,
    state: Annotated[UpdateState | None, Query()] = None,
    item: Annotated[ItemCode | None, Query(description="An item code.")] = None,
    organisation_id: Annotated[uuid.UUID | None, Query()] = None,
    period_from: Annotated[
        date | None, Query(description="Reporting period ends on or after.")
    ] = None,
    period_to: Annotated[
        date | None, Query(description="Reporting period starts on or before.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[UpdateRead]:
    """List updates, newest first: coordinators all, partners their own, viewers accepted ones."""
    stmt = service.updates_query(
        access,
        state=state,
        item_code=item,
        organisation_id=organisation_id,
        period_from=period_from,
        period_to=period_to,
    )
    rows, next_cursor = paginate(session, stmt, _ORDER, cursor=cursor, limit=limit, descending=True)
    return Page[UpdateRead](
        items=[UpdateRead.model_validate(u) for u in rows], next_cursor=next_cursor
    )


@router.post("/situations/{sid}/updates:review", response_model=BulkReviewOut)
def review_many(data: BulkReviewIn, access: UpdatesReviewer, session: SessionDep) -> BulkReviewOut:
    """Accept or return many submitted updates with one comment; one result per update."""
    results = batches.review_many(session, access, data.update_ids, data.decision, data.comment)
    return BulkReviewOut(results=results)


@router.get("/updates/{uid}")
def get_update(found: UpdateReader) -> UpdateRead:
    """Read one update (with the reviewer's comment once reviewed)."""
    return UpdateRead.model_validate(found.update)


@router.post("/updates/{uid}/review")
def review_update(data: ReviewIn, found: UpdateReviewer, session: SessionDep) -> UpdateRead:
    """Accept an update (its status is applied to the item) or return it with a comment; once."""
    update = service.review(
        session, found.update.id, data.decision, data.comment, Actor.of(found.access.user)
    )
    return UpdateRead.model_validate(update)
