"""Funding figures as other resources carry them: the summaries, the roll-up, an item's read.

Apart from ``app.funding.schemas`` so that the checklist's schemas can name them (the
funding schemas name the checklist's item codes).
"""

from pydantic import BaseModel, Field

from app.core.money import Usd


class Funding(BaseModel):
    """Money for an item, a pillar, a situation or an element: USD, to the cent."""

    required_usd: Usd = Field(description="The requirements of every year.")
    funded_usd: Usd = Field(description="Commitments and payments (pledges are not funding).")
    paid_usd: Usd = Field(description="Payments only.")
    pledged_usd: Usd = Field(description="Flows still at `pledge`, shown apart.")
    gap_usd: Usd = Field(description="required - funded, never below 0.")
    funded_share: float | None = Field(
        description="funded ÷ required (4 decimals; above 1 when over-funded); null when "
        "nothing is required."
    )


class FundingOfItem(BaseModel):
    code: str
    funding: Funding
