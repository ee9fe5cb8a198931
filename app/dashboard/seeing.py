"""Pages that show the response: a situation's trend and progress report, the roll-up
matrix, and the exports.

The exports stream the very files of the API's export routes (``app.exports.router``'s
helpers), signed in by the dashboard's session and with the same permissions.
"""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse

from app import i18n
from app.auth.access import SituationAccess
from app.auth.permissions import Permission
from app.core.base import utcnow
from app.core.deps import RegistryDep, SessionDep
from app.core.schemas import CountryCode
from app.core.vocab import ItemStatus, Phase, PillarCode
from app.dashboard import seeing_views as views
from app.dashboard.deps import page_permission, situation_page_permission
from app.dashboard.params import Blank
from app.dashboard.rendering import PageRoute, render
from app.exports.deps import ExportSessions
from app.exports.formats import ExportFormat
from app.exports.router import rollup_attachment, situation_attachment
from app.models import User
from app.progress import render as report_render
from app.progress import report
from app.progress.deps import FormatQuery, ReportPeriod
from app.progress.router import drawn_response
from app.reporting.trend import DEFAULT_MONTHS, MAX_MONTHS

router = APIRouter(
    route_class=PageRoute, include_in_schema=False, default_response_class=HTMLResponse
)

P = Permission
ReportsPage = Annotated[SituationAccess, Depends(situation_page_permission(P.REPORTS_READ))]
ExportsPage = Annotated[SituationAccess, Depends(situation_page_permission(P.EXPORTS_READ))]
RollupPage = Annotated[User, Depends(page_permission(P.SUMMARY_READ))]

FormatChoice = Annotated[ExportFormat, Query(alias="format")]
PillarChoice = Annotated[PillarCode | None, Query(), Blank]
StatusChoice = Annotated[ItemStatus | None, Query(), Blank]
PhaseChoice = Annotated[Phase | None, Query(), Blank]
CountryChoice = Annotated[CountryCode | None, Query(), Blank]
Months = Annotated[int, Query(ge=1, le=MAX_MONTHS)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
GapChoice = Annotated[float | None, Query(ge=0, le=1), Blank]


@router.get("/situations/{sid}/trend")
def trend_page(
    request: Request,
    access: ReportsPage,
    session: SessionDep,
    registry: RegistryDep,
    pillar: PillarChoice = None,
    months: Months = DEFAULT_MONTHS,
) -> Response:
    """A situation's share in place and its statuses month by month, overall or per pillar."""
    situation = access.situation
    context = {
        "user": access.user,
        "situation": situation,
        "trend": views.trend_view(session, access, now=utcnow(), pillar=pillar, months=months),
        "pillar_titles": views.pillar_titles(
            registry, situation.template_id, situation.template_version
        ),
        "month_choices": (6, 12, 24),
    }
    return render(request, "trend.html", context)


@router.get("/situations/{sid}/report")
def report_page(
    access: ReportsPage,
    session: SessionDep,
    registry: RegistryDep,
    period: ReportPeriod,
    report_format: FormatQuery = "html",
    lang: Annotated[i18n.Language | None, Query(), Blank] = None,
) -> Response:
    """The situation's progress report for a period: the API report's file, in the page's
    language unless another is chosen."""
    language = lang or i18n.current()
    built = report.build(session, access, registry, period=period, language=language, now=utcnow())
    return drawn_response(report_render.draw(built, report_format), language)


@router.get("/situations/{sid}/export", response_class=StreamingResponse)
def situation_export(
    access: ExportsPage, sessions: ExportSessions, export_format: FormatChoice = ExportFormat.CSV
) -> StreamingResponse:
    """The situation's checklist as CSV, HXL or XLSX: the API export's file."""
    return situation_attachment(access, sessions, export_format)


@router.get("/rollup")
def rollup_page(
    request: Request,
    user: RollupPage,
    session: SessionDep,
    registry: RegistryDep,
    host_country: CountryChoice = None,
    phase: PhaseChoice = None,
    pillar: PillarChoice = None,
    status: StatusChoice = None,
    pledged_not_in_place: Annotated[bool, Query()] = False,
    funding_gap_above: GapChoice = None,
    offset: Offset = 0,
) -> Response:
    """Elements by situations: each Annex I element's status in each situation you may see."""
    filters = views.MatrixFilters(
        host_country, phase, pillar, status, pledged_not_in_place, funding_gap_above
    )
    view = views.matrix_view(session, user, filters, now=utcnow(), offset=offset)

    def page_href(at: int | None) -> str | None:
        return None if at is None else "/rollup?" + urlencode({**filters.query(), "offset": at})

    context = {
        "user": user,
        "filters": filters,
        "matrix": view,
        "pillar_titles": views.pillar_titles(registry, views.DEFAULT_TEMPLATE, None),
        "phases": list(Phase),
        "export_query": urlencode(filters.query("host_country", "phase")),
        "next_href": page_href(view.next_offset),
        "previous_href": page_href(view.previous_offset),
    }
    return render(request, "rollup.html", context)


@router.get("/rollup/export", response_class=StreamingResponse)
def rollup_export(
    user: RollupPage,
    sessions: ExportSessions,
    host_country: CountryChoice = None,
    phase: PhaseChoice = None,
    export_format: FormatChoice = ExportFormat.CSV,
) -> StreamingResponse:
    """Every item of every situation you may see (filtered) as CSV, HXL or XLSX."""
    return rollup_attachment(user, sessions, host_country, phase, export_format)
