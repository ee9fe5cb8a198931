"""A pledge as other resources mention it: an item's read lists the pledges that serve it."""

import uuid
from decimal import Decimal

from pydantic import BaseModel, Field

from app.core.vocab import PartyRole, PledgeStatus, PledgeType
from app.organisations.schemas import OrganisationRef


class PartyRead(BaseModel):
    organisation_id: uuid.UUID
    organisation: OrganisationRef
    role: PartyRole
    share: Decimal | None = Field(description="A fraction 0 to 1 as a decimal string, or null.")


class ItemPledge(BaseModel):
    """A pledge as an item lists it."""

    id: uuid.UUID
    title: str
    forum: str
    type: PledgeType
    status: PledgeStatus
    parties: list[PartyRead]
