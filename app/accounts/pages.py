"""The pages where people sign in and out, and where an invitation sets a password.

Signing in checks the e-mail address and password (``app.accounts.service``), then hands
the browser a new session id in an HttpOnly, SameSite=Strict cookie (Secure over https):
a session cookie by default, one that lasts with "keep me signed in". Signing out deletes
the session, so its cookie no longer works anywhere. These forms are sent before there is
a session, so ``same_origin`` is their cross-site lock; forms shown to a signed-in person
also carry the session's CSRF token (``app.dashboard.deps.csrf_protected``).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app.accounts import invitations, service, sessions
from app.config import Settings
from app.core.base import utcnow
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import Unprocessable
from app.core.ratelimit import AUTH_FAILED, client_address
from app.dashboard.deps import SESSION_COOKIE, SignOut, csrf_protected, same_origin
from app.dashboard.rendering import (
    PageRoute,
    forget_session,
    remember_language,
    render,
    secure,
)
from app.dashboard.service_texts import translated
from app.i18n import N_
from app.i18n import gettext as _
from app.models import User

router = APIRouter(
    route_class=PageRoute,
    include_in_schema=False,
    default_response_class=HTMLResponse,
    dependencies=[Depends(same_origin)],
)

InvitationToken = Annotated[str, Path(max_length=invitations.MAX_TOKEN_LENGTH)]
NOTICES = {"password": N_("Your password is set: sign in with it now.")}


def safe_next(target: str | None) -> str:
    """A local path to return to after signing in; anything else goes home."""
    if (
        target
        and len(target) <= 2000
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return "/"


def _notice(done: str) -> str | None:
    return _(NOTICES[done]) if done in NOTICES else None


def _signin_page(
    request: Request, *, next_: str, email: str = "", error: str | None = None, status: int = 200
) -> Response:
    settings: Settings = request.app.state.settings
    context = {
        "user": None,
        "error": error,
        "notice": _(notice)
        if (notice := NOTICES.get(request.query_params.get("done", "")))
        else None,
        "next": next_,
        "email": email,
        "keep_days": settings.persistent_session_days,
    }
    return render(request, "signin.html", context, status_code=status)


@router.get("/signin")
def signin_form(
    request: Request, next_: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    """The sign-in form: e-mail address and password."""
    return _signin_page(request, next_=safe_next(next_))


@router.post("/signin")
def signin(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    keep: Annotated[str | None, Form()] = None,
    next_: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Check the e-mail address and password; start a new session; go on."""
    persistent = keep is not None
    try:
        user, secret = service.sign_in(
            session,
            settings,
            email=email,
            password=password,
            address=client_address(request.scope),
            persistent=persistent,
        )
    except service.WrongCredentials as exc:
        setattr(request.state, AUTH_FAILED, True)
        return _signin_page(
            request,
            next_=safe_next(next_),
            email=email[:254],
            error=translated(exc.detail),
            status=400,
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        sessions.end(session, old)  # no session outlives a new sign-in in the same browser
    response = RedirectResponse(safe_next(next_), status_code=303)
    lifetime = service.session_lifetime(settings, persistent=persistent)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(lifetime.total_seconds()) if persistent else None,
        path="/",
        secure=secure(request),
        httponly=True,
        samesite="strict",
    )
    if user.language:  # signed-out pages (this browser's next sign-in) speak it too
        remember_language(request, response, user.language)
    return response


@router.post("/signout", dependencies=[Depends(csrf_protected)])
def signout(request: Request, _user: SignOut, session: SessionDep) -> Response:
    """End the session: its cookie no longer signs anyone in."""
    sessions.end(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/signin", status_code=303)
    forget_session(request, response)
    return response


def _invitation_page(
    request: Request, token: str, user: User, error: str | None, status: int
) -> Response:
    settings: Settings = request.app.state.settings
    context = {
        "user": None,
        "token": token,
        "invited": user,
        "error": error,
        "min_length": settings.password_min_length,
    }
    return render(request, "invitation.html", context, status_code=status)


def _open_invitation(request: Request, session: SessionDep, token: str) -> User:
    try:
        return invitations.find_open(session, token, utcnow())[1]
    except invitations.InvitationInvalid:
        setattr(request.state, AUTH_FAILED, True)
        raise


@router.get("/invitations/{token}")
def invitation_form(request: Request, token: InvitationToken, session: SessionDep) -> Response:
    """An invitation: choose a password (the link works once, until it expires)."""
    user = _open_invitation(request, session, token)
    return _invitation_page(request, token, user, None, 200)


@router.post("/invitations/{token}")
def accept_invitation(
    request: Request,
    token: InvitationToken,
    session: SessionDep,
    settings: SettingsDep,
    password: Annotated[str, Form(max_length=1000)] = "",
    confirm: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Set the password; the link is used up, and every session of the user ends."""
    user = _open_invitation(request, session, token)
    try:
        if password != confirm:
            raise Unprocessable(_("The two passwords are not the same: type them again."))
        invitations.accept(session, token, password, min_length=settings.password_min_length)
    except Unprocessable as exc:
        return _invitation_page(request, token, user, translated(exc.detail), 422)
    response = RedirectResponse("/signin?done=password", status_code=303)
    if SESSION_COOKIE in request.cookies:
        forget_session(request, response)
    return response
