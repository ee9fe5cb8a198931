"""Date arithmetic that SQLite and PostgreSQL spell differently."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.core.base import UTCDateTime


class days_before(FunctionElement[datetime]):  # noqa: N801 - reads as an SQL function
    """SQL: the moment ``days`` days before ``moment`` (both SQL expressions)."""

    type = UTCDateTime()
    name = "days_before"
    inherit_cache = True


@compiles(days_before, "sqlite")
def _days_before_sqlite(element: days_before, compiler: SQLCompiler, **kw: Any) -> str:
    moment, days = (compiler.process(clause, **kw) for clause in element.clauses)
    # Stored timestamps are naive UTC text; datetime() answers in the same shape.
    return f"datetime({moment}, '-' || ({days}) || ' days')"


@compiles(days_before, "postgresql")
def _days_before_postgresql(element: days_before, compiler: SQLCompiler, **kw: Any) -> str:
    moment, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({moment} - make_interval(days => {days}))"
