"""Path parameters and shared state of the checklist routes."""

from typing import Annotated

from fastapi import Depends, Path, Request

from app.checklist.listing import RenderCache

ItemCodePath = Annotated[
    str,
    Path(
        max_length=48,
        pattern=r"^[1-9][0-9]?[a-z]?(\.[a-z0-9][a-z0-9-]{0,30})?$",
        description="Element code (`5a`, `15`) or context-specific code (`5d.biometrics`).",
    ),
]


async def get_render_cache(request: Request) -> RenderCache:
    """The process's cache of rendered items (see ``app.checklist.listing``)."""
    cache: RenderCache = request.app.state.render_cache
    return cache


RenderCacheDep = Annotated[RenderCache, Depends(get_render_cache)]
