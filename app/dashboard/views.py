"""What each dashboard page shows, composed from the domain services; no queries of its own."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.auth.policies import situation_permissions
from app.checklist import listing
from app.checklist import service as checklist
from app.checklist.list_cache import ItemListCache
from app.checklist.schemas import EventRead, ItemRead
from app.core.pagination import SortKey, paginate, timestamp_key
from app.core.vocab import ItemStatus, PillarCode, SituationRole
from app.i18n import N_
from app.i18n import gettext as _
from app.models import ChecklistItem, Event, Situation, User
from app.organisations.schemas import OrganisationRef
from app.organisations.service import name_key
from app.reporting import service as reporting
from app.reporting.schemas import PillarFigures, SituationSummary
from app.situations import service as situations
from app.templates.registry import TemplateRegistry

SITUATIONS_PER_PAGE = 25
ITEMS_PER_PAGE = 200
EVENTS_PER_PAGE = 50


SITUATION_ORDER = [SortKey(Situation.name, str), SortKey(Situation.id, uuid.UUID)]
ITEM_ORDER = [SortKey(ChecklistItem.sort_order, int, int), SortKey(ChecklistItem.id, uuid.UUID)]
HISTORY_ORDER = [timestamp_key(Event.at), SortKey(Event.id, uuid.UUID)]


class Gap(StrEnum):
    """The gap filters of the items table: one derived flag each."""

    LEAD_MISSING = "lead_missing"
    OVERDUE = "overdue"
    STALE = "stale"
    NO_DATA = "no_data"


# English labels, marked for the catalogs; the pages translate them when they show them.
GAP_LABELS = {
    Gap.LEAD_MISSING: N_("No lead"),
    Gap.OVERDUE: N_("Overdue"),
    Gap.STALE: N_("Stale"),
    Gap.NO_DATA: N_("Never reported"),
}
# The gaps a row is highlighted for; "never reported" is a filter, not a highlight.
HIGHLIGHTED_GAPS = (Gap.LEAD_MISSING, Gap.OVERDUE, Gap.STALE)


# --- situations and pillars ------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One status's part of a pillar's stacked bar, in percent of the bar."""

    status: ItemStatus
    count: int
    start: float
    width: float


@dataclass(frozen=True)
class PillarView:
    """A pillar's figures as the pages show them."""

    figures: PillarFigures

    @property
    def code(self) -> str:
        return self.figures.code.value

    @property
    def in_place(self) -> int:
        return self.figures.by_status[ItemStatus.IN_PLACE]

    @property
    def applicable(self) -> int:
        return self.figures.items_total - self.figures.by_status[ItemStatus.NOT_APPLICABLE]

    @property
    def segments(self) -> list[Segment]:
        total = self.figures.items_total
        segments, start = [], 0.0
        for status in ItemStatus:
            count = self.figures.by_status[status]
            if count and total:
                width = round(count * 100 / total, 3)
                segments.append(Segment(status, count, round(start, 3), width))
                start += width
        return segments


@dataclass(frozen=True)
class SituationCard:
    """A situation on the home page: what it is, one's role, and its pillars."""

    situation: Situation
    role: SituationRole | None
    summary: SituationSummary

    @property
    def pillars(self) -> list[PillarView]:
        return [PillarView(p) for p in self.summary.pillars]


def situation_cards(
    session: Session, user: User, registry: TemplateRegistry, *, now: datetime, cursor: str | None
) -> tuple[list[SituationCard], str | None]:
    """The situations ``user`` may see, by name, each with its summary per pillar."""
    rows, next_cursor = paginate(
        session,
        situations.search(user, host_country=None, phase=None),
        SITUATION_ORDER,
        cursor=cursor,
        limit=SITUATIONS_PER_PAGE,
        scalars=False,
        row_key=lambda row: (row[0].name, row[0].id),
    )
    cards = [
        SituationCard(
            situation,
            role,
            reporting.situation_summary(
                session,
                situation,
                registry,
                pending=reporting.pending_scope(user, situation_permissions(user, role)),
                now=now,
            ),
        )
        for situation, role in rows
    ]
    return cards, next_cursor


def summary(
    session: Session, access: SituationAccess, registry: TemplateRegistry, now: datetime
) -> SituationSummary:
    """The situation's figures now, per pillar (pending reviews as the caller may count them)."""
    pending = reporting.pending_scope(access.user, access.permissions)
    return reporting.situation_summary(
        session, access.situation, registry, pending=pending, now=now
    )


# --- the items table -------------------------------------------------------------------


@dataclass(frozen=True)
class ItemTableFilters:
    """The items table's filters, as the GET form sends them."""

    pillar: PillarCode | None = None
    status: ItemStatus | None = None
    owner: uuid.UUID | None = None
    gap: Gap | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.pillar, self.status, self.owner, self.gap))

    def query(self) -> dict[str, str]:
        """The filters as query parameters (to carry them to the next page)."""
        values = {
            "pillar": self.pillar,
            "status": self.status,
            "owner": self.owner,
            "gap": self.gap,
        }
        return {name: str(value) for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class ItemRow:
    """One row of the items table."""

    item: ItemRead

    @property
    def gaps(self) -> list[str]:
        flags = self.item.flags
        return [GAP_LABELS[gap] for gap in HIGHLIGHTED_GAPS if getattr(flags, gap.value)]


def item_rows(
    session: Session,
    access: SituationAccess,
    registry: TemplateRegistry,
    cache: ItemListCache,
    filters: ItemTableFilters,
    *,
    now: datetime,
    cursor: str | None,
) -> tuple[list[ItemRow], str | None]:
    """The situation's items matching ``filters``, in Annex I order (as the API lists them)."""
    gap: dict[str, Any] = {filters.gap.value: True} if filters.gap else {}
    wanted = listing.ItemFilters(
        pillar=filters.pillar,
        statuses=(filters.status,) if filters.status else (),
        owner=filters.owner,
        **gap,
    )
    page = listing.as_page(
        listing.items_page(
            session,
            access.situation,
            registry,
            cache,
            wanted,
            cursor=cursor,
            limit=ITEMS_PER_PAGE,
            now=now,
        )
    )
    return [ItemRow(read) for read in page.items], page.next_cursor


def owning_organisations(
    session: Session, access: SituationAccess, rows: list[ItemRow] | None = None
) -> list[OrganisationRef]:
    """The organisations that own any item of the situation, by name (the owner filter).

    ``rows``, when they are all of the situation's items, name them already: they are taken
    from there, not asked again (the query and its rows were a sixth of the situation
    page's CPU: bench "situation page"). Either way they are in ``name_key`` order, which
    is the same on every database.
    """
    if rows is None:
        found = checklist.owning_organisations(session, access.situation.id)
        organisations = [OrganisationRef.model_validate(org) for org in found]
    else:
        owners = {o.organisation.id: o.organisation for row in rows for o in row.item.owners}
        organisations = list(owners.values())
    return sorted(organisations, key=lambda org: name_key(org.name))


# --- one item and its history ----------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A field an event set: from what (``None`` when it had no earlier value) to what."""

    field: str
    before: str | None
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    """An event, told for people."""

    event: EventRead
    title: str
    changes: list[Change]

    @property
    def actor(self) -> str:
        actor = self.event.actor
        if actor.user_name is None and actor.organisation_name is None:
            return _("System") if actor.user_id is None else _("A former user")
        if actor.organisation_name is None:
            return actor.user_name or ""
        return f"{actor.user_name or _('A former user')} ({actor.organisation_name})"


ACTION_TITLES = {
    "item.created": N_("Item created"),
    "item.updated": N_("Item changed"),
    "item.owners_set": N_("Owners changed"),
    "update.submitted": N_("Update submitted"),
    "update.accepted": N_("Update accepted"),
    "update.returned": N_("Update returned"),
    "pledge.created": N_("Pledge made"),
    "pledge.changed": N_("Pledge changed"),
    "pledge.progress_reported": N_("Pledge progress reported"),
    "requirement.set": N_("Requirement set"),
    "requirement.deleted": N_("Requirement deleted"),
}
FIELD_LABELS = {
    "status": N_("Status"),
    "status_note": N_("Status note"),
    "target_date": N_("Target date"),
    "owners": N_("Owners"),
    "proposed_status": N_("Proposed status"),
    "review_comment": N_("Review comment"),
    # a requirement's (``requirement.set``, ``requirement.deleted``)
    "year": N_("Year"),
    "amount_usd": N_("Required (USD)"),
    "budget_status": N_("Budget"),
}
# How an owner's role reads in a history entry ("Lead: UNHCR").
OWNER_ROLE_LABELS = {
    "lead": N_("Lead"),
    "support": N_("Support"),
    "funding": N_("Funding"),
    "implementing": N_("Implementing"),
}
STATUS_NAMES = {
    "not_started": N_("Not started"),
    "planned": N_("Planned"),
    "in_progress": N_("In progress"),
    "in_place": N_("In place"),
    "not_applicable": N_("Not applicable"),
    # a pledge's, in its events on the items it serves
    "planning": N_("Planning"),
    "fulfilled": N_("Fulfilled"),
    "withdrawn": N_("Withdrawn"),
    # a requirement's budget status
    "indicative": N_("Indicative"),
    "committed": N_("Committed"),
}


def _value(value: Any, names: dict[str, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return "; ".join(_value(v, names) for v in value)
    if isinstance(value, dict) and {"organisation_id", "role"} <= value.keys():
        who = names.get(str(value["organisation_id"]), _("another organisation"))
        role = str(value["role"])
        return f"{_(OWNER_ROLE_LABELS[role]) if role in OWNER_ROLE_LABELS else role}: {who}"
    if isinstance(value, str) and value in STATUS_NAMES:
        return _(STATUS_NAMES[value])
    return str(value)


def describe(event: EventRead, names: dict[str, str]) -> HistoryEntry:
    """Describe an event: a title, and each field it changed from what to what."""
    before, after = event.before or {}, event.after or {}
    changes = [
        Change(
            _(label),
            _value(before[key], names) if key in before else None,
            _value(after.get(key), names),
        )
        for key, label in FIELD_LABELS.items()
        if (key in before or key in after) and before.get(key) != after.get(key)
    ]
    known = event.action in ACTION_TITLES
    title = _(ACTION_TITLES[event.action]) if known else event.action.replace(".", " ").capitalize()
    return HistoryEntry(event, title, changes)


def item_with_history(
    session: Session,
    access: SituationAccess,
    registry: TemplateRegistry,
    code: str,
    *,
    now: datetime,
    cursor: str | None,
) -> tuple[ItemRead, list[HistoryEntry], str | None]:
    """One item (404 when absent) with its Annex I text, owners, flags, and history newest first.

    The history holds the events the caller may see: submitted and returned updates stay
    between the coordinators and the reporting organisation.
    """
    loaded = checklist.get_item(session, access.situation.id, code)
    item = checklist.item_read(loaded, access.situation, registry, now)
    rows, next_cursor = paginate(
        session,
        checklist.history_query(loaded, access),
        HISTORY_ORDER,
        cursor=cursor,
        limit=EVENTS_PER_PAGE,
        descending=True,
        scalars=False,
        row_key=lambda row: (row[0].at, row[0].id),
    )
    names = {str(owner.organisation_id): owner.organisation.name for owner in item.owners}
    entries = [describe(checklist.event_read(row, item.code), names) for row in rows]
    return item, entries, next_cursor
