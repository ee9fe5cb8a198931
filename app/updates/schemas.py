"""Update, batch and review bodies."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.checklist.schemas import ItemCode
from app.core.schemas import InputModel, LongText, OutputModel, ShortText, check_text
from app.core.vocab import ItemStatus, UpdateState
from app.organisations.schemas import OrganisationRef

MAX_EVIDENCE = 10
MAX_BATCH = 100
ReportDate = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2100, 12, 31))]


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("must be an http or https link")
    return value


Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=8, max_length=2000),
    AfterValidator(_check_url),
]
Narrative = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=8000),
    AfterValidator(check_text),
]
Comment = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    AfterValidator(check_text),
]
ClientRef = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class EvidenceLink(InputModel):
    title: ShortText
    url: Url


class UpdateIn(InputModel):
    """A report on one item: what the partner proposes and why."""

    proposed_status: ItemStatus | None = Field(
        default=None, description="The status the item should take when accepted (none: unchanged)."
    )
    status_note: LongText | None = Field(
        default=None, description="Replaces the item's status note when accepted."
    )
    narrative: Narrative
    evidence: list[EvidenceLink] = Field(default_factory=list, max_length=MAX_EVIDENCE)
    period_start: ReportDate | None = None
    period_end: ReportDate | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValueError("the reporting period ends before it starts")
        if (
            self.proposed_status is ItemStatus.NOT_APPLICABLE
            and not (self.status_note or "").strip()
        ):
            raise ValueError("proposing not_applicable needs a justification in status_note")
        return self


class BatchEntryIn(UpdateIn):
    code: ItemCode
    client_ref: ClientRef


class BatchIn(BaseModel):
    """Up to 100 updates; each is validated and answered on its own."""

    model_config = ConfigDict(extra="forbid")

    updates: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class ReviewIn(InputModel):
    decision: Literal["accept", "return"]
    comment: Comment | None = Field(default=None, description="Required to return an update.")

    @model_validator(mode="after")
    def _return_needs_comment(self) -> Self:
        if self.decision == "return" and not (self.comment or "").strip():
            raise ValueError("returning an update needs a comment for the partner")
        return self


class BulkReviewIn(ReviewIn):
    update_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BATCH)


class UpdateRead(OutputModel):
    id: uuid.UUID
    situation_id: uuid.UUID
    item_id: uuid.UUID
    item_code: str
    organisation_id: uuid.UUID | None
    organisation: OrganisationRef | None
    submitted_by_id: uuid.UUID | None
    state: UpdateState
    proposed_status: ItemStatus | None
    status_note: str | None
    narrative: str
    evidence: list[dict[str, str]]
    period_start: date | None
    period_end: date | None
    base_version: int = Field(description="The item's version when the update was submitted.")
    submitted_at: datetime
    reviewed_at: datetime | None
    reviewed_by_id: uuid.UUID | None
    review_comment: str | None


class BatchResult(BaseModel):
    client_ref: str | None
    status: int
    update: UpdateRead | None = None
    problem: dict[str, Any] | None = None


class BatchOut(BaseModel):
    results: list[BatchResult]


class ReviewResult(BaseModel):
    update_id: uuid.UUID
    status: int
    update: UpdateRead | None = None
    problem: dict[str, Any] | None = None


class BulkReviewOut(BaseModel):
    results: list[ReviewResult]
