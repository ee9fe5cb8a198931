"""Shared schema pieces: the input base model and bounded, clean field types."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

_FORBIDDEN_CONTROLS = {chr(code) for code in range(32)} - {"\t", "\n", "\r"}


def check_text(value: str) -> str:
    """Reject text that no database can store faithfully (NUL, controls, lone surrogates)."""
    if any(char in _FORBIDDEN_CONTROLS for char in value):
        raise ValueError("control characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


def _check_tree(value: Any, depth: int = 0) -> None:
    if depth > 32:
        raise ValueError("the document is nested too deeply")
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                check_text(key)
            _check_tree(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_tree(item, depth + 1)


class InputModel(BaseModel):
    """Base of every request body: unknown fields are rejected, all text is clean."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _clean_text_everywhere(cls, data: Any) -> Any:
        _check_tree(data)
        return data


class PatchModel(InputModel):
    """A partial update: absent fields stay as they are; ``not_nullable`` ones may not be null."""

    not_nullable: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _required_fields_not_null(self) -> Self:
        for name in self.not_nullable:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"'{name}' cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return self.model_dump(exclude_unset=True)


class OutputModel(BaseModel):
    """Base of every response body, read from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


# Codes from the ISO 3166 user-assigned range that UNHCR and OCHA use, which pycountry lacks.
USER_ASSIGNED_COUNTRIES: dict[str, str] = {"XKX": "Kosovo"}


def _normalise_country(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    code = value.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError("must be an ISO 3166-1 alpha-3 country code")
    if code in USER_ASSIGNED_COUNTRIES:
        return code
    if pycountry.countries.get(alpha_3=code) is None:
        raise ValueError("is not a known ISO 3166-1 alpha-3 country code")
    return code


CountryCode = Annotated[
    str,
    BeforeValidator(_normalise_country),
    Field(
        min_length=3,
        max_length=3,
        pattern=r"^[A-Za-z]{3}$",
        description="ISO 3166-1 alpha-3, or XKX (Kosovo, as UNHCR and OCHA code it)",
        examples=["UGA"],
    ),
]

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(check_text),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(check_text),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=4000),
    AfterValidator(check_text),
]
SearchText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(check_text),
]


def country_name(code: str | None) -> str | None:
    """Return the English short name of an alpha-3 country code."""
    if code is None:
        return None
    if code in USER_ASSIGNED_COUNTRIES:
        return USER_ASSIGNED_COUNTRIES[code]
    country = pycountry.countries.get(alpha_3=code)
    return None if country is None else str(country.name)


def jsonable(value: Any) -> Any:
    """Turn dates, ids and enums into JSON values, for event payloads."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
