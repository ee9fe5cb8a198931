"""The situation page's frameworks: the picker, the checklist through the chosen one, and the
coordinator's forms to adopt or drop one (the API's ``/situations/{sid}/frameworks``).

Routes inherit the dashboard router's origin and CSRF checks.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from app import i18n
from app.auth.access import SituationAccess
from app.auth.permissions import Permission
from app.core.deps import RegistryDep, SessionDep
from app.dashboard.deps import situation_page_permission
from app.dashboard.rendering import PageRoute
from app.events.service import Actor
from app.frameworks import service
from app.frameworks.deps import FrameworkPath
from app.frameworks.views import framework_figures
from app.templates.model import localise
from app.templates.registry import TemplateRegistry

router = APIRouter(
    route_class=PageRoute, include_in_schema=False, default_response_class=HTMLResponse
)
FrameworksEdit = Annotated[
    SituationAccess, Depends(situation_page_permission(Permission.SITUATION_WRITE))
]


def context(
    session: Session, access: SituationAccess, registry: TemplateRegistry, chosen: str | None
) -> dict[str, Any]:
    """What ``_framework_view.html`` draws: the adopted frameworks, the chosen one's figures,
    and for coordinators the frameworks they may adopt."""
    situation = access.situation
    language = i18n.current()
    adopted = {a.template_id for a in service.adoptions(session, situation.id)}
    choices, available = [], []
    for framework in registry.latest_frameworks():
        name = localise(framework.name, language) or framework.id
        if framework.id in adopted:
            choices.append((framework.id, name))
        elif framework.maps_to.id == situation.template_id:
            available.append((framework.id, name))
    figures = framework_figures(session, situation, registry, chosen, language) if chosen else None
    can_adopt = access.can(Permission.SITUATION_WRITE)
    return {
        "framework_choices": choices,
        "framework_available": available if can_adopt else [],
        "can_adopt": can_adopt,
        "framework": figures,
    }


@router.post("/situations/{sid}/frameworks")
def adopt(
    access: FrameworksEdit,
    session: SessionDep,
    registry: RegistryDep,
    framework: Annotated[str, Form(max_length=64, pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")],
) -> RedirectResponse:
    """Adopt a framework at its newest version; back to the situation, read through it."""
    service.adopt(session, access.situation, registry, framework, None, Actor.of(access.user))
    target = f"/situations/{access.situation.id}?framework={framework}#framework"
    return RedirectResponse(target, status_code=303)


@router.post("/situations/{sid}/frameworks/{template_id}/drop")
def drop(
    template_id: FrameworkPath, access: FrameworksEdit, session: SessionDep
) -> RedirectResponse:
    """Stop reading the situation through a framework; back to the situation."""
    service.drop(session, access.situation, template_id, Actor.of(access.user))
    return RedirectResponse(f"/situations/{access.situation.id}#framework", status_code=303)
