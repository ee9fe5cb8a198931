"""Open situations with their checklist, change them, manage their members."""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from app.core.base import utcnow
from app.core.errors import NotFound, Unprocessable, field_error
from app.core.prepared import prepared
from app.core.schemas import jsonable
from app.core.vocab import Phase, SituationRole
from app.events.service import Actor, apply_changes, record
from app.models import ChecklistItem, ItemOwner, Membership, PopulationFigure, Situation, User
from app.situations.schemas import (
    AgeBands,
    PopulationFigureIn,
    PopulationFigureRead,
    SituationCreate,
    SituationRead,
    SituationUpdate,
)
from app.templates.registry import TemplateRegistry
from app.templates.upgrade import add_items


def population_rows(figures: list[PopulationFigureIn]) -> list[PopulationFigure]:
    """Map population figures onto rows."""
    rows = []
    for figure in figures:
        row = PopulationFigure(
            population_type=figure.population_type, date=figure.date, total=figure.total
        )
        for sex in ("female", "male"):
            bands: AgeBands | None = getattr(figure, sex)
            for band, value in zip(
                AgeBands.model_fields, (bands.values() if bands else []), strict=False
            ):
                setattr(row, f"{sex}_{band.removeprefix('age_')}", value)
        rows.append(row)
    return rows


def population_read(row: PopulationFigure) -> PopulationFigureRead:
    """Map a population row onto its API shape."""
    breakdown: dict[str, AgeBands | None] = {}
    for sex in ("female", "male"):
        values = {
            band: getattr(row, f"{sex}_{band.removeprefix('age_')}")
            for band in AgeBands.model_fields
        }
        known = any(v is not None for v in values.values())
        breakdown[sex] = AgeBands.model_validate(values, by_name=True) if known else None
    return PopulationFigureRead(
        population_type=row.population_type,
        date=row.date,
        total=row.total,
        female=breakdown["female"],
        male=breakdown["male"],
    )


def population_of(session: Session, situation_id: uuid.UUID) -> list[PopulationFigure]:
    """A situation's population figures, by type and date (one statement)."""
    return list(session.scalars(_population_statement(), {"situation_id": situation_id}))


@prepared
def _population_statement() -> Select[PopulationFigure]:
    """``population_of``'s query, for situation ``situation_id`` (bench "situation page")."""
    return (
        select(PopulationFigure)
        .where(PopulationFigure.situation_id == bindparam("situation_id"))
        .order_by(PopulationFigure.population_type, PopulationFigure.date)
    )


def situation_read(situation: Situation, role: SituationRole | None) -> SituationRead:
    """Describe a situation (its population must be loaded)."""
    fields = {
        name: getattr(situation, name)
        for name in SituationRead.model_fields
        if name not in ("population", "role")
    }
    return SituationRead(
        **fields,
        population=[population_read(row) for row in situation.population],
        role=role,
    )


def load(session: Session, situation_id: uuid.UUID, *, for_update: bool = False) -> Situation:
    """Load a situation with its population figures; lock its row when it is about to change."""
    stmt = (
        select(Situation)
        .options(selectinload(Situation.population))
        .where(Situation.id == situation_id)
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update(of=Situation)
    situation = session.scalar(stmt)
    if situation is None:
        raise NotFound()
    return situation


def create(
    session: Session, registry: TemplateRegistry, data: SituationCreate, actor: Actor
) -> Situation:
    """Open a situation and instantiate its checklist, all ``not_started``, in one transaction."""
    template = registry.get(data.template_id, data.template_version)
    if template is None:
        raise Unprocessable(
            "No such template or template version.",
            errors=[field_error(("body", "template_id"), "unknown template or version")],
        )
    fields = data.model_dump(exclude={"population", "template_id", "template_version"})
    situation = Situation(
        **fields,
        template_id=template.id,
        template_version=template.version,
        population=population_rows(data.population),
    )
    session.add(situation)
    session.flush()
    add_items(session, actor, situation.id, list(template.entries()))
    record(
        session,
        actor,
        situation_id=situation.id,
        action="situation.created",
        after=jsonable({**data.model_dump(mode="json"), "template_version": template.version}),
    )
    session.flush()
    return situation


def update(
    session: Session, situation: Situation, data: SituationUpdate, actor: Actor
) -> Situation:
    """Apply the fields given in ``data``; record what changed."""
    situation = load(session, situation.id)
    changes = data.changes()
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if "population" in changes:
        changes.pop("population")
        rows = sorted(
            population_rows(data.population or []), key=lambda r: (r.population_type, r.date)
        )
        old = [population_read(r).model_dump(mode="json") for r in situation.population]
        new = [population_read(r).model_dump(mode="json") for r in rows]
        if old != new:
            before["population"], after["population"] = old, new
            situation.population.clear()
            session.flush()
            situation.population.extend(rows)
    apply_changes(situation, changes, before, after)
    if after:
        situation.version += 1
        situation.updated_at = utcnow()
        record(
            session,
            actor,
            situation_id=situation.id,
            action="situation.updated",
            before=before,
            after=after,
        )
    session.flush()
    return load(session, situation.id)


def search(
    user: User, *, host_country: str | None, phase: Phase | None
) -> Select[Situation, SituationRole | None]:
    """Build the query of the situations ``user`` may see, with their role in each."""
    stmt = (
        select(Situation, Membership.role)
        .outerjoin(
            Membership,
            (Membership.situation_id == Situation.id) & (Membership.user_id == user.id),
        )
        .options(selectinload(Situation.population))
    )
    if not user.is_admin:
        stmt = stmt.where(Membership.user_id.is_not(None))
    if host_country is not None:
        stmt = stmt.where(Situation.host_country == host_country)
    if phase is not None:
        stmt = stmt.where(Situation.phase == phase)
    return stmt


# --- members -----------------------------------------------------------------------------


def memberships_of(session: Session, user_id: uuid.UUID) -> dict[uuid.UUID, SituationRole]:
    """The role ``user_id`` holds in each situation they are a member of."""
    rows = session.execute(
        select(Membership.situation_id, Membership.role).where(Membership.user_id == user_id)
    )
    return dict(rows.all())


def names_of(session: Session, situation_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of these situations."""
    if not situation_ids:
        return {}
    rows = session.execute(
        select(Situation.id, Situation.name).where(Situation.id.in_(situation_ids))
    )
    return dict(rows.all())


def members_query(situation_id: uuid.UUID) -> Select[Membership]:
    """Build the query of a situation's members, with their user and organisation."""
    return (
        select(Membership)
        .options(selectinload(Membership.user).selectinload(User.organisation))
        .where(Membership.situation_id == situation_id)
    )


def get_member(session: Session, situation_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    """Load one membership or raise NotFound."""
    membership = session.scalar(
        members_query(situation_id)
        .where(Membership.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    if membership is None:
        raise NotFound("This user is not a member of the situation.")
    return membership


def knowable_users(situation_id: uuid.UUID, by: User | None) -> list[ColumnElement[bool]]:
    """Conditions on ``User``: the users ``by`` may make members of the situation.

    Admins, who list every user anyway, and the system (``None``: the CLI, the demo
    loader) may add anyone. Others only users they already
    have a way to know: the situation's members, users of an organisation that owns one
    of its items, and their own organisation's users. Adding one discloses nothing the
    members list or the items do not already show.
    """
    if by is None or by.is_admin:
        return []
    owners = (
        select(ItemOwner.organisation_id)
        .join(ChecklistItem, ChecklistItem.id == ItemOwner.item_id)
        .where(ChecklistItem.situation_id == situation_id)
    )
    member = exists().where(Membership.situation_id == situation_id, Membership.user_id == User.id)
    known = [member, User.organisation_id.in_(owners)]
    if by.organisation_id is not None:
        known.append(User.organisation_id == by.organisation_id)
    return [or_(*known)]


def set_member(
    session: Session,
    situation: Situation,
    user_id: uuid.UUID,
    role: SituationRole,
    actor: Actor,
    *,
    by: User | None = None,
) -> tuple[Membership, bool]:
    """Give a user a role in the situation; return the membership and whether it is new.

    A user ``by`` may not know (``knowable_users``) is answered as a user that does not exist.
    """
    user = session.scalar(select(User).where(User.id == user_id, *knowable_users(situation.id, by)))
    if user is None:
        raise NotFound("No such user.")
    if role is SituationRole.PARTNER and user.organisation_id is None:
        raise Unprocessable(
            "A partner acts for an organisation: give the user an organisation first.",
            errors=[field_error(("body", "role"), "partner needs a user with an organisation")],
        )
    membership = session.get(Membership, (situation.id, user_id))
    created = membership is None
    if membership is None:
        membership = Membership(situation_id=situation.id, user_id=user_id, role=role)
        session.add(membership)
        record(
            session,
            actor,
            situation_id=situation.id,
            action="membership.set",
            before=None,
            after={"user_id": str(user_id), "role": role.value},
        )
    elif membership.role != role:
        record(
            session,
            actor,
            situation_id=situation.id,
            action="membership.set",
            before={"user_id": str(user_id), "role": membership.role.value},
            after={"user_id": str(user_id), "role": role.value},
        )
        membership.role = role
        membership.updated_at = utcnow()
    session.flush()
    return get_member(session, situation.id, user_id), created


def remove_member(session: Session, situation: Situation, user_id: uuid.UUID, actor: Actor) -> None:
    """Take a user out of the situation."""
    membership = get_member(session, situation.id, user_id)
    record(
        session,
        actor,
        situation_id=situation.id,
        action="membership.removed",
        before={"user_id": str(user_id), "role": membership.role.value},
        after=None,
    )
    session.delete(membership)
    session.flush()
