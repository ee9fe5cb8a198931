"""The situation's adopted frameworks in a report: each element's status at both ends of the
period, derived from the Annex I items' statuses then (``app.frameworks.derive``'s rules)."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.core.vocab import ItemStatus
from app.frameworks import service
from app.frameworks.derive import derive
from app.models import Situation
from app.progress.checklist import ElementLine
from app.templates.model import localise
from app.templates.registry import TemplateRegistry


@dataclass(frozen=True)
class FrameworkLine:
    code: str
    title: str
    opening: ItemStatus | None
    closing: ItemStatus | None


@dataclass(frozen=True)
class FrameworkSection:
    """An adopted framework, at the version the situation adopted."""

    name: str
    version: str
    lines: list[FrameworkLine]

    def in_place(self, closing: bool) -> int:
        return sum(
            1
            for line in self.lines
            if (line.closing if closing else line.opening) is ItemStatus.IN_PLACE
        )


def sections(
    session: Session,
    situation: Situation,
    registry: TemplateRegistry,
    lines: list[ElementLine],
    language: str,
) -> list[FrameworkSection]:
    """Each framework the situation adopted, its elements derived at the start and the end."""
    annex = [line for line in lines if not line.is_custom]
    opening = {line.code: line.opening_status for line in annex if line.opening_status}
    closing = {line.code: line.status for line in annex if line.status}
    found = []
    for adoption in service.adoptions(session, situation.id):
        framework = registry.framework(adoption.template_id, adoption.template_version)
        if framework is None:
            continue
        starts = derive(framework, opening)
        ends = derive(framework, closing)
        found.append(
            FrameworkSection(
                name=localise(framework.name, language) or framework.id,
                version=framework.version,
                lines=[
                    FrameworkLine(
                        code=end.element.code,
                        title=localise(end.element.title, language) or end.element.code,
                        opening=start.status,
                        closing=end.status,
                    )
                    for start, end in zip(starts, ends, strict=True)
                ],
            )
        )
    return found
