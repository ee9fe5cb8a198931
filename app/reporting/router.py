"""Summaries: one situation (now or as of a day), and the roll-up across situations."""

from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.auth.deps import CanReadSummary, ReportsReader
from app.core.base import utcnow
from app.core.deps import RegistryDep, SessionDep, run_to_end
from app.core.errors import Unprocessable, field_error
from app.core.schemas import CountryCode, json_response
from app.core.vocab import Phase
from app.reporting import service
from app.reporting.schemas import Rollup, SituationSummary
from app.templates.deps import Language

router = APIRouter(tags=["reporting"])


@router.get("/situations/{sid}/summary", response_model=SituationSummary)
async def situation_summary(
    request: Request,
    access: ReportsReader,
    session: SessionDep,
    registry: RegistryDep,
    language: Language,
    as_of: Annotated[
        date | None,
        Query(description="A past day (YYYY-MM-DD): the summary at its end, rebuilt from events."),
    ] = None,
) -> Response:
    """Per pillar: counts by status, share in place, gaps, overdue, stale, pending review."""
    now = utcnow()
    if as_of is not None and (as_of > now.date() or as_of.year < 1900):
        raise Unprocessable(
            "as_of must be a day between 1900 and today.",
            errors=[field_error(("query", "as_of"), "not a past day")],
        )
    summary = await run_to_end(
        request,
        session,
        partial(
            service.situation_summary,
            pending=service.pending_scope(access.user, access.permissions),
            now=now,
            as_of=as_of,
            language=language,
        ),
        session,
        access.situation,
        registry,
    )
    return json_response(summary)


@router.get("/summary", response_model=Rollup)
def rollup(
    user: CanReadSummary,
    session: SessionDep,
    host_country: Annotated[CountryCode | None, Query()] = None,
    phase: Annotated[Phase | None, Query()] = None,
) -> Response:
    """Across the situations you may see: one row each, totals, and per element where it stands."""
    return json_response(
        service.rollup(session, user, now=utcnow(), host_country=host_country, phase=phase)
    )
