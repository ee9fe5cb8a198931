"""The item list's cache: rendered pages of items, reused while their items have not changed.

Why it exists: the benchmark's goal for the item list (at least 50 % of a bare SELECT's
throughput) is lost without it. Reading 43 item rows and validating them into ``ItemRead``
costs more than the bare endpoint's whole request; one aggregate statement does not.

Why it cannot serve stale data:

- every read first asks the database for the situation's fingerprint, in one statement
  (``app.checklist.queries.items_fingerprint``): its items' count, summed versions and
  latest change, and its owners' count and their organisations' summed versions. Every
  change to an item makes a new version (``app.checklist.mutations``,
  ``app.updates.service``; setting owners is a change to the item), every change to an
  organisation makes a new version (``app.organisations.service``), and items are never
  removed, so any change moves the fingerprint, whichever process made it, without
  trusting any clock;
- a page is reused only under the fingerprint it was rendered under, for the same template
  version, filters, cursor and size;
- the flags depend on the clock: they are computed again on every read, and filters that
  depend on the clock (``overdue``, ``stale``) are never cached. A page whose flags moved
  is a new page.

A page keeps the body it is sent as, made once: its JSON, exactly as FastAPI serialises the
route's response model (``Page[ItemRead]``), and that JSON gzipped as the middleware would.
Serialising 73 KB of JSON and compressing it were a third of a cached list's CPU (bench
"list 43 items", py-spy under 16 clients: ``dump_json`` 21 %, gzip 12 %).

It is per process and bounded (least recently used pages go first).
"""

import gzip
import uuid
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Response
from pydantic import TypeAdapter

from app.checklist.schemas import ItemRead
from app.core.lru import LRU
from app.core.middleware import GZIP_LEVEL, GZIP_MINIMUM_SIZE
from app.core.pagination import Page

_PAGE = TypeAdapter(Page[ItemRead])

Fingerprint = tuple[Any, ...]


@dataclass(frozen=True)
class CachedPage:
    """A rendered page, with the fingerprint of the items it was rendered from."""

    fingerprint: Fingerprint
    items: tuple[ItemRead, ...]
    next_cursor: str | None
    _bodies: dict[bool, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)

    def page(self) -> Page[ItemRead]:
        """The page as the response model."""
        return Page[ItemRead](items=list(self.items), next_cursor=self.next_cursor)

    def body(self, *, gzipped: bool) -> bytes:
        """The page's JSON, gzipped or not: made the first time it is asked for."""
        body = self._bodies.get(gzipped)
        if body is None:
            if gzipped:
                body = gzip.compress(self.body(gzipped=False), GZIP_LEVEL, mtime=0)
            else:
                body = _PAGE.dump_json(self.page(), by_alias=True)
            self._bodies[gzipped] = body
        return body

    def response(self, accept_encoding: str) -> Response:
        """The page sent as its kept body: gzipped where the client takes it and the
        middleware would have compressed it (which leaves a gzipped body as it is)."""
        body = self.body(gzipped=False)
        if "gzip" not in accept_encoding or len(body) < GZIP_MINIMUM_SIZE:
            return Response(body, media_type="application/json")
        return Response(
            self.body(gzipped=True),
            media_type="application/json",
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )


class ItemListCache:
    """At most ``size`` pages; ``size`` 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: LRU[CachedPage] = LRU(size)

    def get(self, key: Hashable, fingerprint: Fingerprint) -> CachedPage | None:
        """The page kept under ``key`` if it was rendered under ``fingerprint``."""
        page = self._pages.get(key)
        return page if page is not None and page.fingerprint == fingerprint else None

    def put(self, key: Hashable, page: CachedPage) -> None:
        """Keep a page, forgetting the least recently used beyond ``size``."""
        self._pages.put(key, page)

    def __len__(self) -> int:
        return len(self._pages)


def page_key(
    situation_id: uuid.UUID,
    template_version: str,
    filters: Hashable,
    cursor: str | None,
    limit: int,
) -> Hashable:
    """The key of one page of one situation's list."""
    return (situation_id, template_version, filters, cursor, limit)
