"""Members of a situation, as the members page manages them: invite, change a role, remove.

The rules are the API's: ``situations.service.set_member`` (who may be added, partners need
an organisation), ``remove_member``, and the invitation policy of
``POST /api/v1/users/{id}/invitations``. Creating an account is for admins only
(``POST /api/v1/users``), so an address without an account is answered with that.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from app.accounts import invitations
from app.auth.access import SituationAccess
from app.auth.policies import invitation_access
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import SortKey, paginate
from app.core.vocab import SituationRole
from app.events.service import Actor
from app.i18n import gettext as _
from app.models import Membership
from app.notify import service as notify
from app.situations import service as situations
from app.situations.schemas import MembershipRead
from app.users import service as users
from app.users.schemas import Email

MEMBERS_SHOWN = 500
_EMAIL: TypeAdapter[str] = TypeAdapter(Email)


def members(session: Session, access: SituationAccess) -> list[MembershipRead]:
    """The situation's members, coordinators first, then by name."""
    rows, _next = paginate(
        session,
        situations.members_query(access.situation.id),
        [SortKey(Membership.user_id, uuid.UUID)],
        cursor=None,
        limit=MEMBERS_SHOWN,
    )
    order = list(SituationRole)
    reads = [MembershipRead.model_validate(m) for m in rows]
    return sorted(reads, key=lambda m: (order.index(m.role), m.user.name.casefold()))


class Done(StrEnum):
    """How a role change or a removal went; the page says it in words."""

    ROLE_CHANGED = "role_changed"
    REMOVED = "removed"
    PARTNER_NEEDS_ORGANISATION = "partner_needs_organisation"
    NOT_FOUND = "not_found"
    INVALID = "invalid"


def done_message(done: Done) -> str:
    """The sentence that says how it went."""
    return {
        Done.ROLE_CHANGED: _("The role was changed."),
        Done.REMOVED: _("The member was removed from the situation."),
        Done.PARTNER_NEEDS_ORGANISATION: _(
            "A partner acts for an organisation, and this person has none: nothing changed. "
            "Ask an admin to give them an organisation first."
        ),
        Done.NOT_FOUND: _("That person is not a member of this situation; nothing changed."),
        Done.INVALID: _("Choose coordinator, partner or viewer; nothing changed."),
    }[done]


SUCCESSES = (Done.ROLE_CHANGED, Done.REMOVED)


def change_role(session: Session, access: SituationAccess, user_id: uuid.UUID, role: str) -> Done:
    """Give a member another role, as ``PUT …/members/{user_id}`` would."""
    try:
        wanted = SituationRole(role)
        situations.get_member(session, access.situation.id, user_id)
        with session.begin_nested():
            situations.set_member(
                session, access.situation, user_id, wanted, Actor.of(access.user), by=access.user
            )
    except ValueError:
        return Done.INVALID
    except NotFound:
        return Done.NOT_FOUND
    except Unprocessable:
        return Done.PARTNER_NEEDS_ORGANISATION
    return Done.ROLE_CHANGED


def remove(session: Session, access: SituationAccess, user_id: uuid.UUID) -> Done:
    """Take a member out, as ``DELETE …/members/{user_id}`` would."""
    try:
        situations.remove_member(session, access.situation, user_id, Actor.of(access.user))
    except NotFound:
        return Done.NOT_FOUND
    return Done.REMOVED


@dataclass
class Invited:
    """What an invitation did: the member, the one-time link (if one was given), or errors."""

    email: str = ""
    role: str = SituationRole.PARTNER.value
    errors: dict[str, str] = field(default_factory=dict)
    member: MembershipRead | None = None
    url: str | None = None
    expires_at: datetime | None = None
    # Whether the link went by e-mail too; None: mail is off.
    emailed: bool | None = None
    link_refused: bool = False


def invite(
    session: Session,
    access: SituationAccess,
    email: str,
    role: str,
    *,
    give_link: bool,
    base_url: str,
    lifetime: timedelta,
) -> Invited:
    """Make the person with this address a member with ``role``, and give a sign-in link."""
    typed = Invited(email=email, role=role)
    try:
        address = _EMAIL.validate_python(email)
    except ValidationError:
        typed.errors["email"] = _("Give an e-mail address such as name@example.org.")
        return typed
    if role not in SituationRole._value2member_map_:
        typed.errors["role"] = _("Choose coordinator, partner or viewer.")
        return typed
    user = users.get_by_email(session, address)
    try:
        if user is None:
            raise NotFound()
        with session.begin_nested():
            membership, _created = situations.set_member(
                session,
                access.situation,
                user.id,
                SituationRole(role),
                Actor.of(access.user),
                by=access.user,
            )
    except NotFound:
        typed.errors["email"] = (
            _("No account has this e-mail address. Create the user first, then invite them here.")
            if access.user.is_admin
            else _(
                "No account you can add has this e-mail address. Only an admin can create "
                "accounts: ask an admin to create one for this person, then invite them here."
            )
        )
        return typed
    except Unprocessable:
        typed.errors["role"] = _(
            "A partner acts for an organisation, and this person has none: choose another "
            "role, or ask an admin to give them an organisation."
        )
        return typed
    typed.member = MembershipRead.model_validate(membership)
    if give_link and user is not None:
        shared, elsewhere = (
            (False, False)
            if access.user.is_admin
            else invitations.coordinator_reach(session, access.user.id, user.id)
        )
        allowed = invitation_access(
            access.user, user, in_coordinated_situation=shared, coordinates_elsewhere=elsewhere
        )
        if allowed == "allow":
            invitation, token = invitations.issue(
                session, user, lifetime=lifetime, by=access.user.id
            )
            typed.url, typed.expires_at = invitations.url(base_url, token), invitation.expires_at
            typed.emailed = notify.invitation_emailed(session, invitation)
        else:
            typed.link_refused = True
    return typed
