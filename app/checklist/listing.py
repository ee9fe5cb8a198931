"""The item list's hot path: filter and page in SQL, render each item version once.

A frontend polls a situation's checklist far more often than it changes. The list query
reads only the matching items' ids and versions (and the organisations' generation, in
the same statement); each item's representation, flags aside, is kept in a bounded cache
keyed by the item's version and that generation. Every change to an item or its owners
makes a new version, and every change to an organisation advances the generation, so a
kept representation is never out of date, in any worker process. Flags depend on the
clock and on the situation's settings: they are computed on every request.
"""

import itertools
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pydantic_core
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.checklist import flags
from app.checklist.schemas import ItemFlags, ItemRead
from app.checklist.service import item_payload, owner_entry
from app.core.pagination import SortKey, paginate
from app.core.vocab import ItemStatus
from app.models import ChecklistItem, ItemOwner, Organisation, Situation
from app.models.generation import ORGANISATIONS, generation_of
from app.templates.registry import TemplateRegistry


@dataclass(frozen=True, slots=True)
class RenderedItem:
    """One item version as JSON, cut where its flags go, and what its flags need."""

    version: int
    generation: int
    head: bytes
    tail: bytes
    status: ItemStatus
    target_date: date | None
    has_lead: bool
    last_accepted_at: datetime | None
    created_at: datetime


class RenderCache:
    """The latest rendered version of up to ``capacity`` items, least recently used out."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[uuid.UUID, RenderedItem] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, item_id: uuid.UUID, version: int, generation: int) -> RenderedItem | None:
        """The item as rendered at this version and generation, if kept."""
        with self._lock:
            entry = self._entries.get(item_id)
            if entry is None or entry.version != version or entry.generation != generation:
                return None
            self._entries.move_to_end(item_id)
            return entry

    def put(self, item_id: uuid.UUID, entry: RenderedItem) -> None:
        """Keep a rendering, unless a newer one is kept already."""
        if self.capacity <= 0:
            return
        with self._lock:
            kept = self._entries.get(item_id)
            if kept is not None and (kept.version, kept.generation) > (
                entry.version,
                entry.generation,
            ):
                return
            self._entries[item_id] = entry
            self._entries.move_to_end(item_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)


_ITEM_COLUMNS = list(ChecklistItem.__table__.c)


_FLAG_NAMES = tuple(ItemFlags.model_fields)
# The JSON of every combination of the four flags, by their values in ``_FLAG_NAMES`` order.
_FLAGS_JSON = {
    values: ItemFlags(**dict(zip(_FLAG_NAMES, values, strict=True))).model_dump_json().encode()
    for values in itertools.product((False, True), repeat=len(_FLAG_NAMES))
}


def _flags_key(item_flags: dict[str, bool]) -> tuple[bool, ...]:
    return tuple(item_flags[name] for name in _FLAG_NAMES)


# What the list query selects: enough to page, and to tell whether a rendering is current.
KEY_COLUMNS: list[Any] = [
    ChecklistItem.id,
    ChecklistItem.sort_order,
    ChecklistItem.version,
    generation_of(ORGANISATIONS).label("generation"),
]


def _render(
    session: Session,
    situation: Situation,
    registry: TemplateRegistry,
    item_ids: list[uuid.UUID],
    now: datetime,
) -> dict[uuid.UUID, RenderedItem]:
    """Render items from one statement: their rows, owners and the generation agree."""
    rows = session.execute(
        select(
            *_ITEM_COLUMNS,
            ItemOwner.role.label("owner_role"),
            Organisation.id.label("org_id"),
            Organisation.name.label("org_name"),
            Organisation.acronym.label("org_acronym"),
            Organisation.type.label("org_type"),
            generation_of(ORGANISATIONS).label("generation"),
        )
        .outerjoin(ItemOwner, ItemOwner.item_id == ChecklistItem.id)
        .outerjoin(Organisation, Organisation.id == ItemOwner.organisation_id)
        .where(ChecklistItem.id.in_(item_ids))
        .order_by(ChecklistItem.id, ItemOwner.role, ItemOwner.organisation_id)
    ).all()
    grouped: dict[uuid.UUID, tuple[Any, list[dict[str, Any]]]] = {}
    for row in rows:
        _, owners = grouped.setdefault(row.id, (row, []))
        if row.org_id is not None:
            owners.append(
                owner_entry(row.owner_role, row.org_id, row.org_name, row.org_acronym, row.org_type)
            )
    rendered = {}
    for item_id, (row, owners) in grouped.items():
        payload = item_payload(row, owners, situation, registry, now)
        item_json = ItemRead.model_validate(payload).model_dump_json().encode()
        # Inside a JSON string a quote is escaped: this unescaped text is the field itself.
        marker = b'"flags":' + _FLAGS_JSON[_flags_key(payload["flags"])]
        head, found, tail = item_json.partition(marker)
        if not found:  # pragma: no cover - ItemRead always has its flags
            raise RuntimeError("an item's JSON has no flags")
        rendered[item_id] = RenderedItem(
            version=row.version,
            generation=row.generation or 0,
            head=head + b'"flags":',
            tail=tail,
            status=row.status,
            target_date=row.target_date,
            has_lead=payload["lead"] is not None,
            last_accepted_at=row.last_accepted_update_at,
            created_at=row.created_at,
        )
    return rendered


def item_page(
    session: Session,
    stmt: Any,
    order: list[SortKey],
    *,
    situation: Situation,
    registry: TemplateRegistry,
    cache: RenderCache,
    now: datetime,
    stale_threshold: datetime,
    cursor: str | None,
    limit: int,
) -> bytes:
    """One page of items as the JSON of ``Page[ItemRead]``.

    ``stmt`` selects the matching items' ``id``, ``sort_order`` and ``version`` with the
    organisations' ``generation``.
    """
    rows, next_cursor = paginate(session, stmt, order, cursor=cursor, limit=limit, scalars=False)
    entries: dict[uuid.UUID, RenderedItem] = {}
    missing = []
    for row in rows:
        entry = cache.get(row.id, row.version, row.generation or 0)
        if entry is None:
            missing.append(row.id)
        else:
            entries[row.id] = entry
    if missing:
        for item_id, entry in _render(session, situation, registry, missing, now).items():
            cache.put(item_id, entry)
            entries[item_id] = entry
    today = now.date()
    items: list[bytes] = []
    for row in rows:
        entry = entries.get(row.id)
        if entry is None:  # gone between the two statements
            continue
        item_flags = flags.python_flags(
            status=entry.status,
            target_date=entry.target_date,
            has_lead=entry.has_lead,
            last_accepted_at=entry.last_accepted_at,
            created_at=entry.created_at,
            today=today,
            stale_threshold=stale_threshold,
        )
        items += (
            entry.head,
            _FLAGS_JSON[_flags_key(item_flags)],
            entry.tail,
            b",",
        )
    if items:
        items.pop()  # the last comma
    return b"".join(
        (b'{"items":[', *items, b'],"next_cursor":', pydantic_core.to_json(next_cursor), b"}")
    )
