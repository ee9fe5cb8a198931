"""Templates: the frameworks situations are built from."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import Field

from app.auth.deps import CanReadTemplates
from app.core.deps import RegistryDep
from app.core.errors import NotFound
from app.core.pagination import Page
from app.frameworks.schemas import FrameworkRead, render_framework, summarise_framework
from app.templates.deps import Language
from app.templates.schemas import TemplateRead, TemplateSummary, render, summarise

router = APIRouter(prefix="/templates", tags=["templates"])


@router.get("")
def list_templates(
    _user: CanReadTemplates, registry: RegistryDep, language: Language
) -> Page[TemplateSummary]:
    """List the checklist templates, then the context frameworks, newest version of each."""
    items = [
        summarise(t, [v.version for v in registry.versions(t.id)], language)
        for t in registry.latest()
    ] + [
        summarise_framework(f, [v.version for v in registry.framework_versions(f.id)], language)
        for f in registry.latest_frameworks()
    ]
    return Page[TemplateSummary](items=items, next_cursor=None)


@router.get("/{template_id}")
def get_template(
    template_id: Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")],
    _user: CanReadTemplates,
    registry: RegistryDep,
    language: Language,
    version: Annotated[
        str | None,
        Query(
            max_length=32,
            pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$",
            description="Default: newest.",
        ),
    ] = None,
) -> Annotated[TemplateRead | FrameworkRead, Field(discriminator="kind")]:
    """Read one template: a checklist with its pillars, or a framework with its mappings."""
    template = registry.get(template_id, version)
    if template is not None:
        return render(template, [v.version for v in registry.versions(template_id)], language)
    framework = registry.framework(template_id, version)
    if framework is None:
        raise NotFound("No such template or template version.")
    versions = [v.version for v in registry.framework_versions(template_id)]
    return render_framework(framework, versions, language)
