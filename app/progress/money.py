"""Money and promises in a report: the funding gap per pillar and the largest gaps, and the
pledges that serve the situation, by status.

The funding figures are the summary's (``app.funding.figures``): today's, over every budget
year, since the service keeps no history of money as of a day. Pledges are public.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.vocab import PledgeStatus
from app.funding.refs import Funding, FundingOfItem
from app.models import Pledge, PledgeLink

LARGEST_GAPS = 5
MAX_LISTED_PLEDGES = 30


@dataclass(frozen=True)
class Gap:
    code: str
    title: str
    funding: Funding


@dataclass(frozen=True)
class PledgeLine:
    title: str
    forum: str
    status: PledgeStatus


@dataclass(frozen=True)
class Pledges:
    by_status: dict[PledgeStatus, int]
    listed: list[PledgeLine]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def largest_gaps(items: list[FundingOfItem], titles: dict[str, str]) -> list[Gap]:
    """The items with the largest unfunded requirement, largest first (none without a gap)."""
    gaps = [
        Gap(entry.code, titles.get(entry.code, entry.code), entry.funding)
        for entry in items
        if entry.funding.gap_usd > Decimal(0)
    ]
    gaps.sort(key=lambda gap: (-gap.funding.gap_usd, gap.code))
    return gaps[:LARGEST_GAPS]


def pledges(session: Session, situation_id: object) -> Pledges:
    """The pledges linked to an element of the situation: counts by status, and a list."""
    serving = select(PledgeLink.pledge_id).where(PledgeLink.situation_id == situation_id)
    counts = dict(
        session.execute(
            select(Pledge.status, func.count())
            .where(Pledge.id.in_(serving))
            .group_by(Pledge.status)
        ).all()
    )
    rows = session.execute(
        select(Pledge.title, Pledge.forum, Pledge.status)
        .where(Pledge.id.in_(serving))
        .order_by(Pledge.forum, Pledge.title, Pledge.id)
        .limit(MAX_LISTED_PLEDGES)
    ).all()
    return Pledges(
        by_status={status: int(counts.get(status, 0)) for status in PledgeStatus},
        listed=[PledgeLine(*row) for row in rows],
    )
