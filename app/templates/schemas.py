"""Templates as the API shows them, labels resolved to one language."""

from datetime import date

from pydantic import BaseModel

from app.core.vocab import OrganisationType, PillarCode
from app.templates.model import StateRole, TemplateFile, TemplateSource, localise


class ElementRead(BaseModel):
    code: str
    title: str
    text: str
    tags: list[str]
    pillar: PillarCode
    paragraph: str
    solution: str | None
    lead_in: str | None
    state_role: StateRole
    actor_types: list[OrganisationType]


class ParagraphRead(BaseModel):
    number: str
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
    version: str
    released: date
    name: str
    description: str | None
    source: TemplateSource | None
    language: str
    languages: list[str]
    element_count: int
    versions: list[str]


class TemplateRead(TemplateSummary):
    pillars: list[PillarRead]


def summarise(template: TemplateFile, versions: list[str], language: str | None) -> TemplateSummary:
    """Describe a template without its content."""
    resolved = language if language in template.languages else "en"
    return TemplateSummary(
        id=template.id,
        version=template.version,
        released=template.released,
        name=localise(template.name, language) or template.id,
        description=localise(template.description, language),
        source=template.source,
        language=resolved,
        languages=template.languages,
        element_count=sum(1 for _ in template.entries()),
        versions=versions,
    )


def render(template: TemplateFile, versions: list[str], language: str | None) -> TemplateRead:
    """Describe a template with every pillar, paragraph and element."""
    pillars = []
    for pillar in template.pillars:
        paragraphs = [
            ParagraphRead(
                number=paragraph.number,
                solution=paragraph.solution,
                lead_in=paragraph.lead_in,
                state_role=paragraph.state_role,
                actor_types=paragraph.actor_types,
                elements=[
                    ElementRead(
                        code=element.code,
                        title=localise(element.title, language) or element.code,
                        text=element.text,
                        tags=element.tags,
                        pillar=pillar.code,
                        paragraph=paragraph.number,
                        solution=paragraph.solution,
                        lead_in=paragraph.lead_in,
                        state_role=paragraph.state_role,
                        actor_types=paragraph.actor_types,
                    )
                    for element in paragraph.elements
                ],
            )
            for paragraph in pillar.paragraphs
        ]
        pillars.append(
            PillarRead(
                code=pillar.code,
                title=localise(pillar.title, language) or pillar.code,
                preamble=pillar.preamble,
                solutions=[
                    SolutionRead(
                        code=group.code, title=localise(group.title, language) or group.code
                    )
                    for group in pillar.solutions
                ],
                paragraphs=paragraphs,
            )
        )
    summary = summarise(template, versions, language)
    return TemplateRead(**summary.model_dump(), pillars=pillars)
