"""Generation counters: a number that grows whenever a kind of shared data changes.

Readers that keep what they rendered (the item list's cache) compare a counter read in
the same statement as their data, so that every worker process sees a change at once.
"""

from sqlalchemy import Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.selectable import ScalarSelect

from app.core.base import Base

ORGANISATIONS = "organisations"


class Generation(Base):
    __tablename__ = "generation"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


def generation_of(name: str) -> ScalarSelect[int]:
    """SQL: the current value of a counter, as a column of another query."""
    return select(Generation.value).where(Generation.name == name).scalar_subquery()


def advance(session: Session, name: str) -> None:
    """Count one more change, in the caller's transaction."""
    result = session.execute(
        update(Generation).where(Generation.name == name).values(value=Generation.value + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(Generation(name=name, value=1))
        session.flush()
