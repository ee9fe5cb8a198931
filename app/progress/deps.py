"""The report's query: its period and format, read once for the API and the dashboard."""

from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from app.core.base import utcnow
from app.core.errors import Unprocessable, field_error
from app.progress import period as periods
from app.progress.period import Period
from app.progress.render import ReportFormat


def get_period(
    start: Annotated[date, Query(alias="from", description="The period's first day (YYYY-MM-DD).")],
    end: Annotated[
        date,
        Query(alias="to", description="The period's last day (YYYY-MM-DD), today at the latest."),
    ],
) -> Period:
    """The period asked for, or a 422 problem that names the field at fault."""
    found = periods.problem(start, end, utcnow().date())
    if found is not None:
        field, message = found
        raise Unprocessable(message, errors=[field_error(("query", field), message)])
    return Period(start, end)


ReportPeriod = Annotated[Period, Depends(get_period)]
FormatQuery = Annotated[
    ReportFormat,
    Query(
        alias="format",
        description="`html`: one self-contained file (inline style and SVG); `pdf`: printed "
        "from it, with page numbers and the generation date.",
    ),
]
