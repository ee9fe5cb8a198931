"""Context frameworks as the API shows them, and their adoption by a situation."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.core.schemas import InputModel
from app.frameworks.model import FrameworkFile, MapsTo, SkosRelation
from app.templates.model import localise
from app.templates.schemas import TemplateSummary, summary_of


class MappingRead(BaseModel):
    relation: SkosRelation = Field(
        description="SKOS, from this element to the checklist's: `narrowMatch` says the "
        "checklist element is narrower (this element covers it)."
    )
    code: str


class FrameworkElementRead(BaseModel):
    code: str
    group: str | None
    title: str
    text: str | None = Field(description="The framework's own words, where the file quotes them.")
    mappings: list[MappingRead]


class GroupRead(BaseModel):
    code: str
    title: str


class FrameworkRead(TemplateSummary):
    kind: Literal["context"]
    maps_to: MapsTo
    source_note: str | None
    groups: list[GroupRead]
    elements: list[FrameworkElementRead]


def summarise_framework(
    framework: FrameworkFile, versions: list[str], language: str | None
) -> TemplateSummary:
    """Describe a context framework without its elements."""
    return summary_of(framework, versions, language, len(framework.elements))


def render_framework(
    framework: FrameworkFile, versions: list[str], language: str | None
) -> FrameworkRead:
    """Describe a context framework with its groups, elements and mappings."""
    summary = summarise_framework(framework, versions, language)
    resolved = summary.language
    return FrameworkRead(
        **summary.model_dump(exclude={"kind"}),
        kind="context",
        maps_to=framework.maps_to,
        source_note=framework.source_note,
        groups=[
            GroupRead(code=g.code, title=localise(g.title, resolved) or g.code)
            for g in framework.groups
        ],
        elements=[
            FrameworkElementRead(
                code=e.code,
                group=e.group,
                title=localise(e.title, resolved) or e.code,
                text=e.text,
                mappings=[MappingRead(relation=m.relation, code=m.code) for m in e.mappings],
            )
            for e in framework.elements
        ],
    )


class AdoptionIn(InputModel):
    version: str | None = Field(
        default=None,
        max_length=32,
        pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$",
        description="A version of the framework; default: the newest. A situation keeps the "
        "version it adopted until a PUT names another.",
    )


class AdoptionRead(BaseModel):
    situation_id: uuid.UUID
    template_id: str
    template_version: str
    name: str
    latest_version: str = Field(description="The newest version in the template files.")
    adopted_at: datetime
    updated_at: datetime
