"""Situation, population and membership bodies."""

import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import Field, model_validator

from app.core.schemas import CountryCode, InputModel, LongText, Name, OutputModel, PatchModel
from app.core.vocab import Phase, PopulationType, ReviewPolicy, SituationRole
from app.organisations.schemas import OrganisationRef

Count = Annotated[int, Field(ge=0, le=10_000_000_000)]
EarliestDate = date(1900, 1, 1)
LatestDate = date(2100, 12, 31)
SituationDate = Annotated[date, Field(ge=EarliestDate, le=LatestDate)]


class AgeBands(InputModel):
    """Counts by UNHCR age band; a band left out is unknown."""

    model_config = {"populate_by_name": True, "serialize_by_alias": True}

    age_0_4: Count | None = Field(default=None, alias="0-4")
    age_5_11: Count | None = Field(default=None, alias="5-11")
    age_12_17: Count | None = Field(default=None, alias="12-17")
    age_18_59: Count | None = Field(default=None, alias="18-59")
    age_60_plus: Count | None = Field(default=None, alias="60+")

    def values(self) -> list[int | None]:
        return [self.age_0_4, self.age_5_11, self.age_12_17, self.age_18_59, self.age_60_plus]


class PopulationFigureIn(InputModel):
    """A population figure: UNHCR population type, date, total, by sex and age where known."""

    population_type: PopulationType
    date: SituationDate
    total: Count
    female: AgeBands | None = None
    male: AgeBands | None = None

    @model_validator(mode="after")
    def _breakdown_fits_total(self) -> Self:
        values = [*(self.female.values() if self.female else [None] * 5)]
        values += self.male.values() if self.male else [None] * 5
        known = [v for v in values if v is not None]
        if sum(known) > self.total:
            raise ValueError("the sex and age breakdown adds up to more than the total")
        if len(known) == len(values) and sum(known) != self.total:
            raise ValueError("a complete sex and age breakdown must add up to the total")
        return self


class PopulationFigureRead(OutputModel):
    model_config = {"serialize_by_alias": True}

    population_type: PopulationType
    date: date
    total: int
    female: AgeBands | None
    male: AgeBands | None


OriginCountries = Annotated[list[CountryCode], Field(max_length=50)]
Population = Annotated[list[PopulationFigureIn], Field(max_length=200)]
StaleAfterDays = Annotated[int, Field(ge=1, le=3650)]
ReminderDays = Annotated[
    int,
    Field(
        ge=0,
        le=60,
        description="Days before a reporting cycle's due date that the `obligation.due_soon` "
        "reminder goes (0: none before the day itself).",
    ),
]


def _unique_population(figures: list[PopulationFigureIn] | None) -> None:
    keys = [(f.population_type, f.date) for f in figures or []]
    if len(keys) != len(set(keys)):
        raise ValueError("population figures repeat a population type and date")


class SituationCreate(InputModel):
    name: Name
    host_country: CountryCode
    origin_countries: OriginCountries = Field(default_factory=list)
    start_date: SituationDate
    phase: Phase = Phase.EMERGENCY
    description: LongText | None = None
    population: Population = Field(default_factory=list)
    review_policy: ReviewPolicy = ReviewPolicy.REVIEW
    stale_after_days: StaleAfterDays = 90
    reminder_days_before: ReminderDays = 3
    template_id: str = Field(default="crrf-annex-i", pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    template_version: str | None = Field(
        default=None, pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$", description="Default: newest."
    )

    @model_validator(mode="after")
    def _checks(self) -> Self:
        _unique_population(self.population)
        self.origin_countries = list(dict.fromkeys(self.origin_countries))
        return self


class SituationUpdate(PatchModel):
    not_nullable = (
        "name",
        "host_country",
        "origin_countries",
        "start_date",
        "phase",
        "population",
        "review_policy",
        "stale_after_days",
        "reminder_days_before",
    )

    name: Name | None = None
    host_country: CountryCode | None = None
    origin_countries: OriginCountries | None = None
    start_date: SituationDate | None = None
    phase: Phase | None = None
    description: LongText | None = None
    population: Population | None = Field(default=None, description="Replaces every figure.")
    review_policy: ReviewPolicy | None = None
    stale_after_days: StaleAfterDays | None = None
    reminder_days_before: ReminderDays | None = None

    @model_validator(mode="after")
    def _checks(self) -> Self:
        _unique_population(self.population)
        if self.origin_countries is not None:
            self.origin_countries = list(dict.fromkeys(self.origin_countries))
        return self


class SituationRead(OutputModel):
    id: uuid.UUID
    name: str
    host_country: str
    origin_countries: list[str]
    start_date: date
    phase: Phase
    description: str | None
    population: list[PopulationFigureRead]
    review_policy: ReviewPolicy
    stale_after_days: int
    reminder_days_before: int
    template_id: str
    template_version: str
    version: int
    created_at: datetime
    updated_at: datetime
    role: SituationRole | None = Field(
        default=None, description="The caller's role here (null for an admin who is no member)."
    )


class MembershipIn(InputModel):
    role: SituationRole


class MemberUser(OutputModel):
    id: uuid.UUID
    email: str
    name: str
    organisation: OrganisationRef | None


class MembershipRead(OutputModel):
    situation_id: uuid.UUID
    user_id: uuid.UUID
    role: SituationRole
    user: MemberUser
    created_at: datetime
    updated_at: datetime
