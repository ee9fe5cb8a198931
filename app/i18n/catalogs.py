"""The catalogs: ``.po`` files read and compiled in memory, and how a request's language is chosen.

Only the ``.po`` sources are kept in the repository; ``load`` compiles them at start-up
(Babel's ``read_po`` and ``write_mo`` into a ``Translations``), so nothing is generated on
disk or fetched at run time. ``make messages`` extracts the marked strings and updates the
``.po`` files (see the README).
"""

from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from app import i18n

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"


def po_path(language: str) -> Path:
    """Where the catalog of ``language`` lives."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalog(path: Path) -> Translations:
    """A ``.po`` file compiled in memory (fuzzy entries are left out, as msgfmt does)."""
    with path.open("rb") as source:
        catalog = read_po(source)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@cache
def load() -> None:
    """Install every catalog found under ``LOCALE_DIR`` (English needs none); once a process."""
    for language in i18n.LANGUAGES:
        path = po_path(language)
        if language != i18n.DEFAULT_LANGUAGE and path.is_file():
            i18n.install(language, compile_catalog(path))


def accept_language(header: str | None) -> list[str]:
    """The languages of an ``Accept-Language`` header, most wanted first (q=0 left out)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(*, preference: str | None, cookie: str | None, header: str | None) -> str:
    """The language to speak: the user's preference, else the cookie's, else the browser's
    (Babel's negotiation), else English."""
    for chosen in (preference, cookie):
        if i18n.supported(chosen):
            return chosen  # type: ignore[return-value]
    found = Locale.negotiate(accept_language(header), list(i18n.LANGUAGES), sep="-")
    return found.language if found is not None else i18n.DEFAULT_LANGUAGE
