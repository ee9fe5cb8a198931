"""Adopt, change and drop a situation's context frameworks; read its checklist through one."""

import uuid
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.core.errors import NotFound, Unprocessable, field_error
from app.core.prepared import prepared
from app.core.vocab import ItemStatus
from app.events.service import Actor, record
from app.frameworks.derive import DerivedElement, derive
from app.frameworks.model import FrameworkFile
from app.models import ChecklistItem, Situation, SituationFramework
from app.templates.registry import TemplateRegistry


@dataclass(frozen=True)
class Adopted:
    """A situation's adoption of a framework, and the framework file at the adopted version."""

    adoption: SituationFramework
    framework: FrameworkFile


def adoptions(session: Session, situation_id: uuid.UUID) -> list[SituationFramework]:
    """The situation's adopted frameworks, by id."""
    return list(session.scalars(_adoptions_statement(), {"situation_id": situation_id}))


@prepared
def _adoptions_statement() -> Select[SituationFramework]:
    """``adoptions``' query, for situation ``situation_id`` (bench "situation page")."""
    return (
        select(SituationFramework)
        .where(SituationFramework.situation_id == bindparam("situation_id"))
        .order_by(SituationFramework.template_id)
    )


def get_adoption(
    session: Session, situation_id: uuid.UUID, template_id: str, *, for_update: bool = False
) -> SituationFramework:
    """One adoption, or 404."""
    stmt = select(SituationFramework).where(
        SituationFramework.situation_id == situation_id,
        SituationFramework.template_id == template_id,
    )
    adoption = session.scalar(stmt.with_for_update() if for_update else stmt)
    if adoption is None:
        raise NotFound("This situation has not adopted that framework.")
    return adoption


def _snapshot(adoption: SituationFramework) -> dict[str, str]:
    return {"template_id": adoption.template_id, "template_version": adoption.template_version}


def adopt(
    session: Session,
    situation: Situation,
    registry: TemplateRegistry,
    template_id: str,
    version: str | None,
    actor: Actor,
) -> tuple[SituationFramework, bool]:
    """Adopt a framework at ``version`` (newest by default), or move to it; True when new."""
    if registry.framework(template_id) is None:
        raise NotFound("No such context framework.")
    framework = registry.framework(template_id, version)
    if framework is None:
        raise Unprocessable(
            "That framework has no such version.",
            errors=[field_error(("body", "version"), "unknown version")],
        )
    if framework.maps_to.id != situation.template_id:
        raise Unprocessable(
            f"This framework maps to {framework.maps_to.id}; the situation's checklist is "
            f"{situation.template_id}.",
            errors=[field_error(("path", "template_id"), "maps to another checklist")],
        )
    existing = session.scalar(
        select(SituationFramework)
        .where(
            SituationFramework.situation_id == situation.id,
            SituationFramework.template_id == template_id,
        )
        .with_for_update()
    )
    if existing is None:
        adoption = SituationFramework(
            situation_id=situation.id, template_id=template_id, template_version=framework.version
        )
        session.add(adoption)
        session.flush()
        record(
            session,
            actor,
            situation_id=situation.id,
            action="framework.adopted",
            after=_snapshot(adoption),
        )
        return adoption, True
    if existing.template_version != framework.version:
        before = _snapshot(existing)
        existing.template_version = framework.version
        session.flush()
        record(
            session,
            actor,
            situation_id=situation.id,
            action="framework.version_changed",
            before=before,
            after=_snapshot(existing),
        )
    return existing, False


def drop(session: Session, situation: Situation, template_id: str, actor: Actor) -> None:
    """Stop reading the situation through a framework; its items are untouched."""
    adoption = get_adoption(session, situation.id, template_id, for_update=True)
    before = _snapshot(adoption)
    session.delete(adoption)
    session.flush()
    record(session, actor, situation_id=situation.id, action="framework.dropped", before=before)


def adopted(
    session: Session, situation: Situation, registry: TemplateRegistry, template_id: str
) -> Adopted:
    """The adoption and its framework file, or 422 when the situation has not adopted it."""
    adoption = session.scalar(
        select(SituationFramework).where(
            SituationFramework.situation_id == situation.id,
            SituationFramework.template_id == template_id,
        )
    )
    framework = registry.framework(template_id, adoption.template_version) if adoption else None
    if adoption is None or framework is None:
        raise Unprocessable(
            "This situation has not adopted that framework "
            "(PUT /situations/{sid}/frameworks/{template_id} adopts one).",
            errors=[field_error(("query", "framework"), "not adopted by this situation")],
        )
    return Adopted(adoption, framework)


def item_statuses(session: Session, situation_id: uuid.UUID) -> dict[str, ItemStatus]:
    """The status of each of the situation's checklist items by code (context items aside)."""
    rows = session.execute(
        select(ChecklistItem.code, ChecklistItem.status).where(
            ChecklistItem.situation_id == situation_id, ChecklistItem.is_custom.is_(False)
        )
    )
    return {row.code: row.status for row in rows}


def derived(
    session: Session, situation: Situation, framework: FrameworkFile
) -> list[DerivedElement]:
    """The framework's elements with the statuses derived from the situation's items."""
    return derive(framework, item_statuses(session, situation.id))
