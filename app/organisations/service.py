"""Create, change and find organisations."""

import unicodedata
import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.core.errors import Conflict, NotFound
from app.core.vocab import OrganisationType
from app.models import Organisation
from app.organisations.schemas import OrganisationCreate, OrganisationUpdate


def get(session: Session, organisation_id: uuid.UUID) -> Organisation:
    """Load an organisation or raise NotFound."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    return organisation


def name_key(name: str) -> str:
    """The key that makes names unique ignoring case and Unicode forms."""
    return unicodedata.normalize("NFKC", name).casefold()


def _ensure_name_free(session: Session, name: str, exclude: uuid.UUID | None = None) -> None:
    stmt = select(Organisation.id).where(Organisation.name_key == name_key(name))
    if exclude is not None:
        stmt = stmt.where(Organisation.id != exclude)
    if session.scalar(stmt) is not None:
        raise Conflict("An organisation with this name exists already.")


def create(session: Session, data: OrganisationCreate) -> Organisation:
    """Register an organisation; names are unique, ignoring case."""
    _ensure_name_free(session, data.name)
    organisation = Organisation(**data.model_dump(), name_key=name_key(data.name))
    session.add(organisation)
    session.flush()
    return organisation


def update(session: Session, organisation: Organisation, data: OrganisationUpdate) -> Organisation:
    """Apply the fields given in ``data``."""
    changes = data.changes()
    if "name" in changes:
        _ensure_name_free(session, changes["name"], exclude=organisation.id)
        changes["name_key"] = name_key(changes["name"])
    for field, value in changes.items():
        setattr(organisation, field, value)
    if changes:
        organisation.version += 1
    session.flush()
    return organisation


def search(
    *,
    type_: OrganisationType | None,
    country: str | None,
    q: str | None,
) -> Select[Organisation]:
    """Build the query of organisations matching the filters."""
    stmt = select(Organisation)
    if type_ is not None:
        stmt = stmt.where(Organisation.type == type_)
    if country is not None:
        stmt = stmt.where(Organisation.country == country)
    if q:
        escaped = name_key(q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(
            Organisation.name_key.like(pattern, escape="\\")
            | func.lower(func.coalesce(Organisation.acronym, "")).like(pattern, escape="\\")
        )
    return stmt
