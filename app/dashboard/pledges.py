"""The public pledges page: every pledge, filtered by forum, type, objective and status."""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.permissions import Permission
from app.core.deps import SessionDep
from app.core.pagination import paginate
from app.core.vocab import GCR_OBJECTIVES, PledgeStatus, PledgeType
from app.dashboard.deps import page_permission
from app.dashboard.params import Blank, PageCursor
from app.dashboard.rendering import PageRoute, render
from app.i18n import N_
from app.models import Membership, Situation, User
from app.pledges import service
from app.pledges.schemas import Forum

router = APIRouter(
    route_class=PageRoute, include_in_schema=False, default_response_class=HTMLResponse
)

PledgesPage = Annotated[User, Depends(page_permission(Permission.PLEDGES_READ))]
# The Global Compact on Refugees' objectives, as the filter and the table name them.
OBJECTIVE_LABELS = {
    1: N_("Ease pressures on host countries"),
    2: N_("Enhance refugee self-reliance"),
    3: N_("Expand access to third-country solutions"),
    4: N_("Support conditions for return in safety and dignity"),
}
PAGE_SIZE = 50


def situation_names(
    session: Session, user: User, situation_ids: set[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of those situations that ``user`` may see: links elsewhere show no name."""
    stmt = select(Situation.id, Situation.name).where(Situation.id.in_(situation_ids))
    if not user.is_admin:
        mine = select(Membership.situation_id).where(Membership.user_id == user.id)
        stmt = stmt.where(Situation.id.in_(mine))
    return {row.id: row.name for row in session.execute(stmt)}


@router.get("/pledges")
def pledges_page(
    request: Request,
    user: PledgesPage,
    session: SessionDep,
    forum: Annotated[Forum | None, Query(), Blank] = None,
    type: Annotated[PledgeType | None, Query(), Blank] = None,
    objective: Annotated[int | None, Query(ge=1, le=4), Blank] = None,
    status: Annotated[PledgeStatus | None, Query(), Blank] = None,
    cursor: PageCursor = None,
) -> Response:
    """Every pledge, newest first, with its parties and the items it serves."""
    filters: dict[str, Any] = {"forum": forum, "type": type, "objective": objective}
    filters["status"] = status
    stmt = service.list_query(forum=forum, type_=type, objective=objective, status=status)
    rows, next_cursor = paginate(
        session, stmt, service.ORDER, cursor=cursor, limit=PAGE_SIZE, descending=True
    )
    query = {k: str(v) for k, v in filters.items() if v is not None}
    pledges = [service.pledge_read(p) for p in rows]
    linked = {link.situation_id for pledge in pledges for link in pledge.links}
    context = {
        "user": user,
        "pledges": pledges,
        "filters": filters,
        "active": bool(query),
        "names": situation_names(session, user, linked),
        "types": list(PledgeType),
        "pledge_statuses": list(PledgeStatus),
        "objectives": {o: OBJECTIVE_LABELS[o] for o in GCR_OBJECTIVES},
        "next_href": "/pledges?" + urlencode({**query, "cursor": next_cursor})
        if next_cursor
        else None,
    }
    return render(request, "pledges.html", context)
