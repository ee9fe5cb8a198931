"""User and token bodies."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from app.core.schemas import InputModel, Name, OutputModel, PatchModel
from app.core.vocab import EmailKind, SituationRole
from app.organisations.schemas import OrganisationRef


def _check_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        raise ValueError("must be an e-mail address")
    return value.lower()


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=254),
    AfterValidator(_check_email),
    Field(examples=["coordinator@example.org"]),
]


# The dashboard's languages (app.i18n.LANGUAGES); None: the browser's.
InterfaceLanguage = Literal["en", "fr", "es", "ar"]


def _distinct_kinds(kinds: list[EmailKind]) -> list[EmailKind]:
    return sorted(set(kinds))


EmailOptOut = Annotated[
    list[EmailKind],
    Field(
        max_length=2 * len(EmailKind),
        description="The kinds of e-mail the user does not want; the others are sent "
        "(when mail is on).",
    ),
    AfterValidator(_distinct_kinds),
]


class UserCreate(InputModel):
    email: Email
    name: Name
    organisation_id: uuid.UUID | None = None
    is_admin: bool = False


class UserUpdate(PatchModel):
    not_nullable = ("name", "is_admin", "is_active", "email_opt_out")

    name: Name | None = None
    organisation_id: uuid.UUID | None = None
    is_admin: bool | None = None
    is_active: bool | None = None
    language: InterfaceLanguage | None = Field(
        default=None, description="The dashboard's language; null: the browser's."
    )
    email_opt_out: EmailOptOut | None = None


class UserRead(OutputModel):
    id: uuid.UUID
    email: str
    name: str
    organisation_id: uuid.UUID | None
    organisation: OrganisationRef | None
    is_admin: bool
    is_active: bool
    language: InterfaceLanguage | None
    email_opt_out: list[EmailKind]
    created_at: datetime


class MembershipSummary(OutputModel):
    situation_id: uuid.UUID
    situation_name: str
    role: SituationRole


class MeRead(UserRead):
    memberships: list[MembershipSummary]


class TokenCreate(InputModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = (
        "api"
    )
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenRead(OutputModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenIssued(TokenRead):
    token: str = Field(description="The bearer token. Shown once: it is stored only as a hash.")
