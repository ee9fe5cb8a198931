"""The members page of a situation: who is in it with which role; invite, change, remove.

Coordinators (and admins) only, as the API's members routes. Routes inherit the dashboard
router's origin and CSRF checks. The invitation's one-time link is shown on the page that
answers the post, once, and never put in an address or stored (only its hash is kept).
"""

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app.auth.permissions import Permission
from app.core.deps import SessionDep, SettingsDep
from app.core.vocab import SituationRole
from app.dashboard import membership
from app.dashboard.deps import MembersEdit, MembersPage
from app.dashboard.params import Blank
from app.dashboard.rendering import PageRoute, render

router = APIRouter(
    route_class=PageRoute, include_in_schema=False, default_response_class=HTMLResponse
)

MemberId = Annotated[uuid.UUID, Path()]


def _members_page(
    request: Request,
    access: MembersPage,
    session: SessionDep,
    invited: membership.Invited,
    done: membership.Done | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "user": access.user,
        "situation": access.situation,
        "members": membership.members(session, access),
        "roles": list(SituationRole),
        "can_edit": access.can(Permission.MEMBERS_WRITE),
        "invited": invited,
        "message": membership.done_message(done) if done else None,
        "success": done in membership.SUCCESSES,
    }
    return render(request, "members.html", context, status_code=status_code)


@router.get("/situations/{sid}/members")
def members_page(
    request: Request,
    access: MembersPage,
    session: SessionDep,
    done: Annotated[membership.Done | None, Query(), Blank] = None,
) -> Response:
    """Coordinators: the situation's members and their roles, and a form to invite someone."""
    return _members_page(request, access, session, membership.Invited(), done)


@router.post("/situations/{sid}/members")
def invite_member(
    request: Request,
    access: MembersEdit,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    link: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Make a person a member and show their one-time sign-in link (answered, not redirected:
    the link is shown once and is never put in an address)."""
    invited = membership.invite(
        session,
        access,
        email,
        role,
        give_link=link == "yes",
        base_url=settings.base_url(),
        lifetime=timedelta(hours=settings.invitation_ttl_hours),
    )
    status_code = 422 if invited.errors else 200
    return _members_page(request, access, session, invited, status_code=status_code)


def _back(access: MembersEdit, done: membership.Done, user_id: uuid.UUID) -> Response:
    target = f"/situations/{access.situation.id}/members?done={done.value}"
    if done is membership.Done.REMOVED and user_id == access.user.id and not access.user.is_admin:
        target = "/"
    elif done is membership.Done.ROLE_CHANGED:
        target += f"#member-{user_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/situations/{sid}/members/{user_id}/role")
def change_member_role(
    user_id: MemberId,
    access: MembersEdit,
    session: SessionDep,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Give a member another role; back to the members page, which says how it went."""
    return _back(access, membership.change_role(session, access, user_id, role), user_id)


@router.post("/situations/{sid}/members/{user_id}/remove")
def remove_member(user_id: MemberId, access: MembersEdit, session: SessionDep) -> Response:
    """Take a member out of the situation; back to the members page."""
    return _back(access, membership.remove(session, access, user_id), user_id)
