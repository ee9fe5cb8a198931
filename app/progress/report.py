"""Build a situation's progress report for a period, as its reader may see it.

The opening figures are the summary as of the day before the period (the state when it
starts), the closing ones the summary as of its last day; both are ``situation_summary``'s,
so the report and ``GET …/summary?as_of=`` always agree.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.core.vocab import ItemStatus, PillarCode
from app.funding.figures import summary_funding
from app.funding.refs import Funding
from app.models import Situation
from app.progress import checklist, discipline, frameworks, money
from app.progress.checklist import ElementLine
from app.progress.discipline import Discipline, UpdatesSeen
from app.progress.period import Period, trend_days
from app.reporting import trend
from app.reporting.schemas import PillarFigures, SituationSummary
from app.reporting.service import end_of_day, pending_scope, situation_summary
from app.templates.registry import TemplateRegistry


@dataclass(frozen=True)
class PillarSection:
    """A pillar: its figures at both ends of the period, its elements, and its funding."""

    code: PillarCode
    title: str
    opening: PillarFigures
    closing: PillarFigures
    elements: list[ElementLine]
    funding: Funding

    @property
    def moved(self) -> list[ElementLine]:
        return [line for line in self.elements if line.moves]


@dataclass(frozen=True)
class ProgressReport:
    """Everything a progress report shows."""

    situation: Situation
    period: Period
    language: str
    generated_at: datetime
    reader_role: str
    opening: SituationSummary
    closing: SituationSummary
    trend: list[trend.TrendPoint]
    pillars: list[PillarSection]
    frameworks: list[frameworks.FrameworkSection]
    discipline: Discipline
    updates: UpdatesSeen
    funding: Funding
    gaps: list[money.Gap]
    pledges: money.Pledges

    @property
    def lead_missing(self) -> list[ElementLine]:
        """The elements without a lead at the period's end (not applicable ones left out)."""
        return [line for section in self.pillars for line in section.elements if line.lead_missing]

    @property
    def moves(self) -> int:
        return sum(len(line.moves) for section in self.pillars for line in section.elements)

    def change(self, status: ItemStatus) -> int:
        """How many more items had ``status`` at the end than at the start."""
        return self.closing.by_status[status] - self.opening.by_status[status]


def build(
    session: Session,
    access: SituationAccess,
    registry: TemplateRegistry,
    *,
    period: Period,
    language: str,
    now: datetime,
) -> ProgressReport:
    """The progress report of ``access.situation`` over ``period``, in ``language``, as
    ``access`` may see it."""
    situation = access.situation
    pending = pending_scope(access.user, access.permissions)

    def summary_as_of(day: date) -> SituationSummary:
        return situation_summary(
            session, situation, registry, pending=pending, now=now, as_of=day, language=language
        )

    opening = summary_as_of(period.opening_day)
    closing = summary_as_of(period.end)
    start, end = end_of_day(period.opening_day), end_of_day(period.end)
    lines = checklist.elements(
        session, situation, registry, start=start, end=end, language=language
    )
    funding = summary_funding(session, situation.id)
    titles = {line.code: line.title for line in lines}
    sections = [
        PillarSection(
            code=closing_pillar.code,
            title=closing_pillar.title,
            opening=opening_pillar,
            closing=closing_pillar,
            elements=[line for line in lines if line.pillar == closing_pillar.code],
            funding=funding.pillar(closing_pillar.code.value),
        )
        for opening_pillar, closing_pillar in zip(opening.pillars, closing.pillars, strict=True)
    ]
    return ProgressReport(
        situation=situation,
        period=period,
        language=language,
        generated_at=now,
        reader_role=access.role.value if access.role else "admin",
        opening=opening,
        closing=closing,
        trend=trend.at_days(session, situation, trend_days(period), now).overall,
        pillars=sections,
        frameworks=frameworks.sections(session, situation, registry, lines, language),
        discipline=discipline.discipline(session, access, period, now.date()),
        updates=discipline.updates_seen(session, access, start=start, end=end),
        funding=funding.situation,
        gaps=money.largest_gaps(funding.items, titles),
        pledges=money.pledges(session, situation.id),
    )
