"""Summary and roll-up bodies."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from app.core.vocab import ItemStatus, Phase, PillarCode
from app.cycles.schemas import ReportingFigures
from app.frameworks.views import FrameworkFigures
from app.funding.refs import Funding, FundingOfItem


class Figures(BaseModel):
    items_total: int
    by_status: dict[ItemStatus, int] = Field(description="Every status, zeros included.")
    in_place_share: float = Field(
        description="Items in place over applicable items (not_applicable excluded), 0 to 1."
    )
    lead_missing: int = Field(description="Applicable items with no lead organisation.")
    overdue: int = Field(description="Target date passed, not in place.")
    stale: int = Field(description="No update accepted for the situation's stale_after_days.")
    no_data: int = Field(description="No update ever accepted.")
    pending_review: int | None = Field(
        description="Updates submitted and not yet reviewed that you may see: every "
        "organisation's for coordinators and admins, your organisation's for partners; "
        "null for viewers, who see accepted updates only."
    )


_NOW_ONLY = "Now only: null with `as_of`."


class PillarFigures(Figures):
    code: PillarCode
    title: str
    funding: Funding | None = Field(default=None, description=_NOW_ONLY)


class SituationSummary(Figures):
    situation_id: uuid.UUID
    as_of: date | None = Field(
        description="The day this summary describes (its end), or null: now."
    )
    generated_at: datetime
    stale_after_days: int
    pillars: list[PillarFigures]
    reporting: ReportingFigures | None = Field(
        default=None,
        description="The current reporting cycle (the open one whose period holds today, else "
        "the latest open one) per organisation; null without one, and with `as_of`.",
    )
    funding: Funding | None = Field(default=None, description=_NOW_ONLY)
    items_funding: list[FundingOfItem] | None = Field(
        default=None,
        description="Per item with a requirement or a flow, in checklist order. " + _NOW_ONLY,
    )
    framework: FrameworkFigures | None = Field(
        default=None,
        description="With `?framework=`: that adopted framework's elements and derived "
        "statuses; the pillars above stay Annex I's, comparable across situations.",
    )


class RollupSituation(Figures):
    situation_id: uuid.UUID
    name: str
    host_country: str
    phase: Phase


class ElementRollup(BaseModel):
    code: str
    title: str
    pillar: PillarCode
    situations: int = Field(description="Situations that have this element.")
    by_status: dict[ItemStatus, int] = Field(description="Situations by the element's status.")
    funding: Funding = Field(
        description="Across the situations you may see (their context-specific items mapped "
        "to this element included)."
    )
    pledged_not_in_place: int | None = Field(
        default=None,
        description="With `pledged_not_in_place=true`: the situations where a pledge (not "
        "withdrawn) serves this element and it is neither in place nor not applicable.",
    )


class Rollup(BaseModel):
    generated_at: datetime
    situations_total: int
    totals: Figures
    situations: list[RollupSituation]
    elements: list[ElementRollup]
    funding: Funding = Field(description="Every element's, added up.")
