"""Framework labels (pillar and element titles) in the page's language, or visibly in English.

The labels come from the template files (``crrf_templates/``), which may give a title in
several languages. Where the page's language has none yet, the English text is shown,
marked ``lang="en"`` (so that screen readers switch voice) with a subtle cue
(``.untranslated`` in the stylesheet).
"""

from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app import i18n
from app.templates.languages import FALLBACK_LANGUAGE
from app.templates.registry import TemplateRegistry


@dataclass(frozen=True)
class Localised:
    """A label's text, and ``lang`` = "en" where it fell back to English on another page."""

    text: str
    lang: str | None = None

    @property
    def attributes(self) -> Markup:
        """` lang="en" class="untranslated"` for a fallback (to put on an element), else ''."""
        if self.lang is None:
            return Markup("")
        return Markup(' lang="{}" class="untranslated"').format(self.lang)

    def __html__(self) -> str:
        if self.lang is None:
            return str(escape(self.text))
        return str(Markup("<span{}>{}</span>").format(self.attributes, self.text))

    def __str__(self) -> str:
        return self.text


def framework(label: dict[str, str]) -> Localised:
    """A label's text in the request's language, or its English text marked as a fallback."""
    language = i18n.current()
    if language in label:
        return Localised(label[language])
    return Localised(label[FALLBACK_LANGUAGE], FALLBACK_LANGUAGE)


def _fallback(text: str) -> Localised:
    """English text of unknown origin: marked on a page in another language."""
    english = i18n.current() == FALLBACK_LANGUAGE
    return Localised(text, None if english else FALLBACK_LANGUAGE)


def _registry(context: Context) -> TemplateRegistry:
    registry: TemplateRegistry = context["request"].app.state.templates
    return registry


@pass_context
def pillar_title(context: Context, situation: Any, code: str, english: str) -> Localised:
    """The title of pillar ``code`` in ``situation``'s template (``english`` if it has none)."""
    template = _registry(context).get(situation.template_id, situation.template_version)
    for pillar in template.pillars if template else []:
        if pillar.code.value == code:
            return framework(pillar.title)
    return _fallback(english)


@pass_context
def element_title(context: Context, situation: Any, item: Any) -> Localised:
    """An item's title: its element's, from the template; a context-specific item's as typed."""
    if item.is_custom:
        return Localised(item.title)
    entry = _registry(context).element(situation.template_id, situation.template_version, item.code)
    return framework(entry.element.title) if entry else _fallback(item.title)
