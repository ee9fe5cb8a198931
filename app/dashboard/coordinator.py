"""A coordinator's item pages: edit status, note and target date; set the owners.

Routes inherit the dashboard router's origin and CSRF checks. A stale form answers 409
with both versions side by side and the typed values kept in a form to send again.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app.checklist import service as checklist
from app.checklist.deps import ItemCodePath
from app.core.base import utcnow
from app.core.deps import RegistryDep, SessionDep
from app.core.schemas import SearchText
from app.core.vocab import OwnerRole
from app.dashboard import item_forms
from app.dashboard.deps import ItemEditPage, OwnersPage
from app.dashboard.item_forms import Result
from app.dashboard.params import Blank
from app.dashboard.rendering import PageRoute, render

router = APIRouter(
    route_class=PageRoute, include_in_schema=False, default_response_class=HTMLResponse
)

STATUS_OF = {Result.INVALID: 422, Result.CONFLICT: 409}


def _item_url(access: Any, code: str, suffix: str = "") -> str:
    return f"/situations/{access.situation.id}/items/{code}{suffix}"


def _item_context(access: Any, registry: RegistryDep, item: Any, result: Result) -> dict[str, Any]:
    """What both item forms show: the item as stored now, its ETag, whether it is a conflict."""
    return {
        "user": access.user,
        "situation": access.situation,
        "item": checklist.item_read(item, access.situation, registry, utcnow()),
        "etag": item_forms.item_etag(item),
        "conflict": result is Result.CONFLICT,
    }


def _edit_page(
    request: Request,
    access: ItemEditPage,
    registry: RegistryDep,
    outcome: item_forms.EditOutcome,
    typed: item_forms.TypedEdit,
    status_code: int = 200,
) -> Response:
    context = {
        **_item_context(access, registry, outcome.item, outcome.result),
        "typed": typed,
        "errors": outcome.errors,
    }
    return render(request, "item_edit.html", context, status_code=status_code)


@router.get("/situations/{sid}/items/{code}/edit")
def edit_item_page(
    request: Request,
    code: ItemCodePath,
    access: ItemEditPage,
    session: SessionDep,
    registry: RegistryDep,
) -> Response:
    """Coordinators: a form to change the item's status, status note and target date."""
    item = checklist.get_item(session, access.situation.id, code)
    outcome = item_forms.EditOutcome(Result.SAVED, item)
    return _edit_page(request, access, registry, outcome, item_forms.TypedEdit.of(item))


@router.post("/situations/{sid}/items/{code}/edit")
def edit_item(
    request: Request,
    code: ItemCodePath,
    access: ItemEditPage,
    session: SessionDep,
    registry: RegistryDep,
    etag: Annotated[str, Form(max_length=40)] = "",
    status: Annotated[str, Form(max_length=40)] = "",
    status_note: Annotated[str, Form(max_length=8000)] = "",
    target_date: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Save the edit if the item is still the version the form was made from; else 409."""
    typed = item_forms.TypedEdit(status, status_note, target_date)
    outcome = item_forms.edit_item(session, access, code, typed, etag)
    if outcome.result is Result.SAVED:
        return RedirectResponse(_item_url(access, code, "?saved=item"), status_code=303)
    return _edit_page(request, access, registry, outcome, typed, STATUS_OF[outcome.result])


def _owners_page(
    request: Request,
    access: OwnersPage,
    session: SessionDep,
    registry: RegistryDep,
    outcome: item_forms.OwnersOutcome,
    q: str | None,
    status_code: int = 200,
) -> Response:
    found = item_forms.search_organisations(session, q)
    listed = {(row.organisation.id, row.role) for row in outcome.rows}
    context = {
        **_item_context(access, registry, outcome.item, outcome.result),
        "rows": outcome.rows,
        "stored_rows": item_forms.current_rows(outcome.item),
        "q": q or "",
        "found": [org for org in found if (org.id, "") not in listed],
        "owner_roles": list(OwnerRole),
        "error": outcome.error,
    }
    return render(request, "item_owners.html", context, status_code=status_code)


@router.get("/situations/{sid}/items/{code}/owners")
def owners_page(
    request: Request,
    code: ItemCodePath,
    access: OwnersPage,
    session: SessionDep,
    registry: RegistryDep,
    q: Annotated[SearchText | None, Query(), Blank] = None,
) -> Response:
    """Coordinators: the item's owners, each with a role, and organisations found to add."""
    item = checklist.get_item(session, access.situation.id, code)
    outcome = item_forms.OwnersOutcome(Result.SAVED, item, item_forms.current_rows(item))
    return _owners_page(request, access, session, registry, outcome, q)


@router.post("/situations/{sid}/items/{code}/owners")
def set_owners(
    request: Request,
    code: ItemCodePath,
    access: OwnersPage,
    session: SessionDep,
    registry: RegistryDep,
    etag: Annotated[str, Form(max_length=40)] = "",
    organisation: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
    role: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
) -> Response:
    """Replace the owners if the item is still the version the form was made from; else 409."""
    outcome = item_forms.set_owners(session, access, code, organisation, role, etag)
    if outcome.result is Result.SAVED:
        return RedirectResponse(_item_url(access, code, "?saved=owners"), status_code=303)
    return _owners_page(
        request, access, session, registry, outcome, None, STATUS_OF[outcome.result]
    )
