"""The admin's forms as the services' input models: what was typed, and errors per field.

A form is read into the API's body (``SituationCreate``, ``OrganisationCreate``,
``UserCreate``) and validated by it; each error is told next to its field, by the field's
name in the form. Nothing here decides what is valid: the models and services do.
"""

import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.core.errors import AppError
from app.i18n import gettext as _

M = TypeVar("M", bound=BaseModel)

POPULATION_ROWS = 3
POPULATION_FIELDS = ("population_type", "date", "total")


@dataclass
class FormState:
    """What a form shows: the values typed, and the errors by field (``""``: the form's)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def population_field(index: int, name: str) -> str:
    """The form field of one population row's value."""
    return f"population-{index}-{name}"


def situation_payload(values: dict[str, str]) -> tuple[dict[str, Any], list[int]]:
    """The body of ``POST /situations`` from the form, and which form row each figure is."""
    payload: dict[str, Any] = {
        name: values[name].strip()
        for name in ("name", "host_country", "start_date", "phase", "review_policy")
        if values.get(name, "").strip()
    }
    for name in ("description", "stale_after_days"):
        if values.get(name, "").strip():
            payload[name] = values[name].strip()
    origins = [code for code in re.split(r"[\s,;]+", values.get("origin_countries", "")) if code]
    payload["origin_countries"] = origins
    figures, rows = [], []
    for index in range(POPULATION_ROWS):
        row = {
            name: values.get(population_field(index, name), "").strip()
            for name in POPULATION_FIELDS
        }
        if any(row.values()):
            figures.append({name: value for name, value in row.items() if value})
            rows.append(index)
    payload["population"] = figures
    return payload, rows


def _field_of(loc: tuple[Any, ...], rows: list[int]) -> str:
    parts = [part for part in loc if part not in ("body", "form")]
    if not parts:
        return ""
    if parts[0] == "population" and len(parts) > 1 and isinstance(parts[1], int):
        index = rows[parts[1]] if parts[1] < len(rows) else 0
        name = str(parts[2]) if len(parts) > 2 else "total"
        return population_field(index, name if name in POPULATION_FIELDS else "total")
    return str(parts[0])


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", ""))
    return message.removeprefix("Value error, ") or _("This value is not acceptable.")


def validate(
    model: type[M], payload: dict[str, Any], state: FormState, rows: list[int] | None = None
) -> M | None:
    """The model of ``payload``, or None with each error added to ``state`` by field."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        for error in exc.errors():
            state.add(_field_of(tuple(error["loc"]), rows or []), _message(dict(error)))
        return None


def service_errors(exc: AppError, state: FormState, conflict_field: str) -> None:
    """Tell a service's refusal next to its field (a conflict: next to ``conflict_field``)."""
    if exc.errors:
        for error in exc.errors:
            state.add(_field_of(tuple(error.get("loc", ())), []), _message(error))
    else:
        state.add(conflict_field if exc.status == 409 else "", exc.detail)
