"""A situation's checklist and summary read through an adopted context framework."""

from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.core.errors import Unprocessable, field_error
from app.core.vocab import ItemStatus
from app.frameworks import service
from app.frameworks.derive import DerivedElement
from app.frameworks.model import SkosRelation
from app.frameworks.service import Adopted
from app.models import Situation
from app.templates.languages import direction, resolve
from app.templates.model import localise
from app.templates.registry import TemplateRegistry


class FrameworkRef(BaseModel):
    id: str
    version: str = Field(description="The version the situation adopted.")
    latest_version: str = Field(description="The newest version in the template files.")
    name: str
    language: str
    dir: Literal["ltr", "rtl"]


class MappedItemRead(BaseModel):
    relation: SkosRelation
    code: str = Field(description="The checklist item's (Annex I) code.")
    title: str
    status: ItemStatus | None = Field(description="Null when the situation has no such item.")
    counted: bool = Field(description="Whether it counts in the element's status.")


class FrameworkItemRead(BaseModel):
    code: str
    group: str | None
    title: str
    status: ItemStatus | None = Field(
        description="Derived from the counted items (README, Context frameworks): the least "
        "advanced of them, not_applicable ones aside; null without a counted mapping."
    )
    in_place_share: float | None = Field(
        description="Counted items in place over the counted applicable ones, 0 to 1."
    )
    mappings: list[MappedItemRead]


class FrameworkChecklist(BaseModel):
    """The checklist through a framework: one entry per framework element."""

    framework: FrameworkRef
    items: list[FrameworkItemRead]
    next_cursor: None = None


class FrameworkFigures(FrameworkRef):
    elements_total: int
    by_status: dict[ItemStatus, int] = Field(
        description="Elements by derived status, zeros included (without a status: left out)."
    )
    in_place_share: float = Field(
        description="Elements in place over elements with an applicable status, 0 to 1."
    )
    elements: list[FrameworkItemRead]


def reference(adopted: Adopted, registry: TemplateRegistry, language: str | None) -> FrameworkRef:
    """Which framework, at which version, in which language."""
    framework = adopted.framework
    resolved = resolve(framework.languages, language)
    latest = registry.framework(framework.id)
    return FrameworkRef(
        id=framework.id,
        version=framework.version,
        latest_version=latest.version if latest else framework.version,
        name=localise(framework.name, resolved) or framework.id,
        language=resolved,
        dir=direction(resolved),
    )


def element_reads(
    derived: list[DerivedElement],
    situation: Situation,
    registry: TemplateRegistry,
    language: str,
) -> list[FrameworkItemRead]:
    """Each derived element with its mapped items' titles in ``language``."""

    def title(code: str) -> str:
        entry = registry.element(situation.template_id, situation.template_version, code)
        return (localise(entry.element.title, language) if entry else None) or code

    return [
        FrameworkItemRead(
            code=d.element.code,
            group=d.element.group,
            title=localise(d.element.title, language) or d.element.code,
            status=d.status,
            in_place_share=d.in_place_share,
            mappings=[
                MappedItemRead(
                    relation=m.mapping.relation,
                    code=m.mapping.code,
                    title=title(m.mapping.code),
                    status=m.status,
                    counted=m.counted,
                )
                for m in d.mapped
            ],
        )
        for d in derived
    ]


def checklist(
    adopted: Adopted,
    derived: list[DerivedElement],
    situation: Situation,
    registry: TemplateRegistry,
    language: str | None,
) -> FrameworkChecklist:
    """The checklist through the framework."""
    ref = reference(adopted, registry, language)
    return FrameworkChecklist(
        framework=ref, items=element_reads(derived, situation, registry, ref.language)
    )


def through(
    session: Session,
    situation: Situation,
    registry: TemplateRegistry,
    framework_id: str,
    language: str,
) -> FrameworkChecklist:
    """The situation's checklist through its adopted framework ``framework_id``."""
    adopted, found = _read(session, situation, registry, framework_id)
    return checklist(adopted, found, situation, registry, language)


def refuse_filters(filtered: bool) -> None:
    """A framework's elements are read whole: the item filters and cursor do not apply."""
    if filtered:
        raise Unprocessable(
            "Read through a framework, the checklist takes no other filter or cursor.",
            errors=[field_error(("query", "framework"), "not combinable with filters")],
        )


def figures(
    adopted: Adopted,
    derived: list[DerivedElement],
    situation: Situation,
    registry: TemplateRegistry,
    language: str | None,
) -> FrameworkFigures:
    """The summary's figures through the framework."""
    ref = reference(adopted, registry, language)
    by_status = dict.fromkeys(ItemStatus, 0)
    for d in derived:
        if d.status is not None:
            by_status[d.status] += 1
    applicable = sum(by_status.values()) - by_status[ItemStatus.NOT_APPLICABLE]
    return FrameworkFigures(
        **ref.model_dump(),
        elements_total=len(derived),
        by_status=by_status,
        in_place_share=by_status[ItemStatus.IN_PLACE] / applicable if applicable else 0.0,
        elements=element_reads(derived, situation, registry, ref.language),
    )


def framework_figures(
    session: Session,
    situation: Situation,
    registry: TemplateRegistry,
    framework_id: str,
    language: str,
) -> FrameworkFigures:
    """The summary's figures through the situation's adopted framework ``framework_id``."""
    adopted, found = _read(session, situation, registry, framework_id)
    return figures(adopted, found, situation, registry, language)


def _read(
    session: Session, situation: Situation, registry: TemplateRegistry, framework_id: str
) -> tuple[Adopted, list[DerivedElement]]:
    adopted = service.adopted(session, situation, registry, framework_id)
    return adopted, service.derived(session, situation, adopted.framework)
