"""The progress report of a situation, for a period."""

from typing import Any

from fastapi import APIRouter, Response

from app.auth.deps import ReportsReader
from app.core.base import utcnow
from app.core.deps import RegistryDep, SessionDep
from app.progress import render, report
from app.progress.deps import FormatQuery, ReportPeriod
from app.templates.deps import Language

router = APIRouter(tags=["reporting"])

REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: an HTML file shown in place, or a PDF as an attachment.",
        "content": {"text/html": {}, "application/pdf": {}},
        "headers": {
            "Content-Disposition": {
                "description": "`inline` (HTML) or `attachment` (PDF), with the file name.",
                "schema": {"type": "string"},
            },
            "Content-Language": {
                "description": "The report's language.",
                "schema": {"type": "string"},
            },
        },
    }
}


@router.get("/situations/{sid}/report", response_class=Response, responses=REPORT_RESPONSES)
def situation_report(
    access: ReportsReader,
    session: SessionDep,
    registry: RegistryDep,
    language: Language,
    period: ReportPeriod,
    report_format: FormatQuery = "html",
) -> Response:
    """A situation's progress report for a period, as HTML or PDF.

    Headline figures and their trend, each pillar and what changed in it, ownership gaps,
    reporting discipline, the funding gap and the pledges. It shows what its reader may
    see: a partner's report counts no other organisation's pending or returned updates; a
    viewer's, none.
    """
    built = report.build(session, access, registry, period=period, language=language, now=utcnow())
    return drawn_response(render.draw(built, report_format), language)


def drawn_response(drawn: render.Drawn, language: str) -> Response:
    """A drawn report as a response (the API's and the dashboard's)."""
    disposition = "attachment" if drawn.media_type == render.MEDIA_TYPES["pdf"] else "inline"
    return Response(
        drawn.content,
        media_type=drawn.media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{drawn.filename}"',
            "Content-Language": language,
            "Content-Security-Policy": render.CONTENT_SECURITY_POLICY,
        },
    )
