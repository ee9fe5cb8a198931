"""Templates as the API shows them, labels resolved to one language."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from app.core.vocab import OrganisationType, PillarCode
from app.frameworks.model import FrameworkFile
from app.templates.languages import FALLBACK_LANGUAGE, LabelSource, direction, resolve
from app.templates.model import (
    StateRole,
    TemplateElement,
    TemplateFile,
    TemplateParagraph,
    TemplatePillar,
    TemplateSource,
    localise,
)

Direction = Literal["ltr", "rtl"]


class ElementRead(BaseModel):
    code: str
    title: str
    text: str = Field(description="The official text, verbatim, in `text_lang`.")
    text_lang: str = Field(description="The language of `text` (and of `lead_in`).")
    text_fallback: bool = Field(
        description="True when the official text is not in the requested language in the "
        "template files, so `text` is the English official text."
    )
    text_document: str | None = Field(description="The document symbol of `text`.")
    tags: list[str]
    pillar: PillarCode
    paragraph: str
    solution: str | None
    lead_in: str | None
    state_role: StateRole
    actor_types: list[OrganisationType]


class ParagraphRead(BaseModel):
    number: str
    title: str | None
    solution: str | None
    lead_in: str | None
    state_role: StateRole
    actor_types: list[OrganisationType]
    elements: list[ElementRead]


class SolutionRead(BaseModel):
    code: str
    title: str


class PillarRead(BaseModel):
    code: PillarCode
    title: str
    preamble: list[str]
    solutions: list[SolutionRead]
    paragraphs: list[ParagraphRead]


class TemplateSummary(BaseModel):
    id: str
    kind: Literal["checklist", "context"] = Field(
        description="`checklist`: situations are made from it (Annex I); `context`: a "
        "framework whose elements map to a checklist's (a national plan, the GCR objectives)."
    )
    version: str
    released: date
    name: str
    description: str | None
    source: TemplateSource | None
    language: str = Field(description="The language of the labels (English when not declared).")
    dir: Direction = Field(description="The labels' writing direction: `rtl` for Arabic.")
    label_source: LabelSource = Field(description="Where the labels in `language` come from.")
    languages: list[str]
    element_count: int
    versions: list[str]


class TemplateRead(TemplateSummary):
    kind: Literal["checklist"]
    pillars: list[PillarRead]


def summary_of(
    template: TemplateFile | FrameworkFile,
    versions: list[str],
    language: str | None,
    element_count: int,
) -> TemplateSummary:
    """Describe a checklist template or a context framework without its content."""
    resolved = resolve(template.languages, language)
    return TemplateSummary(
        id=template.id,
        kind="context" if isinstance(template, FrameworkFile) else "checklist",
        version=template.version,
        released=template.released,
        name=localise(template.name, resolved) or template.id,
        description=localise(template.description, resolved),
        source=template.source,
        language=resolved,
        dir=direction(resolved),
        label_source=template.label_sources[resolved],
        languages=template.languages,
        element_count=element_count,
        versions=versions,
    )


def summarise(template: TemplateFile, versions: list[str], language: str | None) -> TemplateSummary:
    """Describe a template without its content."""
    return summary_of(template, versions, language, sum(1 for _ in template.entries()))


def official_text(
    template: TemplateFile, element: TemplateElement, language: str
) -> tuple[str, str, str | None]:
    """An element's official text in ``language`` if the files hold it, else in English."""
    translated = element.official_texts.get(language)
    if translated is not None:
        return translated.text, language, translated.document
    document = template.source.document if template.source else None
    return element.text, FALLBACK_LANGUAGE, document


def _element(
    template: TemplateFile,
    pillar: TemplatePillar,
    paragraph: TemplateParagraph,
    element: TemplateElement,
    language: str,
) -> ElementRead:
    text, text_lang, document = official_text(template, element, language)
    return ElementRead(
        code=element.code,
        title=localise(element.title, language) or element.code,
        text=text,
        text_lang=text_lang,
        text_fallback=text_lang != language,
        text_document=document,
        tags=element.tags,
        pillar=pillar.code,
        paragraph=paragraph.number,
        solution=paragraph.solution,
        lead_in=paragraph.lead_in,
        state_role=paragraph.state_role,
        actor_types=paragraph.actor_types,
    )


def _pillar(template: TemplateFile, pillar: TemplatePillar, language: str) -> PillarRead:
    return PillarRead(
        code=pillar.code,
        title=localise(pillar.title, language) or pillar.code,
        preamble=pillar.preamble,
        solutions=[
            SolutionRead(code=group.code, title=localise(group.title, language) or group.code)
            for group in pillar.solutions
        ],
        paragraphs=[
            ParagraphRead(
                number=paragraph.number,
                title=localise(paragraph.title, language),
                solution=paragraph.solution,
                lead_in=paragraph.lead_in,
                state_role=paragraph.state_role,
                actor_types=paragraph.actor_types,
                elements=[
                    _element(template, pillar, paragraph, element, language)
                    for element in paragraph.elements
                ],
            )
            for paragraph in pillar.paragraphs
        ],
    )


def render(template: TemplateFile, versions: list[str], language: str | None) -> TemplateRead:
    """Describe a template with every pillar, paragraph and element."""
    summary = summarise(template, versions, language)
    pillars = [_pillar(template, pillar, summary.language) for pillar in template.pillars]
    return TemplateRead(**summary.model_dump(exclude={"kind"}), kind="checklist", pillars=pillars)
