"""The situation page's framework picker, and the checklist read through the chosen framework."""

from typing import Any

from sqlalchemy.orm import Session

from app import i18n
from app.frameworks import service
from app.frameworks.views import framework_figures
from app.models import Situation
from app.templates.model import localise
from app.templates.registry import TemplateRegistry


def context(
    session: Session, situation: Situation, registry: TemplateRegistry, chosen: str | None
) -> dict[str, Any]:
    """What ``_framework_view.html`` draws: the adopted frameworks, and the chosen one's figures."""
    language = i18n.current()
    choices = []
    for adoption in service.adoptions(session, situation.id):
        framework = registry.framework(adoption.template_id, adoption.template_version)
        name = localise(framework.name, language) if framework else None
        choices.append((adoption.template_id, name or adoption.template_id))
    figures = framework_figures(session, situation, registry, chosen, language) if chosen else None
    return {"framework_choices": choices, "framework": figures}
