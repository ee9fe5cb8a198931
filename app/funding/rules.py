"""The money rules of a flow, in one place: its USD amount, and how it is split over items.

- ``exchange_rate`` is what OCHA FTS gives: units of the flow's currency per US dollar.
- Without ``amount_usd``, it is ``amount ÷ exchange_rate`` rounded half-even to the cent.
- Without ``exchange_rate``, it is ``amount ÷ amount_usd`` (10 decimal places).
- With both, they must agree to the dollar (FTS rounds its USD amounts to whole dollars).
- A USD flow's rate is 1.
- A flow serving several items is split equally, in whole cents; the cents left over go one
  each to the first items, in the order the flow lists them, so the parts add up exactly.
"""

from decimal import ROUND_HALF_EVEN, Decimal

from app.core.money import CENT

RATE_PLACES = Decimal("1e-10")
TOLERANCE_USD = Decimal("1.00")


class MoneyError(ValueError):
    """An inconsistent amount: ``field`` says which one, the message why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def usd_and_rate(
    amount: Decimal, currency: str, amount_usd: Decimal | None, exchange_rate: Decimal | None
) -> tuple[Decimal, Decimal]:
    """The flow's USD amount (to the cent) and exchange rate, by the rules above."""
    if currency == "USD":
        if exchange_rate is not None and exchange_rate != 1:
            raise MoneyError("exchange_rate", "a USD amount has an exchange rate of 1")
        exchange_rate = Decimal(1)
    if exchange_rate is None:
        if amount_usd is None:
            raise MoneyError("amount_usd", "give amount_usd or exchange_rate for this currency")
        rate = (amount / amount_usd).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
        if rate <= 0:
            raise MoneyError("exchange_rate", "the implied exchange rate is too small")
        return amount_usd, rate
    converted = (amount / exchange_rate).quantize(CENT, rounding=ROUND_HALF_EVEN)
    if amount_usd is None:
        if converted <= 0:
            raise MoneyError("amount_usd", "the amount is less than a cent in USD")
        return converted, exchange_rate
    if abs(amount / exchange_rate - amount_usd) >= TOLERANCE_USD:
        raise MoneyError("amount_usd", "amount_usd and amount ÷ exchange_rate disagree")
    return amount_usd, exchange_rate


def split_cents(total: int, parts: int) -> list[int]:
    """``total`` cents in ``parts`` equal shares; the first shares take the cents left over."""
    share, left = divmod(total, parts)
    return [share + (1 if n < left else 0) for n in range(parts)]
