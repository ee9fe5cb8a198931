"""Organisation bodies."""

import uuid
from datetime import datetime

from pydantic import Field, computed_field

from app.core.schemas import CountryCode, InputModel, Name, OutputModel, PatchModel
from app.core.vocab import IATI_ORGANISATION_TYPE, OrganisationType

Acronym = Field(default=None, min_length=1, max_length=32)


class OrganisationCreate(InputModel):
    name: Name
    acronym: str | None = Acronym
    type: OrganisationType
    country: CountryCode | None = None


class OrganisationUpdate(PatchModel):
    not_nullable = ("name", "type")

    name: Name | None = None
    acronym: str | None = Acronym
    type: OrganisationType | None = None
    country: CountryCode | None = None


class OrganisationRef(OutputModel):
    """An organisation as other resources mention it."""

    id: uuid.UUID
    name: str
    acronym: str | None
    type: OrganisationType


class OrganisationRead(OrganisationRef):
    country: str | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def iati_type(self) -> str:
        """IATI OrganisationType code."""
        return IATI_ORGANISATION_TYPE[self.type]
