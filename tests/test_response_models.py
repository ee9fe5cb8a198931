"""A route returns the class its response model names, so FastAPI passes it on as it is.

A list route builds ``Page[T]``, not a bare ``Page``: given a bare one, FastAPI rebuilds it
from its attributes and Pydantic serialises it by inference, which cost a fifth of the item
list's CPU (bench "list 43 items").
"""

import ast
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from app.checklist import listing
from app.checklist.list_cache import CachedPage, ItemListCache
from app.checklist.schemas import ItemRead
from app.core.base import utcnow
from app.core.pagination import Page
from app.frameworks.views import FrameworkChecklist
from app.templates.registry import TemplateRegistry
from tests.factories import World

APP = Path(__file__).resolve().parent.parent / "app"


def test_every_page_is_built_with_its_item_type() -> None:
    bare = [
        f"{path.relative_to(APP.parent)}:{node.lineno}"
        for path in sorted(APP.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Page"
    ]
    assert bare == []


def test_the_item_list_is_its_response_model_as_it_is(
    db: Session, world: World, registry: TemplateRegistry
) -> None:
    declared: TypeAdapter[Any] = TypeAdapter(Page[ItemRead] | FrameworkChecklist)
    cache, filters = ItemListCache(4), listing.ItemFilters()
    for _ in range(2):  # rendered, then from the cache
        kept = listing.items_page(
            db, world.s1, registry, cache, filters, cursor=None, limit=50, now=utcnow()
        )
        assert isinstance(kept, CachedPage)
        page = listing.as_page(kept)
        assert declared.validate_python(page) is page
        # No serialisation by inference, and the body sent is the response model's.
        assert declared.dump_json(page, warnings="error") == kept.body(gzipped=False)
