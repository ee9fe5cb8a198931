"""A report's period, and the days its trend is drawn at."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

MAX_DAYS = 10 * 366
MAX_POINTS = 36
WEEKLY_UP_TO_DAYS = 92


@dataclass(frozen=True)
class Period:
    """From the start of ``start`` to the end of ``end``, both days included."""

    start: date
    end: date

    @property
    def opening_day(self) -> date:
        """The day whose end is the period's start: its opening figures are the summary's
        as of this day."""
        return self.start - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def default_period(today: date) -> Period:
    """The period a report form offers first: the three months up to today."""
    months = today.year * 12 + today.month - 1 - 3
    year, month = divmod(months, 12)
    month += 1
    day = min(today.day, calendar.monthrange(year, month)[1])
    return Period(date(year, month, day) + timedelta(days=1), today)


def problem(start: date, end: date, today: date) -> tuple[str, str] | None:
    """Why ``start``..``end`` is not a period a report can cover (field, message), or None."""
    if end > today:
        return "to", "The period must end today or before."
    if start.year < 1900:
        return "from", "The period must start in 1900 or later."
    if start > end:
        return "from", "The period must start on or before its last day."
    if (end - start).days >= MAX_DAYS:
        return "from", "A report covers at most ten years."
    return None


def trend_days(period: Period) -> list[date]:
    """The days at whose end the trend is drawn: the opening day, then each week's end (for
    a period up to three months) or each month's end (else every few months, at most
    ``MAX_POINTS`` points), and the period's last day."""
    days = [period.opening_day]
    if period.days <= WEEKLY_UP_TO_DAYS:
        day = period.opening_day + timedelta(days=7)
        while day < period.end:
            days.append(day)
            day += timedelta(days=7)
    else:
        month_ends = []
        year, month = period.start.year, period.start.month
        while True:
            last = date(year, month, calendar.monthrange(year, month)[1])
            if last >= period.end:
                break
            month_ends.append(last)
            year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        step = -(-len(month_ends) // (MAX_POINTS - 2)) if month_ends else 1
        # Counted back from the period's end, so the latest month's end is always drawn.
        days.extend(month_ends[::-1][::step][::-1])
    days.append(period.end)
    return days
