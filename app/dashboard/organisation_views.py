"""What a partner's "my organisation" page composes: the items it owns by role, across
situations; its returned updates, with the reviewer's comment; and what needs a report."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.checklist import service as checklist
from app.checklist.schemas import ItemRead
from app.core.vocab import OwnerRole, SituationRole
from app.cycles import service as cycles
from app.cycles.schemas import ObligationRead
from app.models import ChecklistItem, Organisation, Situation, Update, User
from app.situations import service as situations
from app.templates.registry import TemplateRegistry
from app.updates import service as updates


@dataclass(frozen=True)
class OwnedItem:
    """An item the organisation owns, with its roles on it."""

    item: ItemRead
    roles: list[OwnerRole]

    @property
    def due(self) -> bool:
        """The item needs a report: never reported, stale, or past its target date."""
        flags = self.item.flags
        return flags.no_data or flags.stale or flags.overdue


@dataclass
class SituationItems:
    """One situation, its role for the user, and the organisation's items in it."""

    situation: Situation
    role: SituationRole
    items: list[OwnedItem] = field(default_factory=list)


@dataclass(frozen=True)
class OwedReport:
    """A report the organisation owes in an open cycle, on an item of a situation."""

    obligation: ObligationRead
    situation: Situation
    item: ChecklistItem


@dataclass(frozen=True)
class Workspace:
    """The organisation's page: where it owns items, what was returned, what is due."""

    organisation: Organisation
    situations: list[SituationItems]
    returned: list[Update]
    situation_names: dict[uuid.UUID, str]
    owed: list[OwedReport] = field(default_factory=list)

    @property
    def due(self) -> list[tuple[Situation, OwnedItem]]:
        """Owned items that need a report, in situations where the user reports."""
        return [
            (group.situation, owned)
            for group in self.situations
            if group.role is not SituationRole.VIEWER
            for owned in group.items
            if owned.due
        ]

    @property
    def item_count(self) -> int:
        return sum(len(group.items) for group in self.situations)


def is_partner_home(session: Session, user: User) -> bool:
    """Whether "my organisation" is the user's home: a partner everywhere they are a member."""
    if user.is_admin or user.organisation_id is None:
        return False
    return set(situations.memberships_of(session, user.id).values()) == {SituationRole.PARTNER}


def workspace(
    session: Session, user: User, registry: TemplateRegistry, now: datetime
) -> Workspace | None:
    """The user's organisation's workspace, or ``None`` for a user without an organisation."""
    if user.organisation_id is None:
        return None
    organisation = session.get(Organisation, user.organisation_id)
    if organisation is None:
        return None
    rows = session.execute(checklist.owned_by(organisation.id, user.id)).all()
    roles: dict[uuid.UUID, list[OwnerRole]] = {}
    items_by_situation: dict[uuid.UUID, list[object]] = {}
    for item, role in rows:
        if item.id not in roles:
            roles[item.id] = []
            items_by_situation.setdefault(item.situation_id, []).append(item)
        roles[item.id].append(role)
    memberships = situations.memberships_of(session, user.id)
    groups = []
    for situation_id, items in items_by_situation.items():
        situation = situations.load(session, situation_id)
        reads = checklist.item_reads(session, items, situation, registry, now)
        group = SituationItems(situation, memberships[situation_id])
        group.items = [OwnedItem(read, roles[read.id]) for read in reads]
        groups.append(group)
    groups.sort(key=lambda g: (g.situation.name, g.situation.id))
    returned = list(session.scalars(updates.returned_to(organisation.id, user.id)))
    names = situations.names_of(session, {u.situation_id for u in returned})
    loaded = {group.situation.id: group.situation for group in groups}
    return Workspace(organisation, groups, returned, names, _owed(session, user, now, loaded))


def _owed(
    session: Session, user: User, now: datetime, loaded: dict[uuid.UUID, Situation]
) -> list[OwedReport]:
    """The reports owed in open cycles, soonest due first, with their situation and item."""
    today = now.date()
    owed = []
    for obligation, _, item in session.execute(cycles.reports_owed(user, today)).all():
        if obligation.situation_id not in loaded:
            loaded[obligation.situation_id] = situations.load(session, obligation.situation_id)
        read = cycles.obligation_read(obligation, today)
        owed.append(OwedReport(read, loaded[obligation.situation_id], item))
    return owed
