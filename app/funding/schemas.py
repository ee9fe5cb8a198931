"""Requirement, funding flow and funding-figure bodies.

Amounts are JSON strings of decimals (``"1250.00"``), never floats; see ``app.funding.rules``
for how the USD amount is made and split.
"""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Self

import pycountry
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, model_validator

from app.checklist.schemas import ItemCode
from app.core.money import AmountIn, DecimalOut, RateIn, Usd, UsdIn
from app.core.schemas import InputModel, LongText, OutputModel, PatchModel
from app.core.vocab import BudgetStatus, FlowStatus
from app.funding.rules import MoneyError, usd_and_rate
from app.organisations.schemas import OrganisationRef

Year = Annotated[int, Field(ge=1990, le=2100)]
FlowDate = Annotated[date, Field(ge=date(1990, 1, 1), le=date(2100, 12, 31))]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
ExternalId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")
]
IatiId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=150, pattern=r"^\S+$")
]


def _currency(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    code = value.strip().upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError("must be an ISO 4217 currency code")
    return code


Currency = Annotated[
    str,
    BeforeValidator(_currency),
    Field(min_length=3, max_length=3, description="ISO 4217", examples=["EUR"]),
]
ItemCodes = Annotated[
    list[ItemCode],
    Field(
        min_length=1,
        max_length=50,
        description="The items the flow serves; its USD amount is split equally between "
        "them, in whole cents, the cents left over going to the first ones listed.",
    ),
]
USD_RULE = (
    "USD, to the cent. Without it: `amount ÷ exchange_rate`, rounded half-even to the cent; "
    "with `exchange_rate` too, they must agree to the dollar."
)
RATE_RULE = "Units of `currency` per US dollar, as OCHA FTS gives it (1 for USD)."


class RequirementIn(InputModel):
    """What an item needs in a year."""

    amount_usd: UsdIn = Field(description='USD, to the cent (a string: `"250000.00"`).')
    budget_status: BudgetStatus = BudgetStatus.INDICATIVE
    note: Note | None = None


class RequirementRead(OutputModel):
    id: uuid.UUID
    situation_id: uuid.UUID
    code: str
    year: int
    amount_usd: Usd
    budget_status: BudgetStatus
    note: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class FlowCreate(InputModel):
    """A pledge, commitment or payment, as OCHA FTS records one."""

    status: FlowStatus
    source_organisation_id: uuid.UUID
    destination_organisation_id: uuid.UUID | None = None
    items: ItemCodes
    amount: AmountIn = Field(description="In `currency` (a string, up to 4 decimal places).")
    currency: Currency
    amount_usd: UsdIn | None = Field(default=None, description=USD_RULE)
    exchange_rate: RateIn | None = Field(default=None, description=RATE_RULE)
    date: FlowDate
    budget_year: Year
    fts_flow_id: ExternalId | None = Field(
        default=None, description="The OCHA FTS flow id: unique in the situation."
    )
    iati_activity_id: IatiId | None = None
    description: LongText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.items)) != len(self.items):
            raise ValueError("an item is listed twice")
        try:
            self.amount_usd, self.exchange_rate = usd_and_rate(
                self.amount, self.currency, self.amount_usd, self.exchange_rate
            )
        except MoneyError as exc:
            raise ValueError(f"{exc.field}: {exc}") from None
        return self


class FlowUpdate(PatchModel):
    """Advance the status (pledge → commitment → paid), or correct what was recorded.

    Changing `amount`, `currency` or `exchange_rate` without `amount_usd` recomputes it.
    """

    not_nullable = (
        "status",
        "source_organisation_id",
        "items",
        "amount",
        "currency",
        "date",
        "budget_year",
    )

    status: FlowStatus | None = Field(default=None, description="Only forward.")
    source_organisation_id: uuid.UUID | None = None
    destination_organisation_id: uuid.UUID | None = None
    items: ItemCodes | None = None
    amount: AmountIn | None = None
    currency: Currency | None = None
    amount_usd: UsdIn | None = Field(default=None, description=USD_RULE)
    exchange_rate: RateIn | None = Field(default=None, description=RATE_RULE)
    date: FlowDate | None = None
    budget_year: Year | None = None
    fts_flow_id: ExternalId | None = None
    iati_activity_id: IatiId | None = None
    description: LongText | None = None

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        if self.items is not None and len(set(self.items)) != len(self.items):
            raise ValueError("an item is listed twice")
        return self


class FlowItemShare(BaseModel):
    code: str
    amount_usd: Usd = Field(description="This item's part of the flow's USD amount.")


class FlowRead(BaseModel):
    id: uuid.UUID
    situation_id: uuid.UUID
    status: FlowStatus
    source_organisation_id: uuid.UUID
    source_organisation: OrganisationRef
    destination_organisation_id: uuid.UUID | None
    destination_organisation: OrganisationRef | None
    items: list[str]
    shares: list[FlowItemShare]
    amount: DecimalOut
    currency: str
    exchange_rate: DecimalOut = Field(description=RATE_RULE)
    amount_usd: Usd
    date: date
    budget_year: int
    fts_flow_id: str | None
    iati_activity_id: str | None
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime
