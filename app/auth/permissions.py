"""The permission vocabulary and the role table.

Global permissions come from being signed in or being an admin; situation permissions
come from one's role in that situation. Admins hold every permission everywhere.
"""

from enum import StrEnum

from app.core.vocab import SituationRole


class Permission(StrEnum):
    # global
    PROFILE_READ = "profile:read"
    TEMPLATES_READ = "templates:read"
    ORGANISATIONS_READ = "organisations:read"
    ORGANISATIONS_WRITE = "organisations:write"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    SITUATIONS_LIST = "situations:list"
    SITUATIONS_CREATE = "situations:create"
    SUMMARY_READ = "summary:read"
    PLEDGES_READ = "pledges:read"
    # Held by admins; others write a pledge as its parties' users (``policies.pledge_access``).
    PLEDGES_WRITE = "pledges:write"
    # per situation
    SITUATION_READ = "situation:read"
    SITUATION_WRITE = "situation:write"
    MEMBERS_READ = "members:read"
    MEMBERS_WRITE = "members:write"
    ITEMS_READ = "items:read"
    ITEMS_WRITE = "items:write"
    OWNERS_WRITE = "owners:write"
    HISTORY_READ = "history:read"
    UPDATES_LIST = "updates:list"
    UPDATES_SUBMIT = "updates:submit"
    UPDATES_READ_ALL = "updates:read_all"
    UPDATES_READ_OWN = "updates:read_own"
    UPDATES_READ_ACCEPTED = "updates:read_accepted"
    UPDATES_REVIEW = "updates:review"
    REPORTS_READ = "reports:read"
    EXPORTS_READ = "exports:read"
    CYCLES_READ = "cycles:read"
    CYCLES_WRITE = "cycles:write"
    OBLIGATIONS_LIST = "obligations:list"
    OBLIGATIONS_READ_ALL = "obligations:read_all"
    OBLIGATIONS_WAIVE = "obligations:waive"
    WEBHOOKS_MANAGE = "webhooks:manage"
    FUNDING_READ = "funding:read"
    FUNDING_RECORD = "funding:record"
    FUNDING_MANAGE = "funding:manage"


P = Permission

EVERY_USER: frozenset[Permission] = frozenset(
    {
        P.PROFILE_READ,
        P.TEMPLATES_READ,
        P.ORGANISATIONS_READ,
        P.SITUATIONS_LIST,
        P.SUMMARY_READ,
        P.PLEDGES_READ,
    }
)
ADMIN: frozenset[Permission] = frozenset(Permission)

_MEMBER = {
    P.SITUATION_READ,
    P.ITEMS_READ,
    P.HISTORY_READ,
    P.UPDATES_LIST,
    P.REPORTS_READ,
    P.EXPORTS_READ,
    P.CYCLES_READ,
    P.FUNDING_READ,
}

ROLE_PERMISSIONS: dict[SituationRole, frozenset[Permission]] = {
    SituationRole.COORDINATOR: frozenset(
        _MEMBER
        | {
            P.SITUATION_WRITE,
            P.MEMBERS_READ,
            P.MEMBERS_WRITE,
            P.ITEMS_WRITE,
            P.OWNERS_WRITE,
            P.UPDATES_SUBMIT,
            P.UPDATES_READ_ALL,
            P.UPDATES_REVIEW,
            P.CYCLES_WRITE,
            P.OBLIGATIONS_LIST,
            P.OBLIGATIONS_READ_ALL,
            P.OBLIGATIONS_WAIVE,
            P.WEBHOOKS_MANAGE,
            P.FUNDING_RECORD,
            P.FUNDING_MANAGE,
        }
    ),
    SituationRole.PARTNER: frozenset(
        _MEMBER | {P.UPDATES_SUBMIT, P.UPDATES_READ_OWN, P.OBLIGATIONS_LIST, P.FUNDING_RECORD}
    ),
    SituationRole.VIEWER: frozenset(_MEMBER | {P.UPDATES_READ_ACCEPTED}),
}
