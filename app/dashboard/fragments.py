"""The situation page's items table, rendered once and reused while it would render the same.

Why it exists: the benchmark's goal for the dashboard's situation page (p50 at most 25 ms with
one client; at least 30 % of the bare SELECT's throughput with 16) is lost without it.
Rendering the table's 43 rows through Jinja is most of the page's CPU.

Why it cannot serve a stale table: a rendering is kept under a key made of everything the
table shows: each row's item (id, code, version, status, target date, title, pillar, its four
flags) and owners (role, organisation id, name, acronym), the page's language, and the
situation's template and version (the titles). The rows are those read for this request
(under the item list's fingerprint, ``app.checklist.list_cache``), with their flags computed
now, so any difference in what would be drawn is another key; no clock or other process is
trusted. Per process and bounded: the least recently used renderings go first.
"""

from collections.abc import Callable, Hashable, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request

from app import i18n
from app.core.lru import LRU


class TableCache(LRU[str]):
    """Renderings of items tables (HTML strings), by ``table_key``."""


def table_key(situation: Any, rows: Sequence[Any], context: Hashable) -> Hashable:
    """Everything the items table draws: its rows, their owners, the language, the titles."""
    drawn = tuple(
        (
            item.id,
            item.code,
            item.version,
            item.status,
            item.target_date,
            item.title,
            item.pillar,
            item.is_custom,
            tuple(item.flags.model_dump().values()),
            tuple(
                (o.role, o.organisation.id, o.organisation.name, o.organisation.acronym)
                for o in item.owners
            ),
        )
        for item in (row.item for row in rows)
    )
    template = (situation.id, situation.template_id, situation.template_version)
    return (template, i18n.current(), context, drawn)


def rendered(cache: TableCache, key: Hashable, render: Callable[[], str]) -> str:
    """The table kept under ``key``, else rendered now and kept."""
    html = cache.get(key)
    if html is None:
        html = render()
        cache.put(key, html)
    return html


def get_table_cache(request: Request) -> TableCache:
    cache: TableCache = request.app.state.table_cache
    return cache


TableCacheDep = Annotated[TableCache, Depends(get_table_cache)]
