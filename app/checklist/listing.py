"""One page of a situation's checklist, with filters: rendered, or reused from the cache."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.checklist import flags
from app.checklist.list_cache import CachedPage, ItemListCache, page_key
from app.checklist.queries import items_fingerprint, items_query
from app.checklist.rendering import item_reads
from app.checklist.schemas import ItemFlags, ItemRead
from app.core.pagination import Page, SortKey, paginate
from app.core.vocab import ItemStatus, PillarCode
from app.models import ChecklistItem, Situation
from app.templates.registry import TemplateRegistry

ORDER = [SortKey(ChecklistItem.sort_order, int, int), SortKey(ChecklistItem.id, uuid.UUID)]


@dataclass(frozen=True)
class ItemFilters:
    """The item list's filters (``None``: not filtered on)."""

    pillar: PillarCode | None = None
    statuses: tuple[ItemStatus, ...] = ()
    owner: uuid.UUID | None = None
    overdue: bool | None = None
    stale: bool | None = None
    no_data: bool | None = None
    lead_missing: bool | None = None

    @property
    def depend_on_the_clock(self) -> bool:
        """Whether the clock alone can change which items match."""
        return self.overdue is not None or self.stale is not None


def items_page(
    session: Session,
    situation: Situation,
    registry: TemplateRegistry,
    cache: ItemListCache,
    filters: ItemFilters,
    *,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> CachedPage | Page[ItemRead]:
    """One page of the situation's items in Annex I order, matching ``filters``: as the
    cache keeps it (with the body it is sent as), unless the filters depend on the clock."""
    if filters.depend_on_the_clock:
        items, next_cursor = _render(session, situation, registry, filters, cursor, limit, now)
        return Page[ItemRead](items=items, next_cursor=next_cursor)
    key = page_key(situation.id, situation.template_version, filters, cursor, limit)
    fingerprint = items_fingerprint(session, situation.id)
    cached = cache.get(key, fingerprint)
    if cached is None:
        items, next_cursor = _render(session, situation, registry, filters, cursor, limit, now)
        cached = CachedPage(fingerprint, tuple(items), next_cursor)
        cache.put(key, cached)
        return cached
    fresh = _with_fresh_flags(situation, cached.items, now)
    if any(item is not kept for item, kept in zip(fresh, cached.items, strict=True)):
        cached = CachedPage(fingerprint, fresh, cached.next_cursor)
        cache.put(key, cached)
    return cached


def as_page(page: CachedPage | Page[ItemRead]) -> Page[ItemRead]:
    """``items_page``'s answer as the response model."""
    return page.page() if isinstance(page, CachedPage) else page


def _render(
    session: Session,
    situation: Situation,
    registry: TemplateRegistry,
    filters: ItemFilters,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> tuple[list[ItemRead], str | None]:
    stmt = items_query(
        situation,
        now=now,
        pillar=filters.pillar,
        statuses=list(filters.statuses),
        owner=filters.owner,
        overdue=filters.overdue,
        stale=filters.stale,
        no_data=filters.no_data,
        lead_missing=filters.lead_missing,
    )
    rows, next_cursor = paginate(session, stmt, ORDER, cursor=cursor, limit=limit, scalars=False)
    return item_reads(session, list(rows), situation, registry, now), next_cursor


def _with_fresh_flags(
    situation: Situation, items: tuple[ItemRead, ...], now: datetime
) -> tuple[ItemRead, ...]:
    """Cached items with their flags computed now: the clock moves them, not the data.

    An item whose flags have not moved is the cached item itself (copying 43 items on every
    read cost a quarter of a cached list's work: bench "list 43 items")."""
    threshold = flags.stale_threshold(now, situation.stale_after_days)
    today = now.date()
    fresh = []
    for item in items:
        now_flags = flags.python_flags(
            status=item.status,
            target_date=item.target_date,
            has_lead=item.lead is not None,
            last_accepted_at=item.last_accepted_update_at,
            created_at=item.created_at,
            today=today,
            stale_threshold=threshold,
        )
        moved = any(getattr(item.flags, name) != value for name, value in now_flags.items())
        fresh.append(item.model_copy(update={"flags": ItemFlags(**now_flags)}) if moved else item)
    return tuple(fresh)
