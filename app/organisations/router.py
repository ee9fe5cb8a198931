"""Organisations: read by any user, written by admins."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from app.auth.deps import CanReadOrganisations, CanWriteOrganisations
from app.core.deps import SessionDep
from app.core.pagination import Cursor, Limit, Page, SortKey, paginate
from app.core.schemas import CountryCode, SearchText
from app.core.vocab import OrganisationType
from app.idempotency.deps import IdempotencyDep
from app.idempotency.service import StoredResponse
from app.models import Organisation
from app.organisations import service
from app.organisations.schemas import OrganisationCreate, OrganisationRead, OrganisationUpdate

router = APIRouter(prefix="/organisations", tags=["organisations"])

_ORDER = [SortKey(Organisation.name, str), SortKey(Organisation.id, uuid.UUID)]


@router.get("")
def list_organisations(
    _user: CanReadOrganisations,
    session: SessionDep,
    type: Annotated[OrganisationType | None, Query()] = None,
    country: Annotated[CountryCode | None, Query()] = None,
    q: Annotated[SearchText | None, Query(description="Part of the name or acronym.")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OrganisationRead]:
    """List organisations by name, filtered by type, country or a search text."""
    stmt = service.search(type_=type, country=country, q=q)
    rows, next_cursor = paginate(session, stmt, _ORDER, cursor=cursor, limit=limit)
    return Page[OrganisationRead](
        items=[OrganisationRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrganisationRead)
def create_organisation(
    data: OrganisationCreate,
    admin: CanWriteOrganisations,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> JSONResponse:
    """Register an organisation."""

    def work() -> StoredResponse:
        organisation = service.create(session, data)
        body = OrganisationRead.model_validate(organisation).model_dump(mode="json")
        return StoredResponse(201, body, {"Location": f"/api/v1/organisations/{organisation.id}"})

    return idempotency.respond(admin, data, work)


@router.get("/{organisation_id}")
def get_organisation(
    organisation_id: uuid.UUID, _user: CanReadOrganisations, session: SessionDep
) -> OrganisationRead:
    """Read one organisation."""
    return OrganisationRead.model_validate(service.get(session, organisation_id))


@router.patch("/{organisation_id}")
def update_organisation(
    organisation_id: uuid.UUID,
    data: OrganisationUpdate,
    _admin: CanWriteOrganisations,
    session: SessionDep,
) -> OrganisationRead:
    """Change an organisation's name, acronym, type or country."""
    organisation = service.update(session, service.get(session, organisation_id), data)
    return OrganisationRead.model_validate(organisation)
