"""A situation's figures over time: items by status at the end of each month (or of any
days), in one statement.

An item's status at a moment is that of its last version before it, as the as-of summary
rebuilds it (``app.reporting.service``). Rather than rebuilding every item's state once per
point (one aggregate over the events per point: 260 ms for the 36 points of three years of
10,000 events, most of the progress report's 300 ms goal, ``bench/progress.py``), each
version event is counted once: +1 for the status it enters, -1 for the one its previous
version held, in the bucket of the first point after it. One GROUP BY over the events; the
points are the running sums of the buckets, a few numbers per pillar.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from app.core.vocab import ItemStatus, PillarCode
from app.models import ChecklistItem, Event, Situation
from app.reporting.service import end_of_day

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
    moments = [min(end_of_day(day), now) for day in days]
    counts: dict[PillarCode, list[dict[ItemStatus, int]]] = {}
    for pillar, status, point, delta in session.execute(_changes(situation.id, moments)).all():
        series = counts.setdefault(PillarCode(str(pillar)), [{} for _ in days])
        if point < len(days):
            bucket = series[point]
            bucket[ItemStatus(status)] = bucket.get(ItemStatus(status), 0) + int(delta)
    pillars = {code: _running(days, changes) for code, changes in sorted(counts.items())}
    overall = [
        _point(day, {s: sum(p[i].by_status[s] for p in pillars.values()) for s in ItemStatus})
        for i, day in enumerate(days)
    ]
    first = next((i for i, point in enumerate(overall) if point.items_total), len(days))
    return Trend(
        overall=overall[first:], pillars={code: found[first:] for code, found in pillars.items()}
    )


def _changes(situation_id: Any, moments: list[datetime]) -> Any:
    """Per pillar, status and point: how many items entered the status (+) or left it (-)
    between the point before and this one (a point after the last: not needed)."""
    previous = aliased(Event)
    point = case(
        *((Event.at < moment, index) for index, moment in enumerate(moments)),
        else_=len(moments),
    )
    versions = [
        Event.situation_id == situation_id,
        Event.item_version.is_not(None),
        Event.at < moments[-1],
    ]
    entered = (
        select(
            ChecklistItem.pillar,
            Event.item_status.label("status"),
            point.label("point"),
            literal(1).label("delta"),
        )
        .join(ChecklistItem, ChecklistItem.id == Event.item_id)
        .where(*versions)
    )
    left = (
        select(ChecklistItem.pillar, previous.item_status, point, literal(-1))
        .join(ChecklistItem, ChecklistItem.id == Event.item_id)
        .join(
            previous,
            and_(
                previous.item_id == Event.item_id,
                previous.item_version == Event.item_version - 1,
            ),
        )
        .where(*versions)
    )
    change = union_all(entered, left).subquery()
    return select(
        change.c.pillar, change.c.status, change.c.point, func.sum(change.c.delta)
    ).group_by(change.c.pillar, change.c.status, change.c.point)


def _running(days: list[date], changes: list[dict[ItemStatus, int]]) -> list[TrendPoint]:
    """The points of one series: the changes up to each point, added up."""
    held = dict.fromkeys(ItemStatus, 0)
    points = []
    for day, change in zip(days, changes, strict=True):
        for status, delta in change.items():
            held[status] += delta
        points.append(_point(day, dict(held)))
    return points


def _point(day: date, by_status: dict[ItemStatus, int]) -> TrendPoint:
    total = sum(by_status.values())
    applicable = total - by_status[ItemStatus.NOT_APPLICABLE]
    share = round(by_status[ItemStatus.IN_PLACE] / applicable, 4) if applicable else 0.0
    return TrendPoint(day, total, by_status, share)
