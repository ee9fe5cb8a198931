"""Checklist item, owner and event bodies."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, model_validator

from app.core.schemas import InputModel, LongText, OutputModel, PatchModel, ShortText
from app.core.vocab import ItemStatus, OrganisationType, OwnerRole, PillarCode
from app.funding.refs import Funding
from app.organisations.schemas import OrganisationRef
from app.pledges.refs import ItemPledge
from app.templates.model import StateRole

ItemCode = Annotated[
    str,
    Field(
        pattern=r"^[1-9][0-9]?[a-z]?(\.[a-z0-9][a-z0-9-]{0,30})?$",
        max_length=48,
        description="An Annex I element code (`5a`, `15`) or a context code (`5d.biometrics`).",
    ),
]
TargetDate = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2100, 12, 31))]


class OwnerIn(InputModel):
    organisation_id: uuid.UUID
    role: OwnerRole


class OwnersIn(InputModel):
    owners: list[OwnerIn] = Field(max_length=50, description="Replaces the item's owners.")

    @model_validator(mode="after")
    def _one_lead_no_repeats(self) -> Self:
        pairs = [(o.organisation_id, o.role) for o in self.owners]
        if len(pairs) != len(set(pairs)):
            raise ValueError("an organisation is listed twice with the same role")
        if sum(1 for o in self.owners if o.role is OwnerRole.LEAD) > 1:
            raise ValueError("an item has at most one lead organisation")
        return self


class OwnerRead(OutputModel):
    organisation_id: uuid.UUID
    role: OwnerRole
    organisation: OrganisationRef


class ItemPatch(PatchModel):
    not_nullable = ("status",)

    status: ItemStatus | None = None
    status_note: LongText | None = Field(
        default=None, description="Required (non-empty) when the status is `not_applicable`."
    )
    target_date: TargetDate | None = None


class ItemCreate(InputModel):
    """A context-specific item (Annex I ¶3), mapped to an Annex I element."""

    code: ItemCode
    title: ShortText
    text: LongText | None = None
    target_date: TargetDate | None = None

    @model_validator(mode="after")
    def _context_code(self) -> Self:
        if "." not in self.code:
            raise ValueError("a context-specific code is an element code, a dot and a suffix")
        return self

    @property
    def element_code(self) -> str:
        return self.code.split(".", 1)[0]


class ItemFlags(BaseModel):
    overdue: bool = Field(description="Target date passed and not in place.")
    lead_missing: bool = Field(description="No lead organisation.")
    stale: bool = Field(description="No accepted update for the situation's `stale_after_days`.")
    no_data: bool = Field(description="No update ever accepted.")


class ItemRead(BaseModel):
    id: uuid.UUID
    situation_id: uuid.UUID
    code: str
    element_code: str
    is_custom: bool
    pillar: PillarCode
    paragraph: str
    solution: str | None
    title: str
    text: str
    lead_in: str | None
    state_role: StateRole | None
    actor_types: list[OrganisationType]
    tags: list[str]
    status: ItemStatus
    status_note: str | None
    target_date: date | None
    version: int
    owners: list[OwnerRead]
    lead: OrganisationRef | None
    flags: ItemFlags
    last_accepted_update_at: datetime | None
    created_at: datetime
    updated_at: datetime
    pledges: list[ItemPledge] | None = Field(
        default=None,
        description="On one item's read: the pledges that serve it (public, as every "
        "pledge), newest first. Null in lists and in the answers to changes.",
    )
    funding: Funding | None = Field(
        default=None,
        description="On one item's read: its funding figures (the requirements of every "
        "year, its part of the flows of every budget year), as the summary's `items_funding`. "
        "Null in lists and in the answers to changes.",
    )


class EventActor(BaseModel):
    user_id: uuid.UUID | None
    user_name: str | None
    organisation_id: uuid.UUID | None
    organisation_name: str | None


class EventRead(BaseModel):
    id: uuid.UUID
    at: datetime
    action: str
    item_code: str | None
    item_version: int | None
    actor: EventActor
    before: dict[str, Any] | None
    after: dict[str, Any] | None
