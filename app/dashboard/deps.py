"""Who is signed in to the dashboard, what they may do there, and where a form came from.

The browser holds a server-side session (``app.accounts.sessions``): an HttpOnly,
SameSite=Strict cookie carries its random id, never an API token. Permissions are the
API's: the same role table, the same situation look-up (404 for a situation one may not
see, 403 for what one's role does not allow). A form post must come from this origin and
carry its session's CSRF token.
"""

import hmac
import uuid
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Cookie, Depends, Request
from sqlalchemy.orm import Session

from app import i18n
from app.accounts import sessions
from app.auth.access import SituationAccess
from app.auth.deps import Credential, require, situation_access, situation_permission
from app.auth.permissions import Permission
from app.core.base import utcnow
from app.core.deps import SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.models import User, WebSession

SESSION_COOKIE = "crrf_session"
CSRF_FIELD = "csrf_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ENDED = "Your session has ended: sign in again."


class CrossSiteRequest(Forbidden):
    default_detail = "This form was sent from another site; it was refused and nothing changed."


async def same_origin(request: Request) -> None:
    """Refuse a state-changing request whose Origin (or, without one, Referer) is another host.

    The SameSite=Strict cookie already keeps other sites' forms from being signed in;
    this is the second lock. Requests that carry neither header (non-browser clients) pass.
    """
    if request.method in _SAFE_METHODS:
        return
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    host = request.headers.get("host", "")
    try:
        netloc = urlsplit(source).netloc
    except ValueError:
        netloc = ""
    if not host or netloc.lower() != host.lower():
        raise CrossSiteRequest()


class StaleForm(Forbidden):
    default_detail = (
        "This form has expired (you may have signed in again since it was shown): "
        "go back, reload the page and send it again. Nothing changed."
    )


async def csrf_protected(request: Request) -> None:
    """Refuse a signed-in form post without its session's CSRF token (a hidden field).

    Without a session cookie there is nothing to protect: the page's own dependency then
    asks the browser to sign in.
    """
    if request.method in _SAFE_METHODS:
        return
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return
    sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, sessions.csrf_token(secret)):
        raise StaleForm()


def _web_session_user(request: Request, session: Session, secret: str) -> User:
    """The active user of a live dashboard session, or ``Unauthorized``."""
    found = sessions.resolve(session, secret, utcnow())
    if found is None:
        raise Unauthorized(_ENDED)
    return _signed_in(request, *found)


def _web_session_access(
    request: Request, session: Session, secret: str, sid: uuid.UUID
) -> SituationAccess:
    """``_web_session_user`` and the situation access, in one statement."""
    found = sessions.resolve_with_access(session, secret, utcnow(), sid)
    if found is None:
        raise Unauthorized(_ENDED)
    web_session, user, situation, role = found
    return situation_access(_signed_in(request, web_session, user), situation, role)


def _signed_in(request: Request, web_session: WebSession, user: User) -> User:
    i18n.settle(user.language)  # the page speaks the user's chosen language
    request.state.user_id = user.id
    request.state.web_session_id = web_session.id
    return user


async def cookie_credential(
    request: Request, secret: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None
) -> Credential:
    """The session cookie of the request; without one, ask to sign in (401)."""
    if not secret:
        raise Unauthorized("Sign in to use the dashboard.")
    return Credential(request, secret, _web_session_user, _web_session_access)


def get_signed_in_user(
    session: SessionDep, credential: Annotated[Credential, Depends(cookie_credential)]
) -> User:
    """Resolve the session cookie to an active user; without a live one, ask to sign in."""
    return credential.user(session)


SignedInUser = Annotated[User, Depends(get_signed_in_user)]


def page_permission(permission: Permission) -> Callable[..., User]:
    """A dependency: a signed-in user who holds a global ``permission`` (else 403)."""
    return require(permission, cookie_credential)


def situation_page_permission(permission: Permission) -> Callable[..., SituationAccess]:
    """A dependency: see the situation (else 404) and hold ``permission`` there (else 403)."""
    return situation_permission(permission, cookie_credential)


P = Permission
SituationsPage = Annotated[User, Depends(page_permission(P.SITUATIONS_LIST))]
SignOut = Annotated[User, Depends(page_permission(P.PROFILE_READ))]
SituationPage = Annotated[SituationAccess, Depends(situation_page_permission(P.ITEMS_READ))]
ItemPage = Annotated[SituationAccess, Depends(situation_page_permission(P.HISTORY_READ))]
ReviewPage = Annotated[SituationAccess, Depends(situation_page_permission(P.UPDATES_REVIEW))]
ItemEditPage = Annotated[SituationAccess, Depends(situation_page_permission(P.ITEMS_WRITE))]
OwnersPage = Annotated[SituationAccess, Depends(situation_page_permission(P.OWNERS_WRITE))]
MembersPage = Annotated[SituationAccess, Depends(situation_page_permission(P.MEMBERS_READ))]
MembersEdit = Annotated[SituationAccess, Depends(situation_page_permission(P.MEMBERS_WRITE))]
FundingEdit = Annotated[SituationAccess, Depends(situation_page_permission(P.FUNDING_MANAGE))]
FundingRecord = Annotated[SituationAccess, Depends(situation_page_permission(P.FUNDING_RECORD))]
OrganisationPage = Annotated[User, Depends(page_permission(P.PROFILE_READ))]
ReportPage = Annotated[SituationAccess, Depends(situation_page_permission(P.UPDATES_SUBMIT))]
