"""The item page's form for coordinators: set what the item needs in a year.

The same service as the API's ``PUT …/requirements/{year}``. The form carries the version
of each year's requirement the page showed (``versions``: ``2024:3,2025:1``): replacing one
that changed since is refused (412), as a stale ``If-Match``. Routes inherit the dashboard
router's origin and CSRF checks; an invalid form answers an error page and changes nothing.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from app.checklist.deps import ItemCodePath
from app.core.deps import SessionDep
from app.core.errors import Unprocessable, field_error
from app.core.etag import IfMatch, etag
from app.dashboard.deps import FundingEdit
from app.dashboard.rendering import PageRoute
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
