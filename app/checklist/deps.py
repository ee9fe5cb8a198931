"""Path parameters and shared state of the checklist routes."""

from typing import Annotated

from fastapi import Depends, Path, Request

from app.checklist.list_cache import ItemListCache

ItemCodePath = Annotated[
    str,
    Path(
        max_length=48,
        pattern=r"^[1-9][0-9]?[a-z]?(\.[a-z0-9][a-z0-9-]{0,30})?$",
        description="Element code (`5a`, `15`) or context-specific code (`5d.biometrics`).",
    ),
]


async def get_item_list_cache(request: Request) -> ItemListCache:
    """The process's cache of rendered item-list pages."""
    cache: ItemListCache = request.app.state.item_list_cache
    return cache


ItemListCacheDep = Annotated[ItemListCache, Depends(get_item_list_cache)]
