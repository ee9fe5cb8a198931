"""The checklist service, in four parts: import from the part you need.

- ``queries``: SQL over items (filters, flags, look-ups) that reporting and exports share;
- ``rendering``: items and events as the fields of their response models;
- ``mutations``: create, patch, set owners (flush, never commit);
- ``history``: which events of an item's history the caller may see.

This module names them together for the routers.
"""

from app.checklist.flags import stale_threshold
from app.checklist.history import history_query, history_visibility
from app.checklist.mutations import create_item, patch_item, set_owners
from app.checklist.queries import (
    ItemRef,
    get_item,
    has_lead_clause,
    item_ref,
    items_query,
    owned_by,
    owning_organisations,
    stale_thresholds,
)
from app.checklist.rendering import (
    event_read,
    item_payload,
    item_payloads,
    item_read,
    item_reads,
    owner_entry,
    owners_of,
)

__all__ = [
    "ItemRef",
    "create_item",
    "event_read",
    "get_item",
    "has_lead_clause",
    "history_query",
    "history_visibility",
    "item_payload",
    "item_payloads",
    "item_read",
    "item_reads",
    "item_ref",
    "items_query",
    "owned_by",
    "owner_entry",
    "owners_of",
    "owning_organisations",
    "patch_item",
    "set_owners",
    "stale_threshold",
    "stale_thresholds",
]
