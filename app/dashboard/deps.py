"""Who is signed in to the dashboard, what they may do there, and where a form came from.

The dashboard keeps the caller's API token in an HttpOnly, SameSite=Strict cookie and
resolves it exactly as the API resolves a bearer token (``app.auth.deps.authenticate``).
Permissions are the API's: the same role table, the same situation look-up (404 for a
situation one may not see, 403 for what one's role does not allow).
"""

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Cookie, Depends, Request

from app.auth.access import SituationAccess
from app.auth.deps import Credential, authenticate, require, situation_permission
from app.auth.permissions import Permission
from app.core.deps import SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.models import User

SESSION_COOKIE = "crrf_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


async def cookie_credential(
    request: Request, token: Annotated[str | None, Cookie(alias=SESSION_COOKIE)] = None
) -> Credential:
    """The session cookie of the request; without one, ask to sign in (401)."""
    if not token:
        raise Unauthorized("Sign in to use the dashboard.")
    return Credential(request, token, authenticate)


def get_signed_in_user(
    session: SessionDep, credential: Annotated[Credential, Depends(cookie_credential)]
) -> User:
    """Resolve the session cookie to an active user, or answer 401."""
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
