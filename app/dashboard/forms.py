"""What the dashboard's GET and POST forms send, read the way pages need it."""

from typing import Annotated, Any

from pydantic import BeforeValidator

from app.core.pagination import Cursor


def _blank_is_none(value: Any) -> Any:
    """An empty choice in a GET form means "any"."""
    return None if value == "" else value


Blank = BeforeValidator(_blank_is_none)
PageCursor = Annotated[Cursor, Blank]
