"""Cycle, obligation and reporting-figure bodies."""

import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from app.core.schemas import InputModel, Name, OutputModel, PatchModel, check_text
from app.core.vocab import CycleState, ObligationState, OwnerRole
from app.organisations.schemas import OrganisationRef

CycleDate = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2100, 12, 31))]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(check_text),
]


def check_dates(
    period_start: date, period_end: date, due_date: date, closes_on: date
) -> list[tuple[str, str]]:
    """The date rules of a cycle: (field, message) for each one broken."""
    wrong = []
    if period_start > period_end:
        wrong.append(("period_end", "the period ends before it starts"))
    if due_date > closes_on:
        wrong.append(("closes_on", "the cycle closes before its due date"))
    return wrong


class CycleCreate(InputModel):
    """A reporting round: the period reported on, when reports are due, when it closes."""

    name: Name
    period_start: CycleDate
    period_end: CycleDate
    due_date: CycleDate
    closes_on: CycleDate = Field(
        description="After this day reports for the period are refused until a coordinator "
        "reopens the cycle."
    )
    reporting_roles: list[OwnerRole] = Field(
        default_factory=lambda: [OwnerRole.LEAD],
        min_length=1,
        max_length=len(OwnerRole),
        description="The owner roles that must report: one obligation per item and owning "
        "organisation in one of them.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        wrong = check_dates(self.period_start, self.period_end, self.due_date, self.closes_on)
        if wrong:
            raise ValueError("; ".join(message for _, message in wrong))
        if len(set(self.reporting_roles)) != len(self.reporting_roles):
            raise ValueError("a reporting role is listed twice")
        return self


class CycleUpdate(PatchModel):
    """Rename, move the dates, close (`closed`) or reopen (`open`) a cycle."""

    not_nullable = ("name", "period_start", "period_end", "due_date", "closes_on", "state")

    name: Name | None = None
    period_start: CycleDate | None = None
    period_end: CycleDate | None = None
    due_date: CycleDate | None = None
    closes_on: CycleDate | None = None
    state: CycleState | None = Field(
        default=None, description="`closed` closes the cycle; `open` reopens it, late reports too."
    )


class CycleRead(OutputModel):
    id: uuid.UUID
    situation_id: uuid.UUID
    name: str
    period_start: date
    period_end: date
    due_date: date
    closes_on: date
    reporting_roles: list[OwnerRole]
    state: CycleState = Field(
        description="`closed` when a coordinator closed it, or once `closes_on` has passed "
        "unless it was reopened after."
    )
    reopened_at: datetime | None = Field(
        description="When it was reopened after its closing date (late reports are taken)."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class WaiveIn(InputModel):
    reason: Reason


class ObligationRead(BaseModel):
    id: uuid.UUID
    situation_id: uuid.UUID
    cycle_id: uuid.UUID
    cycle_name: str
    item_id: uuid.UUID
    code: str
    organisation_id: uuid.UUID
    organisation: OrganisationRef
    role: OwnerRole = Field(description="The owner role the obligation comes from.")
    state: ObligationState = Field(
        description="`overdue`: past the due date with nothing submitted (derived, never stored)."
    )
    update_id: uuid.UUID | None = Field(description="The update that fulfils it.")
    due_date: date
    waived_reason: str | None


class OrganisationReporting(BaseModel):
    organisation: OrganisationRef
    due: int = Field(description="Nothing submitted yet, due date not passed.")
    submitted: int
    accepted: int
    returned: int
    overdue: int
    waived: int
    on_time_share: float = Field(
        description="Obligations submitted or accepted on or before the due date, over those "
        "not waived (0 to 1; 0 when every one is waived)."
    )


class ReportingFigures(BaseModel):
    """The current cycle's obligations, per organisation."""

    cycle_id: uuid.UUID
    name: str
    period_start: date
    period_end: date
    due_date: date
    closes_on: date
    organisations: list[OrganisationReporting] = Field(
        description="Every organisation for coordinators and admins; your organisation's for "
        "partners; none for viewers (as the obligations list)."
    )
