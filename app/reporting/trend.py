"""A situation's figures over time: the summary as of the end of each month, in one statement.

Each point is ``situation_summary``'s as-of aggregate (the items' states rebuilt from the
events), one SELECT per point joined by UNION ALL, so the database answers every point of
every pillar at once, however many points are asked for.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import literal, union_all
from sqlalchemy.orm import Session

from app.checklist.service import stale_threshold
from app.core.vocab import ItemStatus, PillarCode
from app.models import Situation
from app.reporting.service import _FIGURES, _figures, _summary_query, end_of_day

DEFAULT_MONTHS = 12
MAX_MONTHS = 24


@dataclass(frozen=True)
class TrendPoint:
    """The figures at the end of one day: items by status and the share in place."""

    day: date
    items_total: int
    by_status: dict[ItemStatus, int]
    in_place_share: float


@dataclass(frozen=True)
class Trend:
    """The situation's points, and each pillar's, oldest first."""

    overall: list[TrendPoint]
    pillars: dict[PillarCode, list[TrendPoint]]


def month_ends(today: date, months: int) -> list[date]:
    """The last day of each of the ``months`` months up to today's; this month's is today."""
    days = []
    year, month = today.year, today.month
    for _ in range(months):
        last = date(year, month, calendar.monthrange(year, month)[1])
        days.append(min(last, today))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return days[::-1]


def _point(day: date, values: list[int]) -> TrendPoint:
    figures = _figures(values, None)
    return TrendPoint(day, figures["items_total"], figures["by_status"], figures["in_place_share"])


def trend(
    session: Session, situation: Situation, *, now: datetime, months: int = DEFAULT_MONTHS
) -> Trend:
    """The situation's figures at each month's end, overall and per pillar, in one statement.

    Points before the situation had any item are left out.
    """
    return at_days(session, situation, month_ends(now.date(), max(1, min(months, MAX_MONTHS))), now)


def at_days(session: Session, situation: Situation, days: list[date], now: datetime) -> Trend:
    """The situation's figures at the end of each of ``days`` (oldest first), overall and per
    pillar, in one statement. Points before the situation had any item are left out."""
    parts = []
    for index, day in enumerate(days):
        moment = min(end_of_day(day), now)
        query = _summary_query(
            situation.id,
            moment=moment,
            today=day,
            threshold=stale_threshold(moment, situation.stale_after_days),
            now=False,
            organisation=None,
        )
        parts.append(query.add_columns(literal(index).label("point")))
    width = _FIGURES.stop - _FIGURES.start
    overall = [[0] * width for _ in days]
    by_pillar: dict[PillarCode, list[list[int]]] = {}
    for row in session.execute(union_all(*parts)).all():
        values = [int(v or 0) for v in row[_FIGURES]]
        point = int(row.point)
        overall[point] = [a + b for a, b in zip(overall[point], values, strict=True)]
        pillar = by_pillar.setdefault(PillarCode(str(row.pillar)), [[0] * width for _ in days])
        pillar[point] = values
    first = next((i for i, values in enumerate(overall) if values[0]), len(days))

    def series(points: list[list[Any]]) -> list[TrendPoint]:
        return [_point(day, values) for day, values in zip(days, points, strict=True)][first:]

    return Trend(
        overall=series(overall),
        pillars={code: series(points) for code, points in sorted(by_pillar.items())},
    )
