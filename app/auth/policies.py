"""Object-level policies. Each docstring is the question the function answers."""

import uuid

from app.auth.permissions import ADMIN, EVERY_USER, ROLE_PERMISSIONS, Permission
from app.core.vocab import SituationRole
from app.models import User


def global_permissions(user: User) -> frozenset[Permission]:
    """What may this user do outside any situation?"""
    return ADMIN if user.is_admin else EVERY_USER


def situation_permissions(user: User, role: SituationRole | None) -> frozenset[Permission]:
    """What may this user do in a situation where they hold ``role``?"""
    if user.is_admin:
        return ADMIN
    return ROLE_PERMISSIONS[role] if role is not None else frozenset()


def can_see_situation(user: User, role: SituationRole | None) -> bool:
    """May this user know that the situation exists?"""
    return user.is_admin or role is not None


def can_see_user(actor: User, target_id: uuid.UUID) -> bool:
    """May ``actor`` see the user ``target_id`` and manage their tokens?"""
    return actor.is_admin or actor.id == target_id


# What a user may change on their own account; the rest is for admins (``USERS_WRITE``).
PERSONAL_FIELDS = frozenset({"language", "email_opt_out"})


def may_change_user(actor: User, target_id: uuid.UUID, fields: set[str]) -> bool:
    """May ``actor`` change these ``fields`` of the user ``target_id``?"""
    if Permission.USERS_WRITE in global_permissions(actor):
        return True
    return actor.id == target_id and fields <= PERSONAL_FIELDS


def invitation_access(
    actor: User, target: User, *, in_coordinated_situation: bool, coordinates_elsewhere: bool
) -> str:
    """May ``actor`` invite ``target``, handing out a link that sets their password?

    Answers "allow", "forbid" (visible, not allowed: 403) or "hide" (404). Admins invite
    anyone. A coordinator invites the members of the situations they coordinate, but never
    an admin nor a coordinator of a situation they do not coordinate themselves: whoever
    holds the link can take the account over. Others see only themselves.
    """
    if actor.is_admin:
        return "allow"
    if not in_coordinated_situation:
        return "forbid" if actor.id == target.id else "hide"
    if target.is_admin or coordinates_elsewhere:
        return "forbid"
    return "allow"


def may_submit_update(
    user: User, permissions: frozenset[Permission], owner_organisation_ids: set[uuid.UUID]
) -> bool:
    """May this user report on an item owned by these organisations?

    Coordinators (and admins) report on any item; partners only on items their
    organisation owns, in any role.
    """
    if Permission.UPDATES_SUBMIT not in permissions:
        return False
    if Permission.ITEMS_WRITE in permissions:
        return True
    return user.organisation_id is not None and user.organisation_id in owner_organisation_ids


def update_scope(permissions: frozenset[Permission]) -> str | None:
    """Which updates of a situation may this role see: "all", "own", "accepted" or none?"""
    if Permission.UPDATES_READ_ALL in permissions:
        return "all"
    if Permission.UPDATES_READ_OWN in permissions:
        return "own"
    if Permission.UPDATES_READ_ACCEPTED in permissions:
        return "accepted"
    return None


def obligation_scope(permissions: frozenset[Permission]) -> str | None:
    """Whose obligations in a situation may this role see: "all", "own" (its organisation's)
    or none (viewers)?"""
    if Permission.OBLIGATIONS_READ_ALL in permissions:
        return "all"
    if Permission.OBLIGATIONS_LIST in permissions:
        return "own"
    return None


def may_record_flow(
    user: User, permissions: frozenset[Permission], source_organisation_ids: set[uuid.UUID]
) -> bool:
    """May this user record or change a funding flow from these source organisations?

    Coordinators (and admins) record any organisation's flows; partners only flows whose
    source is their own organisation (before and after a change).
    """
    if Permission.FUNDING_MANAGE in permissions:
        return True
    if Permission.FUNDING_RECORD not in permissions or user.organisation_id is None:
        return False
    return source_organisation_ids <= {user.organisation_id}


def may_write_pledge(user: User, party_organisation_ids: set[uuid.UUID]) -> bool:
    """May this user change a pledge whose parties are these organisations, or report on it?

    Admins may; otherwise the users of a party's organisation.
    """
    if Permission.PLEDGES_WRITE in global_permissions(user):
        return True
    return user.organisation_id is not None and user.organisation_id in party_organisation_ids


def may_name_parties(user: User, changed_organisation_ids: set[uuid.UUID]) -> bool:
    """May this user add, change or remove the parties of these organisations on a pledge?

    Admins name any organisation; anyone else only their own, so that no organisation is
    made to promise by another.
    """
    if Permission.PLEDGES_WRITE in global_permissions(user):
        return True
    return changed_organisation_ids <= {user.organisation_id}


def may_link_pledge(user: User, role: SituationRole | None) -> bool:
    """May this user add or remove a pledge's link to an item of a situation where they hold
    ``role``? Admins anywhere; others where they coordinate or are a partner."""
    return user.is_admin or role in (SituationRole.COORDINATOR, SituationRole.PARTNER)
