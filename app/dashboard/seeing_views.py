"""What the pages that show the response compose: accepted updates, the population, the
trend, and the roll-up matrix; from the domain services, with no rules of their own."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.core.vocab import ItemStatus, Phase, PillarCode
from app.dashboard.charts import TrendChart, trend_chart
from app.models import User
from app.reporting import matrix, rollup, trend
from app.reporting.schemas import ElementRollup, Rollup, RollupSituation
from app.situations import service as situations
from app.situations.schemas import PopulationFigureRead
from app.templates.model import localise
from app.templates.registry import TemplateRegistry
from app.updates import service as updates
from app.updates.schemas import UpdateRead

ACCEPTED_SHOWN = 20
MATRIX_COLUMNS = 12
DEFAULT_TEMPLATE = "crrf-annex-i"


def accepted_updates(session: Session, item_id: uuid.UUID) -> list[UpdateRead]:
    """The item's latest accepted updates, newest first (every member may read them)."""
    rows = session.scalars(updates.accepted_query(item_id).limit(ACCEPTED_SHOWN)).all()
    return [UpdateRead.model_validate(row) for row in rows]


def population(session: Session, access: SituationAccess) -> list[PopulationFigureRead]:
    """The situation's population figures, by type and date."""
    rows = situations.population_of(session, access.situation.id)
    return [situations.population_read(row) for row in rows]


def pillar_titles(
    registry: TemplateRegistry, template_id: str, version: str | None
) -> dict[str, str]:
    """The pillars' English titles, in the template's order."""
    template = registry.get(template_id, version)
    if template is None:
        return {code.value: code.value for code in PillarCode}
    return {p.code.value: localise(p.title, "en") or p.code.value for p in template.pillars}


# --- the trend -------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendView:
    """The trend page: the series shown (overall or one pillar's) and its chart."""

    pillar: PillarCode | None
    months: int
    chart: TrendChart | None
    points: list[trend.TrendPoint]


def trend_view(
    session: Session,
    access: SituationAccess,
    *,
    now: datetime,
    pillar: PillarCode | None,
    months: int,
) -> TrendView:
    """The situation's trend, overall or for one pillar, month by month."""
    found = trend.trend(session, access.situation, now=now, months=months)
    points = found.pillars.get(pillar, []) if pillar else found.overall
    return TrendView(pillar, months, trend_chart(points), points)


# --- the roll-up matrix ----------------------------------------------------------------


GAP_CHOICES = (0.25, 0.5, 0.75, 0.9)


@dataclass(frozen=True)
class MatrixFilters:
    """The roll-up page's filters, as its GET form sends them; the last two are the API's
    (``GET /summary?pledged_not_in_place=&funding_gap_above=``)."""

    host_country: str | None = None
    phase: Phase | None = None
    pillar: PillarCode | None = None
    status: ItemStatus | None = None
    pledged_not_in_place: bool = False
    funding_gap_above: float | None = None

    def _values(self) -> dict[str, object]:
        return {
            "host_country": self.host_country,
            "phase": self.phase,
            "pillar": self.pillar,
            "status": self.status,
            "pledged_not_in_place": "true" if self.pledged_not_in_place else None,
            "funding_gap_above": self.funding_gap_above,
        }

    @property
    def active(self) -> bool:
        return any(v is not None for v in self._values().values())

    def query(self, *names: str) -> dict[str, str]:
        """The filters (or those named) as query parameters."""
        return {
            name: str(value)
            for name, value in self._values().items()
            if value is not None and (not names or name in names)
        }

    def gap_choices(self) -> list[float]:
        """The shares the gap filter offers: the usual ones, and the one asked for."""
        chosen = {self.funding_gap_above} if self.funding_gap_above is not None else set()
        return sorted(set(GAP_CHOICES) | chosen)


@dataclass(frozen=True)
class MatrixRow:
    element: ElementRollup
    cells: list[ItemStatus | None]


@dataclass(frozen=True)
class MatrixView:
    """Elements by situations: one column per situation of the page, one row per element."""

    rollup: Rollup
    columns: list[RollupSituation]
    rows: list[MatrixRow]
    groups: list[tuple[str, list[MatrixRow]]]
    offset: int
    next_offset: int | None
    previous_offset: int | None


def matrix_view(
    session: Session, user: User, filters: MatrixFilters, *, now: datetime, offset: int
) -> MatrixView:
    """The roll-up of the situations ``user`` may see, and a page of them as a matrix."""
    found = rollup.rollup(
        session,
        user,
        now=now,
        host_country=filters.host_country,
        phase=filters.phase,
        pledged_not_in_place=filters.pledged_not_in_place,
        funding_gap_above=filters.funding_gap_above,
    )
    offset = max(0, min(offset, max(0, len(found.situations) - 1)))
    columns = found.situations[offset : offset + MATRIX_COLUMNS]
    statuses = matrix.element_statuses(session, [c.situation_id for c in columns])
    rows = []
    for element in found.elements:
        if filters.pillar is not None and element.pillar != filters.pillar:
            continue
        cells = [statuses.get((element.code, c.situation_id)) for c in columns]
        if filters.status is not None and filters.status not in cells:
            continue
        rows.append(MatrixRow(element, cells))
    groups: dict[str, list[MatrixRow]] = {}
    for row in rows:
        groups.setdefault(row.element.pillar.value, []).append(row)
    more = offset + MATRIX_COLUMNS < len(found.situations)
    return MatrixView(
        rollup=found,
        columns=columns,
        rows=rows,
        groups=list(groups.items()),
        offset=offset,
        next_offset=offset + MATRIX_COLUMNS if more else None,
        previous_offset=max(0, offset - MATRIX_COLUMNS) if offset else None,
    )
