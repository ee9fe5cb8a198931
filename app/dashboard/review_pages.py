"""The review queue's pages: filter it, review one update or several with one comment.

After a review the browser comes back to the queue at the next card (``#update-<id>``),
which takes the focus; a review that changed nothing comes back to its message instead.
"""

import uuid
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app.checklist.schemas import ItemCode
from app.core.base import utcnow
from app.core.deps import RegistryDep, SessionDep
from app.core.vocab import PillarCode
from app.dashboard import review, views
from app.dashboard.deps import ReviewPage, csrf_protected, same_origin
from app.dashboard.params import Blank, PageCursor
from app.dashboard.rendering import PageRoute, render

router = APIRouter(
    route_class=PageRoute,
    include_in_schema=False,
    default_response_class=HTMLResponse,
    dependencies=[Depends(same_origin), Depends(csrf_protected)],
)

OrganisationFilter = Annotated[uuid.UUID | None, Blank]
PillarFilter = Annotated[PillarCode | None, Blank]
CodeFilter = Annotated[ItemCode | None, Blank]


def _queue_filters(
    organisation: Annotated[OrganisationFilter, Query()] = None,
    pillar: Annotated[PillarFilter, Query()] = None,
    code: Annotated[CodeFilter, Query()] = None,
) -> review.QueueFilters:
    return review.QueueFilters(organisation=organisation, pillar=pillar, code=code)


def _form_filters(
    organisation: Annotated[OrganisationFilter, Form()] = None,
    pillar: Annotated[PillarFilter, Form()] = None,
    code: Annotated[CodeFilter, Form()] = None,
) -> review.QueueFilters:
    return review.QueueFilters(organisation=organisation, pillar=pillar, code=code)


QueueFiltersDep = Annotated[review.QueueFilters, Depends(_queue_filters)]
FormFiltersDep = Annotated[review.QueueFilters, Depends(_form_filters)]


@router.get("/situations/{sid}/review")
def review_queue(
    request: Request,
    access: ReviewPage,
    session: SessionDep,
    registry: RegistryDep,
    filters: QueueFiltersDep,
    done: Annotated[review.Outcome | None, Query(), Blank] = None,
    item: Annotated[ItemCode | None, Query(), Blank] = None,
    count: Annotated[int, Query(ge=0, le=1000)] = 0,
    skipped: Annotated[int, Query(ge=0, le=1000)] = 0,
    cursor: PageCursor = None,
) -> Response:
    """Coordinators: the updates waiting for review, oldest first, filtered; review one or many."""
    now = utcnow()
    entries, next_cursor = review.review_queue(
        session, access, registry, filters, now=now, cursor=cursor
    )
    context = {
        "user": access.user,
        "situation": access.situation,
        "can_review": True,
        "entries": entries,
        "filters": filters,
        "organisations": views.owning_organisations(session, access),
        "pillar_codes": list(PillarCode),
        "next_query": (
            urlencode({**filters.query(), "cursor": next_cursor}) if next_cursor else None
        ),
        "message": review.outcome_message(done, item, count, skipped) if done else None,
        "success": done in review.SUCCESSES,
    }
    return render(request, "review.html", context)


def _back_to_queue(
    access: ReviewPage,
    session: SessionDep,
    filters: review.QueueFilters,
    query: dict[str, str],
    after: tuple[datetime, uuid.UUID] | None,
) -> Response:
    """303 to the (filtered) queue; after a decision, at the card that comes next."""
    target = f"/situations/{access.situation.id}/review?{urlencode({**filters.query(), **query})}"
    following = review.next_card(session, access, filters, after) if after else None
    if following is not None:
        target += f"#update-{following}"
    return RedirectResponse(target, status_code=303)


@router.post("/situations/{sid}/review")
def review_selected(
    access: ReviewPage,
    session: SessionDep,
    filters: FormFiltersDep,
    update_ids: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006
    decision: Annotated[str, Form(max_length=20)] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    """Accept or return the selected updates with one comment; back to the next card."""
    result = review.review_many(session, access, update_ids, decision, comment)
    query = {"done": result.outcome.value}
    if result.done:
        query |= {"count": str(result.done), "skipped": str(result.skipped)}
    return _back_to_queue(access, session, filters, query, result.first)


@router.post("/situations/{sid}/review/{uid}")
def review_update(
    uid: Annotated[uuid.UUID, Path()],
    access: ReviewPage,
    session: SessionDep,
    filters: FormFiltersDep,
    decision: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    """Accept or return one update; back to the queue, which says how it went."""
    outcome, item = review.review(session, access, uid, decision, comment)
    query = {"done": outcome.value, **({"item": item} if item else {})}
    after = review.submitted_key(session, uid) if outcome in review.SUCCESSES else None
    return _back_to_queue(access, session, filters, query, after)
