"""Query parameters of the dashboard's GET forms."""

from typing import Any

from pydantic import BeforeValidator


def _blank_is_none(value: Any) -> Any:
    """An empty choice in a GET form means "any"."""
    return None if value == "" else value


Blank = BeforeValidator(_blank_is_none)
