"""Money as ``Decimal``, never a float: USD as integer cents in the database, exact text in JSON.

Sums of money are made in SQL over integer cents, which both databases add exactly (SQLite's
NUMERIC would add floats). Amounts that are only stored and shown (an amount in its own
currency, an exchange rate) are kept as their decimal text, read back as ``Decimal``.
Rounding is half-even (banker's rounding), to the cent.
"""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from sqlalchemy import Dialect, String, TypeDecorator

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000000")  # a trillion: more than any flow or requirement


def to_cents(amount: Decimal) -> int:
    """An amount in whole cents, rounded half-even."""
    return int(amount.quantize(CENT, rounding=ROUND_HALF_EVEN) * 100)


def from_cents(cents: int) -> Decimal:
    """Whole cents as an amount with two decimals."""
    return (Decimal(int(cents)) / 100).quantize(CENT)


def usd_text(amount: Decimal) -> str:
    """An amount as its JSON text, two decimals (``"1250.00"``)."""
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_EVEN):f}"


class DecimalText(TypeDecorator[Decimal]):
    """A ``Decimal`` stored as its exact text, on every database."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else f"{value:f}"

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def _decimal_input(places: int) -> Any:
    def parse(value: Any) -> Any:
        if isinstance(value, bool | float):
            raise ValueError('send amounts as strings of decimals ("1250.00"), never floats')
        if isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            return value
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError("must be a decimal number written as a string") from None
        if not number.is_finite() or number <= 0 or number >= MAX_AMOUNT:
            raise ValueError(f"must be above 0 and below {MAX_AMOUNT}")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise ValueError(f"at most {places} decimal places")
        return number

    return parse


def _amount_type(places: int) -> Any:
    return Annotated[
        Decimal,
        BeforeValidator(_decimal_input(places)),
        WithJsonSchema(
            {"type": "string", "pattern": rf"^[0-9]+(\.[0-9]{{1,{places}}})?$"}, mode="validation"
        ),
        PlainSerializer(lambda value: f"{value:f}", return_type=str, when_used="json"),
        WithJsonSchema({"type": "string", "examples": ["1250.00"]}, mode="serialization"),
    ]


UsdIn = _amount_type(2)  # USD, to the cent
AmountIn = _amount_type(4)  # an amount in its own currency
RateIn = _amount_type(10)  # units of the currency per US dollar
Usd = Annotated[
    Decimal,
    PlainSerializer(usd_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["1250.00"]}),
]
DecimalOut = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:f}", return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "examples": ["0.8929"]}),
]
