"""The dashboard's pages: situations, one situation, one item, the review queue.

Signing in and out, and invitations, are ``app.accounts.pages``.

Pages are server-rendered (Jinja2, autoescaped) and call the same services, with the same
permissions, as the API. Signed out, a page redirects to ``/signin``; errors are HTML pages.
"""

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.staticfiles import StaticFiles

from app.auth.permissions import Permission
from app.checklist.deps import ItemCodePath, ItemListCacheDep
from app.core.base import utcnow
from app.core.deps import RegistryDep, SessionDep
from app.core.vocab import ItemStatus, PillarCode
from app.dashboard import (
    admin,
    coordinator,
    fragments,
    framework_view,
    funding_forms,
    item_page,
    members,
    organisation_views,
    partner,
    pledges,
    review_pages,
    seeing,
    seeing_views,
    views,
)
from app.dashboard.deps import (
    ItemPage,
    SituationPage,
    SituationsPage,
    csrf_protected,
    same_origin,
)
from app.dashboard.fragments import TableCacheDep
from app.dashboard.params import Blank, PageCursor
from app.dashboard.rendering import STATIC_DIR, PageRoute, fragment, render
from app.frameworks.deps import FrameworkQuery
from app.progress.period import default_period

router = APIRouter(
    route_class=PageRoute,
    include_in_schema=False,
    default_response_class=HTMLResponse,
    dependencies=[Depends(same_origin), Depends(csrf_protected)],
)
router.include_router(seeing.router)
router.include_router(admin.router)
router.include_router(pledges.router)


PillarFilter = Annotated[PillarCode | None, Query(), Blank]
StatusFilter = Annotated[ItemStatus | None, Query(), Blank]
OwnerFilter = Annotated[uuid.UUID | None, Query(), Blank]
GapFilter = Annotated[views.Gap | None, Query(), Blank]


def static_files() -> StaticFiles:
    """The dashboard's own CSS (and any script), served under ``/static``."""
    return StaticFiles(directory=STATIC_DIR)


@router.get("/")
def home(
    request: Request,
    user: SituationsPage,
    session: SessionDep,
    registry: RegistryDep,
    cursor: PageCursor = None,
) -> Response:
    """Partners: their organisation's workspace. Others: the situations they may see."""
    if organisation_views.is_partner_home(session, user):
        return partner.organisation_page(request, user, session, registry)
    return situations_page(request, user, session, registry, cursor)


@router.get("/situations")
def situations_page(
    request: Request,
    user: SituationsPage,
    session: SessionDep,
    registry: RegistryDep,
    cursor: PageCursor = None,
) -> Response:
    """The situations you may see, with progress and gaps per pillar."""
    cards, next_cursor = views.situation_cards(session, user, registry, now=utcnow(), cursor=cursor)
    return render(request, "home.html", {"user": user, "cards": cards, "next_cursor": next_cursor})


@router.get("/situations/{sid}")
def situation_page(
    request: Request,
    access: SituationPage,
    session: SessionDep,
    registry: RegistryDep,
    cache: ItemListCacheDep,
    tables: TableCacheDep,
    pillar: PillarFilter = None,
    status: StatusFilter = None,
    owner: OwnerFilter = None,
    gap: GapFilter = None,
    cursor: PageCursor = None,
    framework: FrameworkQuery = None,
) -> Response:
    """A situation: its pillar chart, and its items with filters and gaps highlighted."""
    now = utcnow()
    filters = views.ItemTableFilters(pillar=pillar, status=status, owner=owner, gap=gap)
    rows, next_cursor = views.item_rows(
        session, access, registry, cache, filters, now=now, cursor=cursor
    )
    every_item = cursor is None and next_cursor is None
    summary = views.summary(session, access, registry, now)
    pillars = [views.PillarView(p) for p in summary.pillars]
    pillar_titles = {p.code.value: p.title for p in summary.pillars}
    table = {
        "situation": access.situation,
        "sid": access.situation.id,
        "pillars": pillars,
        "pillar_titles": pillar_titles,
        "rows": rows,
        "filters": filters,
    }
    key = fragments.table_key(access.situation, rows, filters.active)
    items_table = fragments.rendered(
        tables, key, lambda: fragment(request, "_items_table.html", table)
    )
    context = {
        "user": access.user,
        "access": access,
        "situation": access.situation,
        "can_review": access.can(Permission.UPDATES_REVIEW),
        "summary": summary,
        "pillars": pillars,
        "pillar_titles": pillar_titles,
        "items_table": Markup(items_table),  # noqa: S704 - rendered by our autoescaped template
        "filters": filters,
        "owners": views.owning_organisations(
            session, access, rows if not filters.active and every_item else None
        ),
        "population": seeing_views.population(session, access),
        "gap_labels": views.GAP_LABELS,
        "rows": rows,
        "next_query": (
            urlencode({**filters.query(), "cursor": next_cursor}) if next_cursor else None
        ),
        "report_period": default_period(now.date()),
        **framework_view.context(session, access, registry, framework),
    }
    return render(request, "situation.html", context)


@router.get("/situations/{sid}/items/{code}")
def item_page_view(
    request: Request,
    code: ItemCodePath,
    access: ItemPage,
    session: SessionDep,
    registry: RegistryDep,
    cursor: PageCursor = None,
    resubmit: Annotated[uuid.UUID | None, Query(), Blank] = None,
) -> Response:
    """One item: its Annex I text, owners, flags, history newest first, and the update form."""
    context = item_page.context(session, access, registry, code, cursor=cursor, resubmit=resubmit)
    return render(request, "item.html", context)


router.include_router(review_pages.router)
router.include_router(coordinator.router)
router.include_router(members.router)
router.include_router(funding_forms.router)
router.include_router(framework_view.router)
router.include_router(partner.router)
