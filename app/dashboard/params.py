"""Parameters of the dashboard's forms, read the way pages need them."""

from typing import Annotated, Any

from pydantic import BeforeValidator

from app.core.pagination import Cursor


def _blank_is_none(value: Any) -> Any:
    """An empty choice in a GET form means "any"."""
    return None if value == "" else value


Blank = BeforeValidator(_blank_is_none)
PageCursor = Annotated[Cursor, Blank]
