"""The language a caller reads labels in."""

from typing import Annotated

from fastapi import Depends, Header, Query

from app.i18n import LANGUAGES
from app.templates.languages import FALLBACK_LANGUAGE

LANGUAGE_PATTERN = r"^(en|fr|es|ar)(-[A-Za-z0-9]{2,8})?$"


async def get_language(
    lang: Annotated[
        str | None,
        Query(
            pattern=LANGUAGE_PATTERN,
            max_length=12,
            description="Language of labels: `en`, `fr`, `es` or `ar` (a regional tag such as "
            "`es-419` reads as its language); any other is a 422 problem. Without it, "
            "`Accept-Language` decides, else English.",
        ),
    ] = None,
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
) -> str:
    """Pick the label language from ``lang``, else the first usable ``Accept-Language`` tag."""
    if lang:
        return lang.split("-", 1)[0]
    for part in (accept_language or "").split(","):
        base = part.split(";", 1)[0].strip().lower().split("-", 1)[0]
        if base in LANGUAGES:
            return base
    return FALLBACK_LANGUAGE


Language = Annotated[str, Depends(get_language)]
