"""Invitations: a one-time link that lets a person set their password and sign in."""

from datetime import timedelta

from fastapi import APIRouter, Response, status

from app.accounts import invitations
from app.accounts.deps import InvitationTarget
from app.accounts.schemas import InvitationIssued
from app.auth.deps import CurrentUser
from app.core.deps import SessionDep, SettingsDep
from app.notify import service as notify

router = APIRouter(prefix="/users", tags=["users"])


@router.post("/{user_id}/invitations", status_code=status.HTTP_201_CREATED)
def invite_user(
    target: InvitationTarget,
    actor: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> InvitationIssued:
    """Invite a user to set a password; the link is shown once and ends their earlier ones."""
    invitation, token = invitations.issue(
        session,
        target,
        lifetime=timedelta(hours=settings.invitation_ttl_hours),
        by=actor.id,
    )
    response.headers["Location"] = f"/api/v1/users/{target.id}"
    return InvitationIssued(
        url=invitations.url(settings.base_url(), token),
        expires_at=invitation.expires_at,
        emailed=bool(notify.invitation_emailed(session, invitation)),
    )
