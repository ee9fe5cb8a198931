"""E-mails rendered in the recipient's language, as plain text and HTML.

Each kind has two Jinja templates in ``templates/``: ``<kind>.txt`` and ``<kind>.html``
(the HTML one autoescaped), sharing their sentences, so the catalogs hold each once.
The subject is written here. Dates are written the language's way (Babel).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app import i18n
from app.core.vocab import EmailKind
from app.i18n import gettext as _
from app.i18n import ngettext

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
# The template of each kind (the three obligation reminders share one).
TEMPLATE = {
    EmailKind.INVITATION: "invitation",
    EmailKind.UPDATE_RETURNED: "update_returned",
    EmailKind.OBLIGATION_DUE_SOON: "obligation",
    EmailKind.OBLIGATION_DUE_TODAY: "obligation",
    EmailKind.OBLIGATION_OVERDUE: "obligation",
    EmailKind.REVIEW_DIGEST: "review_digest",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
        # The templates ship with the code: a restart loads new ones (as the dashboard's,
        # ``app.dashboard.rendering``), so no file's time is checked on every message.
        auto_reload=False,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    env.filters["when"] = i18n.when
    return env


_env = _environment()


def _subject(kind: EmailKind, context: dict[str, Any]) -> str:
    if kind is EmailKind.INVITATION:
        return _("Your sign-in link for CRRF Case Manager")
    if kind is EmailKind.UPDATE_RETURNED:
        return _("Your report on {code} was returned").format(code=context["code"])
    if kind is EmailKind.OBLIGATION_DUE_SOON:
        return _("A report on {code} is due on {date}").format(
            code=context["code"], date=i18n.when(context["due_date"])
        )
    if kind is EmailKind.OBLIGATION_DUE_TODAY:
        return _("A report on {code} is due today").format(code=context["code"])
    if kind is EmailKind.OBLIGATION_OVERDUE:
        return _("A report on {code} is overdue").format(code=context["code"])
    total = sum(entry["count"] for entry in context["situations"])
    return ngettext(
        "{count} update waits for your review", "{count} updates wait for your review", total
    ).format(count=total)


def render(kind: EmailKind, language: str, context: dict[str, Any]) -> Rendered:
    """The subject, text and HTML of a ``kind`` message in ``language`` (else English)."""
    with i18n.use(language):
        spoken = i18n.current()
        subject = _subject(kind, context)
        values = {
            **context,
            "kind": kind.value,
            "subject": subject,
            "language": spoken,
            "direction": i18n.direction(spoken),
        }
        name = TEMPLATE[kind]
        text = _env.get_template(f"{name}.txt").render(values)
        html = _env.get_template(f"{name}.html").render(values)
    return Rendered(subject=subject, text=text, html=html)
