"""The language switcher: a small form on every page that posts the chosen language.

The choice is kept in a cookie (so signed-out pages, such as sign-in, speak it too) and,
for a signed-in person, on their user (``language``), so that it follows them to other
browsers. Choosing one's own language is open to everyone who may see a page; the form
needs the session's CSRF token when there is a session (``csrf_protected``).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app import i18n
from app.accounts import sessions
from app.accounts.pages import safe_next
from app.core.base import utcnow
from app.core.deps import SessionDep
from app.core.errors import Unprocessable
from app.dashboard.deps import SESSION_COOKIE, csrf_protected, same_origin
from app.dashboard.rendering import PageRoute, remember_language
from app.i18n import gettext as _
from app.users import service as users
from app.users.schemas import UserUpdate

router = APIRouter(
    route_class=PageRoute,
    include_in_schema=False,
    default_response_class=HTMLResponse,
    dependencies=[Depends(same_origin), Depends(csrf_protected)],
)


@router.post("/language")
def choose_language(
    request: Request,
    session: SessionDep,
    language: Annotated[str, Form(max_length=8)] = "",
    next_: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    """Keep the chosen language (cookie; and the signed-in user's preference); go back."""
    chosen = i18n.supported(language)
    if chosen is None:
        raise Unprocessable(_("Choose one of the languages offered."))
    secret = request.cookies.get(SESSION_COOKIE)
    found = sessions.resolve(session, secret, utcnow()) if secret else None
    if found is not None:
        users.update(session, found[1], UserUpdate(language=chosen), by=found[1])
    response = RedirectResponse(safe_next(next_), status_code=303)
    remember_language(request, response, chosen)
    return response
