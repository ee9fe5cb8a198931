"""Templates, page headers, and the route class that turns errors into pages.

Dashboard routes use ``PageRoute``: a missing or invalid sign-in becomes a redirect to
``/signin``, and application errors become a small HTML page with the same status the API
would answer, never problem+json. The API keeps its problem+json handlers untouched.
"""

from collections.abc import Callable, Coroutine
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.exceptions import HTTPException

from app import i18n
from app.accounts.sessions import csrf_token
from app.core.errors import AppError, Unauthorized
from app.core.ratelimit import AUTH_FAILED
from app.core.schemas import country_name
from app.core.vocab import (
    ItemStatus,
    OwnerRole,
    PartyRole,
    Phase,
    PledgeStatus,
    PledgeType,
    SituationRole,
)
from app.dashboard import labels
from app.dashboard.deps import SESSION_COOKIE
from app.dashboard.service_texts import translated
from app.i18n import N_, catalogs, page_text
from app.i18n import gettext as _

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"

# Everything the pages load comes from this origin; no inline script or style anywhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)

# English labels, marked for the catalogs; ``_label`` translates them when a page shows them.
STATUS_LABELS = {
    ItemStatus.NOT_STARTED: N_("Not started"),
    ItemStatus.PLANNED: N_("Planned"),
    ItemStatus.IN_PROGRESS: N_("In progress"),
    ItemStatus.IN_PLACE: N_("In place"),
    ItemStatus.NOT_APPLICABLE: N_("Not applicable"),
}
ROLE_LABELS = {
    OwnerRole.LEAD: N_("Lead"),
    OwnerRole.SUPPORT: N_("Support"),
    OwnerRole.FUNDING: N_("Funding"),
    OwnerRole.IMPLEMENTING: N_("Implementing"),
}
MEMBER_ROLE_LABELS = {
    SituationRole.COORDINATOR: N_("Coordinator"),
    SituationRole.PARTNER: N_("Partner"),
    SituationRole.VIEWER: N_("Viewer"),
}
PHASE_LABELS = {
    Phase.PREPAREDNESS: N_("Preparedness"),
    Phase.EMERGENCY: N_("Emergency"),
    Phase.STABILISATION: N_("Stabilisation"),
    Phase.PROTRACTED: N_("Protracted"),
    Phase.SOLUTIONS: N_("Solutions"),
}

PLEDGE_LABELS = {
    PledgeType.FINANCIAL: N_("Financial"),
    PledgeType.MATERIAL: N_("Material"),
    PledgeType.TECHNICAL: N_("Technical"),
    PledgeType.RESETTLEMENT: N_("Resettlement"),
    PledgeType.COMPLEMENTARY_PATHWAYS: N_("Complementary pathways"),
    PledgeType.POLICY: N_("Policy"),
    PledgeStatus.PLANNING: N_("Planning"),
    PledgeStatus.FULFILLED: N_("Fulfilled"),
    PledgeStatus.WITHDRAWN: N_("Withdrawn"),
    PartyRole.SUBMITTER: N_("Submitter"),
    PartyRole.CO_PLEDGER: N_("Co-pledger"),
    PartyRole.MATCHER: N_("Matcher"),
}


def _label(value: Any) -> str:
    """A readable label for a vocabulary value, in the request's language."""
    for table in (STATUS_LABELS, ROLE_LABELS, MEMBER_ROLE_LABELS, PHASE_LABELS, PLEDGE_LABELS):
        if value in table:
            return i18n.gettext(table[value])
    return str(value).replace("_", " ").capitalize()


def _by_role(owners: list[Any]) -> list[Any]:
    order = list(OwnerRole)
    return sorted(owners, key=lambda owner: (order.index(owner.role), owner.organisation.name))


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        # The templates ship with the code: a restart loads new ones. Checking each file's
        # time on every use cost a third of the situation page's rendering.
        auto_reload=False,
    )
    page_text.install(env)
    env.filters.update(
        label=_label,
        when=i18n.when,
        percent=_percent,
        country=country_name,
        by_role=_by_role,
        usd=page_text.usd,
    )
    env.globals.update(
        statuses=list(ItemStatus),
        status_labels=STATUS_LABELS,
        language=i18n.current,
        direction=i18n.direction,
        languages=i18n.NATIVE_NAMES,
        framework=labels.framework,
        pillar_title=labels.pillar_title,
        element_title=labels.element_title,
    )
    return env


templates = Jinja2Templates(env=_environment())


LANGUAGE_COOKIE = "crrf_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # a year, in seconds


def request_language(request: Request) -> str:
    """The language a page starts in: the cookie's, else the browser's, else English.

    A signed-in user's preference settles it once their session is read
    (``app.dashboard.deps``).
    """
    return catalogs.negotiate(
        preference=None,
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        header=request.headers.get("accept-language"),
    )


def remember_language(request: Request, response: Response, language: str) -> None:
    """Keep ``language`` in this browser's cookie, for the pages it shows signed out too."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_AGE,
        path="/",
        secure=secure(request),
        httponly=True,
        samesite="lax",
    )


def page_headers(response: Response) -> Response:
    """Headers of every dashboard response: a strict CSP, same-origin referrers, no caching.

    ``Referrer-Policy: same-origin`` (instead of the API's ``no-referrer``) lets browsers
    send the real ``Origin`` with the dashboard's own forms, which ``same_origin`` checks.
    """
    # A page may bring its own policy and language (a progress report: inline style only,
    # in the language asked for).
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Language", i18n.current())
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """Render a page template; its forms get the session's CSRF token."""
    secret = request.cookies.get(SESSION_COOKIE)
    context = {"csrf_token": csrf_token(secret) if secret else "", **context}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def fragment(request: Request, name: str, context: dict[str, Any]) -> str:
    """Render a piece of a page (a template that extends nothing) to HTML."""
    return templates.env.get_template(name).render({"request": request, **context})


def error_page(
    request: Request,
    status_code: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """A small HTML page for an error, with the status (and headers) the API would answer."""
    context = {
        "title": translated(title),
        "detail": translated(detail),
        "status_code": status_code,
        "user": None,
    }
    response = render(request, "error.html", context, status_code=status_code)
    response.headers.update(headers or {})
    return response


def secure(request: Request) -> bool:
    """Whether the request came over HTTPS (so that cookies are marked Secure)."""
    return request.url.scheme == "https"


def forget_session(request: Request, response: Response) -> None:
    """Clear the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=secure(request), httponly=True, samesite="strict"
    )


def signin_redirect(request: Request) -> Response:
    """Send the browser to sign in, coming back to the page it asked for (GET only)."""
    target = "/signin"
    if request.method == "GET" and request.url.path != "/":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += "?" + urlencode({"next": back})
    response = RedirectResponse(target, status_code=303)
    if SESSION_COOKIE in request.cookies:
        forget_session(request, response)
    return response


def _validation_page(request: Request, exc: RequestValidationError) -> Response:
    if any(tuple(error.get("loc", ()))[:1] == ("path",) for error in exc.errors()):
        return error_page(request, 404, _("Not found"), _("No such page, or you may not see it."))
    return error_page(
        request,
        422,
        _("Not understood"),
        _("Some values in the address or the form are not acceptable: go back and try again."),
    )


class PageRoute(APIRoute):
    """A dashboard route: redirects to sign in, errors as HTML pages, page headers.

    The errors are caught inside the request's dependency scope, so the session still
    commits afterwards: a page that writes must leave nothing behind when it fails (the
    review form runs its work in a savepoint). Database outages are not caught here; they
    keep the application's 503 answer.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            with i18n.use(request_language(request)):
                return page_headers(await respond(request))

        async def respond(request: Request) -> Response:
            try:
                response = await handler(request)
            except Unauthorized:
                if SESSION_COOKIE in request.cookies:
                    setattr(request.state, AUTH_FAILED, True)
                response = signin_redirect(request)
            except AppError as exc:
                headers = {k: v for k, v in exc.headers.items() if k == "Retry-After"}
                response = error_page(request, exc.status, exc.title, exc.detail, headers)
            except RequestValidationError as exc:
                response = _validation_page(request, exc)
            except HTTPException as exc:
                known = exc.status_code in HTTPStatus._value2member_map_
                phrase = HTTPStatus(exc.status_code).phrase if known else "Error"
                response = error_page(request, exc.status_code, phrase, _("The request failed."))
            return response

        return page
