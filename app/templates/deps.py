"""The language a caller reads labels in."""

import re
from typing import Annotated

from fastapi import Depends, Header, Query

_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


async def get_language(
    lang: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
            description="Language of labels (e.g. `fr`); English is the fallback. "
            "Without it, `Accept-Language` decides.",
        ),
    ] = None,
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
) -> str | None:
    """Pick the label language from ``lang`` or the first usable ``Accept-Language`` tag."""
    if lang:
        return lang.lower()
    for part in (accept_language or "").split(","):
        tag = part.split(";", 1)[0].strip().lower()
        if _TAG.match(tag):
            return tag
    return None


Language = Annotated[str | None, Depends(get_language)]
