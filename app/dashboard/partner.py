"""A partner's workspace: "my organisation", and the update form on an item it owns.

Routes inherit the dashboard router's origin and CSRF checks. The form works without
JavaScript; ``draft.js`` only keeps a draft in the browser. A form that fails validation
answers 422 with what was typed and each error next to its field; nothing is written.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app.checklist.deps import ItemCodePath
from app.core.base import utcnow
from app.core.deps import RegistryDep, SessionDep
from app.dashboard import item_page, organisation_views, update_forms
from app.dashboard.deps import OrganisationPage, ReportPage
from app.dashboard.rendering import PageRoute, render
from app.dashboard.update_forms import TypedUpdate

router = APIRouter(
    route_class=PageRoute, include_in_schema=False, default_response_class=HTMLResponse
)


def organisation_page(
    request: Request, user: Any, session: SessionDep, registry: RegistryDep
) -> Response:
    """Render "my organisation" for ``user`` (also the home page of partners)."""
    context = {
        "user": user,
        "workspace": organisation_views.workspace(session, user, registry, utcnow()),
        "partner_home": request.url.path == "/",
    }
    return render(request, "organisation.html", context)


@router.get("/organisation")
def my_organisation(
    request: Request, user: OrganisationPage, session: SessionDep, registry: RegistryDep
) -> Response:
    """The items your organisation owns by role, its returned updates, and what is due."""
    return organisation_page(request, user, session, registry)


@router.post("/situations/{sid}/items/{code}/updates")
def submit_update(
    request: Request,
    code: ItemCodePath,
    access: ReportPage,
    session: SessionDep,
    registry: RegistryDep,
    proposed_status: Annotated[str, Form(max_length=40)] = "",
    status_note: Annotated[str, Form(max_length=8000)] = "",
    narrative: Annotated[str, Form(max_length=16000)] = "",
    period_start: Annotated[str, Form(max_length=40)] = "",
    period_end: Annotated[str, Form(max_length=40)] = "",
    evidence_title: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006
    evidence_url: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006
    form_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Submit an update from the item page, once per form; invalid: 422 with the form kept."""
    values = {
        "proposed_status": proposed_status,
        "status_note": status_note,
        "narrative": narrative,
        "period_start": period_start,
        "period_end": period_end,
        "form_key": form_key,
    }
    typed = TypedUpdate.sent(values, evidence_title, evidence_url)
    outcome = update_forms.submit(session, access, code, typed)
    if outcome.location is not None:
        return RedirectResponse(outcome.location, status_code=303)
    if outcome.form_key:
        typed = TypedUpdate.sent(
            {**values, "form_key": outcome.form_key}, evidence_title, evidence_url
        )
    context = item_page.context(session, access, registry, code, report=(typed, outcome.errors))
    return render(request, "item.html", context, status_code=422)
