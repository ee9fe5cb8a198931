"""Summaries: one situation (now or as of a day), and the roll-up across situations."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import CanReadSummary, ReportsReader
from app.core.base import utcnow
from app.core.deps import RegistryDep, SessionDep
from app.core.errors import Unprocessable, field_error
from app.core.schemas import CountryCode
from app.core.vocab import Phase
from app.cycles.figures import ReportingScope
from app.frameworks.deps import FrameworkQuery
from app.frameworks.views import framework_figures
from app.reporting import rollup as rollups
from app.reporting import service
from app.reporting.schemas import Rollup, SituationSummary
from app.templates.deps import Language

router = APIRouter(tags=["reporting"])


@router.get("/situations/{sid}/summary")
def situation_summary(
    access: ReportsReader,
    session: SessionDep,
    registry: RegistryDep,
    language: Language,
    as_of: Annotated[
        date | None,
        Query(description="A past day (YYYY-MM-DD): the summary at its end, rebuilt from events."),
    ] = None,
    framework: FrameworkQuery = None,
) -> SituationSummary:
    """Per pillar: counts by status, share in place, gaps, overdue, stale, pending review.

    With `framework`, also the adopted framework's elements with their derived statuses.

    With the current reporting cycle's figures per organisation (`reporting`).
    """
    now = utcnow()
    if as_of is not None and (as_of > now.date() or as_of.year < 1900):
        raise Unprocessable(
            "as_of must be a day between 1900 and today.",
            errors=[field_error(("query", "as_of"), "not a past day")],
        )
    if framework is not None and as_of is not None:
        raise Unprocessable(
            "A framework's figures are today's: as_of and framework do not combine.",
            errors=[field_error(("query", "framework"), "not with as_of")],
        )
    summary = service.situation_summary(
        session,
        access.situation,
        registry,
        pending=service.pending_scope(access.user, access.permissions),
        now=now,
        as_of=as_of,
        language=language,
        reporting=ReportingScope.of(access),
    )
    if framework is not None:
        summary.framework = framework_figures(
            session, access.situation, registry, framework, language
        )
    return summary


@router.get("/summary")
def rollup(
    user: CanReadSummary,
    session: SessionDep,
    host_country: Annotated[CountryCode | None, Query()] = None,
    phase: Annotated[Phase | None, Query()] = None,
    funding_gap_above: Annotated[
        float | None,
        Query(
            ge=0,
            le=1,
            description="Only the elements whose requirement is unfunded by more than this "
            "share (0 to 1): `0.5` finds those less than half funded.",
        ),
    ] = None,
    pledged_not_in_place: Annotated[
        bool,
        Query(description="Only the elements a pledge serves where they are not in place."),
    ] = False,
) -> Rollup:
    """Across the situations you may see: one row each, totals, and per element where it stands."""
    return rollups.rollup(
        session,
        user,
        now=utcnow(),
        host_country=host_country,
        phase=phase,
        funding_gap_above=funding_gap_above,
        pledged_not_in_place=pledged_not_in_place,
    )
