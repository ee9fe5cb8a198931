"""Pledge, party, link and progress-report bodies."""

import uuid
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    model_validator,
)

from app.checklist.schemas import ItemCode
from app.core.schemas import InputModel, LongText, OutputModel, PatchModel, ShortText, check_text
from app.core.vocab import PartyRole, PledgeStatus, PledgeType
from app.organisations.schemas import OrganisationRef
from app.pledges.refs import PartyRead


def _collapse_spaces(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


Forum = Annotated[
    str,
    BeforeValidator(_collapse_spaces),
    StringConstraints(min_length=1, max_length=100),
    AfterValidator(check_text),
    Field(
        description="Where the pledge was made, free text, e.g. `GRF 2019`, `GRF 2023`, "
        "`national` (spaces trimmed and collapsed; filters match it ignoring case).",
        examples=["GRF 2023"],
    ),
]
ExternalRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(check_text),
    Field(description="The pledge's id elsewhere (e.g. the GCR pledge platform): unique."),
]
Objective = Annotated[int, Field(ge=1, le=4)]
Share = Annotated[
    Decimal,
    Field(
        gt=0,
        le=1,
        max_digits=5,
        decimal_places=4,
        description="The party's share of the pledge as a fraction, 0 < share ≤ 1, at most "
        'four decimals (`"0.25"` is a quarter). The shares of a pledge add up to at most 1.',
    ),
]
Year = Annotated[int, Field(ge=1990, le=2100)]
ReportDate = Annotated[date, Field(ge=date(1990, 1, 1), le=date(2100, 12, 31))]


def _objectives(value: list[int]) -> list[int]:
    if len(set(value)) != len(value):
        raise ValueError("an objective is listed twice")
    return sorted(value)


class PartyIn(InputModel):
    organisation_id: uuid.UUID
    role: PartyRole
    share: Share | None = None


def _parties(value: list[PartyIn]) -> list[PartyIn]:
    roles = Counter(party.role for party in value)
    if roles[PartyRole.SUBMITTER] != 1:
        raise ValueError("a pledge has exactly one submitter")
    if len({party.organisation_id for party in value}) != len(value):
        raise ValueError("an organisation is listed twice")
    if sum(party.share or 0 for party in value) > 1:
        raise ValueError("the shares add up to more than 1")
    return value


class LinkIn(InputModel):
    situation_id: uuid.UUID
    code: ItemCode


def _links(value: list[LinkIn]) -> list[LinkIn]:
    if len({(link.situation_id, link.code) for link in value}) != len(value):
        raise ValueError("a link is listed twice")
    return value


Objectives = Annotated[
    list[Objective],
    Field(min_length=1, max_length=4, description="Global Compact on Refugees objectives, 1 to 4."),
    AfterValidator(_objectives),
]
Parties = Annotated[
    list[PartyIn],
    Field(
        min_length=1,
        max_length=50,
        description="Exactly one `submitter`; any `co_pledger` and `matcher`; each "
        "organisation once.",
    ),
    AfterValidator(_parties),
]
Links = Annotated[
    list[LinkIn],
    Field(
        min_length=1,
        max_length=200,
        description="The checklist items the pledge serves: a situation and an item code of "
        "its checklist (at least one).",
    ),
    AfterValidator(_links),
]


class PledgeCreate(InputModel):
    """A promise by one or more organisations, linked to the elements it serves."""

    title: ShortText
    description: LongText = ""
    type: PledgeType
    gcr_objectives: Objectives
    forum: Forum
    external_ref: ExternalRef | None = None
    status: PledgeStatus = PledgeStatus.PLANNING
    parties: Parties
    links: Links


class PledgeUpdate(PatchModel):
    """Change any field; `parties` and `links` replace the whole set."""

    not_nullable = (
        "title",
        "description",
        "type",
        "gcr_objectives",
        "forum",
        "status",
        "parties",
        "links",
    )

    title: ShortText | None = None
    description: LongText | None = None
    type: PledgeType | None = None
    gcr_objectives: Objectives | None = None
    forum: Forum | None = None
    external_ref: ExternalRef | None = None
    status: PledgeStatus | None = None
    parties: Parties | None = None
    links: Links | None = None


class LinkRead(BaseModel):
    situation_id: uuid.UUID
    item_id: uuid.UUID
    code: str


class PledgeRead(OutputModel):
    id: uuid.UUID
    title: str
    description: str
    type: PledgeType
    gcr_objectives: list[int]
    forum: str
    external_ref: str | None
    status: PledgeStatus
    parties: list[PartyRead]
    links: list[LinkRead]
    version: int
    created_at: datetime
    updated_at: datetime


class ProgressIn(InputModel):
    """A party's report for a year; `status`, when given, becomes the pledge's."""

    year: Year
    status: PledgeStatus | None = None
    narrative: Annotated[LongText, StringConstraints(min_length=1)]
    period_start: ReportDate | None = None
    period_end: ReportDate | None = None

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValueError("the period ends before it starts")
        return self


class ProgressRead(OutputModel):
    id: uuid.UUID
    pledge_id: uuid.UUID
    year: int
    status: PledgeStatus | None
    narrative: str
    period_start: date | None
    period_end: date | None
    organisation: OrganisationRef | None
    submitted_at: datetime
