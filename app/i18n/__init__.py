"""The interface's languages: which one a request speaks, and gettext for pages and code.

Pages mark their text with ``{{ _("…") }}`` or ``{% trans %}…{% endtrans %}``; Python
code with ``app.i18n.gettext``. The language is the request's (``use``), read by
``gettext`` from a context variable, so one template environment serves every language.
A language without a catalog yet answers in English.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from babel.support import NullTranslations

LANGUAGES = ("en", "fr", "es", "ar")
DEFAULT_LANGUAGE = "en"
RIGHT_TO_LEFT = frozenset({"ar"})

_current: contextvars.ContextVar[str] = contextvars.ContextVar("language", default="en")
_catalogs: dict[str, NullTranslations] = {}
_english = NullTranslations()


def current() -> str:
    """The language of the request being served."""
    return _current.get()


def direction(language: str | None = None) -> str:
    """``rtl`` or ``ltr``: the writing direction of ``language`` (default: the current one)."""
    return "rtl" if (language or current()) in RIGHT_TO_LEFT else "ltr"


@contextmanager
def use(language: str) -> Iterator[None]:
    """Speak ``language`` in the block."""
    token = _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def install(language: str, translations: NullTranslations) -> None:
    """Make ``translations`` the catalog of ``language``."""
    _catalogs[language] = translations


def gettext(message: str) -> str:
    """``message`` in the current language (English where it has no translation)."""
    return _catalogs.get(current(), _english).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message, in the current language."""
    return _catalogs.get(current(), _english).ngettext(singular, plural, n)
