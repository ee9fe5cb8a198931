"""Admin pages: open a situation (with its population), register an organisation, create a
user and show their invitation link once; the services of the API's create routes.

A form that fails comes back with what was typed and each error next to its field; a
failed create leaves nothing behind (it runs in a savepoint). Opening a situation carries
an idempotency key, so a double tap opens one situation.
"""

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from app.accounts import invitations
from app.auth.permissions import Permission
from app.core.deps import RegistryDep, SessionDep, SettingsDep
from app.core.errors import AppError
from app.core.vocab import OrganisationType, Phase, PopulationType, ReviewPolicy
from app.dashboard.admin_forms import (
    POPULATION_ROWS,
    FormState,
    service_errors,
    situation_payload,
    validate,
)
from app.dashboard.deps import page_permission
from app.dashboard.item_forms import organisation_choices
from app.dashboard.rendering import PageRoute, render
from app.events.service import Actor
from app.i18n import gettext as _
from app.idempotency.service import StoredResponse, run_once
from app.models import Organisation, User
from app.notify import service as notify
from app.organisations import service as organisations
from app.organisations.schemas import OrganisationCreate
from app.situations import service as situations
from app.situations.schemas import SituationCreate
from app.users import service as users
from app.users.schemas import UserCreate

router = APIRouter(
    prefix="/admin",
    route_class=PageRoute,
    include_in_schema=False,
    default_response_class=HTMLResponse,
)

P = Permission

SituationsAdmin = Annotated[User, Depends(page_permission(P.SITUATIONS_CREATE))]
OrganisationsAdmin = Annotated[User, Depends(page_permission(P.ORGANISATIONS_WRITE))]
UsersAdmin = Annotated[User, Depends(page_permission(P.USERS_WRITE))]


async def form_values(request: Request) -> dict[str, str]:
    """The posted form's text fields (already read by the CSRF check)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


FormValues = Annotated[dict[str, str], Depends(form_values)]


def _form_page(
    request: Request, name: str, user: User, state: FormState, status_code: int, **extra: Any
) -> Response:
    context = {"user": user, "form": state, "errors": state.errors, "values": state.values}
    return render(request, name, {**context, **extra}, status_code=status_code)


@router.get("")
def admin_home(request: Request, user: SituationsAdmin) -> Response:
    """What an admin can create from the dashboard."""
    return render(request, "admin/home.html", {"user": user})


# --- situations ------------------------------------------------------------------------


def _situation_form(
    request: Request, user: User, state: FormState, status_code: int = 200
) -> Response:
    return _form_page(
        request,
        "admin/situation_form.html",
        user,
        state,
        status_code,
        phases=list(Phase),
        policies=list(ReviewPolicy),
        population_types=list(PopulationType),
        population_rows=range(POPULATION_ROWS),
    )


@router.get("/situations/new")
def new_situation(request: Request, user: SituationsAdmin) -> Response:
    """The form that opens a situation, with its population figures."""
    state = FormState(values={"idempotency_key": str(uuid.uuid4()), "phase": Phase.EMERGENCY})
    return _situation_form(request, user, state)


@router.post("/situations")
def create_situation(
    request: Request,
    user: SituationsAdmin,
    session: SessionDep,
    registry: RegistryDep,
    values: FormValues,
) -> Response:
    """Open a situation and its checklist, as ``POST /api/v1/situations`` does."""
    state = FormState(values=values)
    payload, rows = situation_payload(values)
    data = validate(SituationCreate, payload, state, rows)
    if data is None:
        return _situation_form(request, user, state, 422)

    def work() -> StoredResponse:
        situation = situations.create(session, registry, data, Actor.of(user))
        return StoredResponse(303, {"id": str(situation.id)}, {})

    try:
        with session.begin_nested():
            stored, _replayed = run_once(
                session,
                user_id=user.id,
                scope="dashboard:situations:create",
                key=values.get("idempotency_key") or None,
                payload=data.model_dump(mode="json"),
                work=work,
            )
    except AppError as exc:
        service_errors(exc, state, "name")
        return _situation_form(request, user, state, 422)
    return RedirectResponse(f"/situations/{stored.body['id']}", status_code=303)


# --- organisations ---------------------------------------------------------------------


def _organisation_form(
    request: Request, user: User, state: FormState, status_code: int = 200, **extra: Any
) -> Response:
    return _form_page(
        request,
        "admin/organisation_form.html",
        user,
        state,
        status_code,
        types=list(OrganisationType),
        **extra,
    )


@router.get("/organisations/new")
def new_organisation(
    request: Request,
    user: OrganisationsAdmin,
    session: SessionDep,
    created: uuid.UUID | None = None,
) -> Response:
    """The form that registers an organisation (and says which one was registered)."""
    done = session.get(Organisation, created) if created else None
    return _organisation_form(request, user, FormState(), created=done)


@router.post("/organisations")
def create_organisation(
    request: Request, user: OrganisationsAdmin, session: SessionDep, values: FormValues
) -> Response:
    """Register an organisation, as ``POST /api/v1/organisations`` does."""
    state = FormState(values=values)
    payload = {
        k: values[k].strip()
        for k in ("name", "acronym", "type", "country")
        if values.get(k, "").strip()
    }
    data = validate(OrganisationCreate, payload, state)
    if data is None:
        return _organisation_form(request, user, state, 422, created=None)
    try:
        with session.begin_nested():
            organisation = organisations.create(session, data)
    except AppError as exc:
        service_errors(exc, state, "name")
        return _organisation_form(request, user, state, 422, created=None)
    return RedirectResponse(f"/admin/organisations/new?created={organisation.id}", status_code=303)


# --- users -----------------------------------------------------------------------------


def _user_form(
    request: Request, user: User, session: Session, state: FormState, status_code: int = 200
) -> Response:
    return _form_page(
        request,
        "admin/user_form.html",
        user,
        state,
        status_code,
        organisations=organisation_choices(session),
    )


@router.get("/users/new")
def new_user(request: Request, user: UsersAdmin, session: SessionDep) -> Response:
    """The form that creates a user and their invitation link."""
    return _user_form(request, user, session, FormState())


@router.post("/users")
def create_user(
    request: Request,
    user: UsersAdmin,
    session: SessionDep,
    settings: SettingsDep,
    values: FormValues,
) -> Response:
    """Create a user, as ``POST /api/v1/users`` does, and show their invitation link once.

    The link is a secret: it is shown in this answer (never stored, never in an address),
    not behind a redirect. Sending the form again finds the address taken and changes
    nothing.
    """
    state = FormState(values=values)
    payload: dict[str, Any] = {
        k: values[k].strip()
        for k in ("email", "name", "organisation_id")
        if values.get(k, "").strip()
    }
    payload["is_admin"] = values.get("is_admin") == "yes"
    data = validate(UserCreate, payload, state)
    if data is None:
        return _user_form(request, user, session, state, 422)
    try:
        with session.begin_nested():
            created = users.create(session, data)
            invitation, token = invitations.issue(
                session,
                created,
                lifetime=timedelta(hours=settings.invitation_ttl_hours),
                by=user.id,
            )
    except AppError as exc:
        service_errors(exc, state, "email")
        return _user_form(request, user, session, state, 422)
    context = {
        "user": user,
        "created": created,
        "link": invitations.url(settings.base_url(), token),
        "expires_at": invitation.expires_at,
        "emailed": notify.invitation_emailed(session, invitation),
        "message": _("User created."),
    }
    return render(request, "admin/user_created.html", context)
