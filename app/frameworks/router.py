"""A situation's context frameworks: adopt one beside the checklist, change its version, drop it."""

from typing import Annotated

from fastapi import APIRouter, Body, Response, status

from app.auth.deps import SituationReader, SituationWriter
from app.core.deps import RegistryDep, SessionDep
from app.core.pagination import Page
from app.events.service import Actor
from app.frameworks import service
from app.frameworks.deps import FrameworkPath
from app.frameworks.schemas import AdoptionIn, AdoptionRead
from app.models import SituationFramework
from app.templates.model import localise
from app.templates.registry import TemplateRegistry

router = APIRouter(prefix="/situations/{sid}/frameworks", tags=["frameworks"])


def _read(adoption: SituationFramework, registry: TemplateRegistry) -> AdoptionRead:
    framework = registry.framework(adoption.template_id, adoption.template_version)
    latest = registry.framework(adoption.template_id)
    return AdoptionRead(
        situation_id=adoption.situation_id,
        template_id=adoption.template_id,
        template_version=adoption.template_version,
        name=(localise(framework.name, "en") if framework else None) or adoption.template_id,
        latest_version=latest.version if latest else adoption.template_version,
        adopted_at=adoption.created_at,
        updated_at=adoption.updated_at,
    )


@router.get("")
def list_frameworks(
    access: SituationReader, session: SessionDep, registry: RegistryDep
) -> Page[AdoptionRead]:
    """List the context frameworks the situation has adopted, each at its adopted version."""
    adoptions = service.adoptions(session, access.situation.id)
    return Page[AdoptionRead](items=[_read(a, registry) for a in adoptions], next_cursor=None)


@router.put(
    "/{template_id}",
    responses={
        200: {"description": "Adopted already: at the version now named"},
        201: {"description": "Newly adopted", "model": AdoptionRead},
    },
)
def adopt_framework(
    template_id: FrameworkPath,
    access: SituationWriter,
    session: SessionDep,
    registry: RegistryDep,
    response: Response,
    data: Annotated[AdoptionIn | None, Body()] = None,
) -> AdoptionRead:
    """Adopt a framework beside the checklist, or move it to another version (201 when new)."""
    adoption, created = service.adopt(
        session,
        access.situation,
        registry,
        template_id,
        data.version if data else None,
        Actor.of(access.user),
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
        response.headers["Location"] = (
            f"/api/v1/situations/{access.situation.id}/frameworks/{template_id}"
        )
    return _read(adoption, registry)


@router.delete("/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
def drop_framework(
    template_id: FrameworkPath, access: SituationWriter, session: SessionDep
) -> None:
    """Stop reading the situation through a framework; the checklist is untouched."""
    service.drop(session, access.situation, template_id, Actor.of(access.user))
