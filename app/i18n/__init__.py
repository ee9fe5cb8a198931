"""The interface's languages: which one a request speaks, and gettext for pages and code.

Pages mark their text with ``{{ _("…") }}`` or ``{% trans %}…{% endtrans %}``; Python
code with ``app.i18n.gettext``. The language is the request's (``use``), read by
``gettext`` from a context variable, so one template environment serves every language.
A language without a catalog answers in English. The catalogs are the ``.po`` files under
``app/i18n/locale``, compiled in memory at start-up (``app.i18n.catalogs.load``).

A request's language may be settled after it started (``settle``): the signed-in user's
preference is known only once their session is read, in a worker thread that runs with a
copy of the request's context; the choice is one object that both copies share.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Literal

from babel import Locale
from babel.dates import format_date, format_time
from babel.support import NullTranslations

LANGUAGES = ("en", "fr", "es", "ar")
Language = Literal["en", "fr", "es", "ar"]
DEFAULT_LANGUAGE = "en"
RIGHT_TO_LEFT = frozenset({"ar"})
# Each language by its own name, for the switcher.
NATIVE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}


@dataclass
class _Choice:
    language: str


_current: contextvars.ContextVar[_Choice | None] = contextvars.ContextVar("language", default=None)
_catalogs: dict[str, NullTranslations] = {}
_english = NullTranslations()


def supported(language: str | None) -> str | None:
    """``language`` if the interface speaks it, else None."""
    return language if language in LANGUAGES else None


def current() -> str:
    """The language of the request being served."""
    choice = _current.get()
    return choice.language if choice is not None else DEFAULT_LANGUAGE


def direction(language: str | None = None) -> str:
    """``rtl`` or ``ltr``: the writing direction of ``language`` (default: the current one)."""
    return "rtl" if (language or current()) in RIGHT_TO_LEFT else "ltr"


@contextmanager
def use(language: str) -> Iterator[None]:
    """Speak ``language`` in the block."""
    token = _current.set(_Choice(supported(language) or DEFAULT_LANGUAGE))
    try:
        yield
    finally:
        _current.reset(token)


def settle(language: str | None) -> None:
    """Make ``language`` (if spoken) the language of the block ``use`` opened, for all of it."""
    choice = _current.get()
    if choice is not None and supported(language):
        choice.language = language  # type: ignore[assignment]


def install(language: str, translations: NullTranslations) -> None:
    """Make ``translations`` the catalog of ``language``."""
    _catalogs[language] = translations


def translations() -> NullTranslations:
    """The catalog of the current language (English's, which translates nothing, if none)."""
    return _catalogs.get(current(), _english)


def gettext(message: str) -> str:
    """``message`` in the current language (English where it has no translation)."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message, in the current language."""
    return translations().ngettext(singular, plural, n)


@cache
def babel_locale(language: str) -> Locale:
    """Babel's ``Locale`` of a language, parsed once (Babel parses a name on every call: it
    was 3 % of the situation page, for its dates)."""
    return Locale.parse(language)


def when(value: datetime | date | None) -> str:
    """A date (or a moment, in UTC) written the current language's way."""
    if value is None:
        return ""
    locale = babel_locale(current())
    if isinstance(value, datetime):
        time = format_time(value, "short", tzinfo=UTC, locale=locale)
        return f"{format_date(value, 'medium', locale=locale)} {time} UTC"
    return format_date(value, "medium", locale=locale)


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogs, to be translated later (``gettext(message)``)."""
    return message


N_ = gettext_noop  # the marker that Babel's extraction looks for
