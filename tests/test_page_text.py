"""The pages' translated text, made once per language (``app.i18n.page_text``), is what
Jinja's own gettext callables and Babel's ``format_currency`` make, in every language."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from babel.dates import format_date, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import Translations
from jinja2 import Environment
from markupsafe import Markup

from app import i18n
from app.dashboard.rendering import templates
from app.i18n import catalogs, page_text

LANGUAGES = i18n.LANGUAGES
TEMPLATE = """\
{{ _("Situations") }}|{{ _("100%% <done>") }}|{{ _("Hello %(name)s", name=who) }}|
{% trans %}Plain & simple{% endtrans %}|{% trans name=who %}Hi {{ name }}{% endtrans %}|
{% for n in (0, 1, 5) %}{% trans count=n %}{{ count }} item{% pluralize %}{{ count }} items
{% endtrans %};{% endfor %}|{% trans share="<b>50%</b>"|safe, total=n %}<strong>{{ share }}
</strong> of {{ total }}{% endtrans %}|
{{ ngettext("%(num)s day", "%(num)s days", 3) }}|{{ gettext("Since") }}"""


def jinja_own() -> Environment:
    """The environment as it was: Jinja's newstyle callables over ``app.i18n``."""
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    return env


def messages(language: str) -> list[str]:
    with catalogs.po_path(language).open("rb") as po:
        return [m.id for m in read_po(po) if m.id and isinstance(m.id, str)]


@pytest.fixture(scope="module", autouse=True)
def loaded_catalogs() -> None:
    catalogs.load()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_catalogs_reads_as_jinja_would_give_it(language: str) -> None:
    ours, theirs = templates.env.from_string("{{ _(m) }}"), jinja_own().from_string("{{ _(m) }}")
    every = messages("fr")  # the catalogs hold the same messages (tests/test_i18n.py)
    plain = [m for m in every if "%(" not in m]
    assert len(plain) > 100
    with i18n.use(language):
        for message in plain:
            assert ours.render(m=message) == theirs.render(m=message), message
        # Twice: the second answer comes from the cache.
        assert ours.render(m=plain[0]) == theirs.render(m=plain[0])
        if language != "en":
            assert any(ours.render(m=m) != m for m in plain), "nothing was translated"


@pytest.mark.parametrize("language", LANGUAGES)
def test_trans_blocks_plurals_and_variables_read_as_jinja_would_give_them(language: str) -> None:
    with i18n.use(language):
        for who in ("Ana", "<script>x</script> & co"):
            ours = templates.env.from_string(TEMPLATE).render(who=who, n=7)
            theirs = jinja_own().from_string(TEMPLATE).render(who=who, n=7)
            assert ours == theirs
    # Variables are escaped; messages are the templates' own markup, and "%%" is one "%".
    assert "&lt;script&gt;" in ours and "<script>" not in ours
    assert "|100% <done>|" in ours


def test_a_message_follows_its_catalog_when_the_catalog_changes() -> None:
    with i18n.use("fr"):
        before, kept = page_text.gettext("Situations"), i18n.translations()
        replaced = Translations()
        replaced._catalog = {"Situations": "Crises"}  # a catalog built by hand
        i18n.install("fr", replaced)
        try:
            assert page_text.gettext("Situations") == "Crises"
        finally:
            i18n.install("fr", kept)
        assert page_text.gettext("Situations") == before != "Crises"


@pytest.mark.parametrize("language", LANGUAGES)
def test_amounts_read_as_babel_writes_them(language: str) -> None:
    amounts = [Decimal(0), Decimal("0.5"), Decimal("0.50"), Decimal("1234567.891"), Decimal(-12)]
    with i18n.use(language):
        for amount in [*amounts, *amounts]:  # the second time from the cache
            assert page_text.usd(amount) == format_currency(amount, "USD", locale=language)
        assert page_text.usd(None) == ""
        rendered = templates.env.from_string("{{ a|usd }}").render(a=Decimal("1234.5"))
        assert rendered == format_currency(Decimal("1234.5"), "USD", locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_read_as_babel_writes_them(language: str) -> None:
    moment = datetime(2026, 3, 9, 14, 5, tzinfo=UTC)
    with i18n.use(language):
        assert i18n.babel_locale(language) is i18n.babel_locale(language)
        assert i18n.when(moment.date()) == format_date(moment.date(), "medium", locale=language)
        time = format_time(moment, "short", tzinfo=UTC, locale=language)
        assert i18n.when(moment) == f"{format_date(moment, 'medium', locale=language)} {time} UTC"
        assert i18n.when(None) == ""


def test_the_caches_are_bounded_and_the_pages_use_them() -> None:
    assert page_text._message.cache_info().maxsize == page_text.CACHED
    assert page_text._usd.cache_info().maxsize == page_text.CACHED
    assert templates.env.globals["_"] is page_text.gettext
    assert templates.env.filters["usd"] is page_text.usd
    assert isinstance(page_text.gettext("Situations"), Markup)


def test_an_environment_that_does_not_escape_is_refused() -> None:
    with pytest.raises(ValueError, match="autoescaped"):
        page_text.install(Environment(extensions=["jinja2.ext.i18n"]))  # noqa: S701
