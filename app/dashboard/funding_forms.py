"""The item page's money forms: set what the item needs in a year; record a funding flow.

The requirement form (coordinators) is the API's ``PUT …/requirements/{year}``. It carries
the version of each year's requirement the page showed (``versions``: ``2024:3,2025:1``):
replacing one that changed since is refused (412), as a stale ``If-Match``; an invalid form
answers an error page. The flow form (coordinators, and partners from their organisation) is
the API's ``POST …/funding`` (``app.dashboard.flow_forms``): invalid, it answers the item page
(422) with what was typed and each error next to its field. Routes inherit the dashboard
router's origin and CSRF checks; a refused or invalid post changes nothing.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from app.checklist.deps import ItemCodePath
from app.core.deps import RegistryDep, SessionDep
from app.core.errors import Unprocessable, field_error
from app.core.etag import IfMatch, etag
from app.dashboard import flow_forms, item_page
from app.dashboard.deps import FundingEdit, FundingRecord
from app.dashboard.flow_forms import TypedFlow
from app.dashboard.rendering import PageRoute, render
from app.events.service import Actor
from app.funding import requirements
from app.funding.schemas import RequirementIn

router = APIRouter(
    route_class=PageRoute, include_in_schema=False, default_response_class=HTMLResponse
)


def _versions(text: str) -> dict[int, int]:
    found = {}
    for pair in text.split(","):
        year, _, version = pair.partition(":")
        if year.strip().isdigit() and version.strip().isdigit():
            found[int(year)] = int(version)
    return found


@router.post("/situations/{sid}/items/{code}/requirements")
def set_requirement_form(
    code: ItemCodePath,
    access: FundingEdit,
    session: SessionDep,
    year: Annotated[str, Form(max_length=4)] = "",
    amount_usd: Annotated[str, Form(max_length=20)] = "",
    budget_status: Annotated[str, Form(max_length=20)] = "indicative",
    note: Annotated[str, Form(max_length=2000)] = "",
    versions: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Set what an item needs in a year from its page; back to the page."""
    if not year.isdigit() or not 1990 <= int(year) <= 2100:
        raise Unprocessable(
            "The year must be between 1990 and 2100.",
            errors=[field_error(("form", "year"), "not a year")],
        )
    try:
        data = RequirementIn.model_validate(
            {"amount_usd": amount_usd, "budget_status": budget_status, "note": note or None}
        )
    except ValidationError:
        raise Unprocessable(
            "The amount must be a number of US dollars above 0, with at most two decimals.",
            errors=[field_error(("form", "amount_usd"), "not an amount")],
        ) from None
    shown = _versions(versions).get(int(year))
    if_match = IfMatch(frozenset({etag(shown)})) if shown is not None else None
    requirements.put(
        session, access.situation.id, code, int(year), data, if_match, Actor.of(access.user)
    )
    where = f"/situations/{access.situation.id}/items/{code}#funding-title"
    return RedirectResponse(where, status_code=303)


@router.post("/situations/{sid}/items/{code}/funding")
def record_flow_form(
    request: Request,
    code: ItemCodePath,
    access: FundingRecord,
    session: SessionDep,
    registry: RegistryDep,
    status: Annotated[str, Form(max_length=20)] = "",
    source_organisation_id: Annotated[str, Form(max_length=40)] = "",
    destination_organisation_id: Annotated[str, Form(max_length=40)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
    currency: Annotated[str, Form(max_length=10)] = "",
    amount_usd: Annotated[str, Form(max_length=40)] = "",
    exchange_rate: Annotated[str, Form(max_length=40)] = "",
    date: Annotated[str, Form(max_length=20)] = "",
    budget_year: Annotated[str, Form(max_length=10)] = "",
    fts_flow_id: Annotated[str, Form(max_length=100)] = "",
    flow_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Record a funding flow for the item from its page, once per form; invalid: 422."""
    values = {
        "status": status,
        "source_organisation_id": source_organisation_id,
        "destination_organisation_id": destination_organisation_id,
        "amount": amount,
        "currency": currency,
        "amount_usd": amount_usd,
        "exchange_rate": exchange_rate,
        "date": date,
        "budget_year": budget_year,
        "fts_flow_id": fts_flow_id,
        "form_key": flow_key,
    }
    typed = TypedFlow.sent(values)
    outcome = flow_forms.record(session, access, code, typed)
    if outcome.location is not None:
        return RedirectResponse(outcome.location, status_code=303)
    if outcome.form_key:
        typed = TypedFlow.sent({**values, "form_key": outcome.form_key})
    context = item_page.context(session, access, registry, code, flow=(typed, outcome.errors))
    return render(request, "item.html", context, status_code=422)
