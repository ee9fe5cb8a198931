"""What the caller may do in one situation; plain data, shared by routers and services."""

from dataclasses import dataclass

from app.auth.permissions import Permission
from app.core.vocab import SituationRole
from app.models import Situation, User


@dataclass(frozen=True)
class SituationAccess:
    """A situation, the caller, and what the caller may do there."""

    situation: Situation
    user: User
    role: SituationRole | None
    permissions: frozenset[Permission]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions
