"""Keyset pagination: ``{"items": [...], "next_cursor": ...}`` with an opaque cursor."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, bindparam, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.core.errors import BadRequest

T = TypeVar("T")
Row = TypeVar("Row")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Page size (default {DEFAULT_LIMIT}, max {MAX_LIMIT})."),
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=512,
        pattern=r"^[A-Za-z0-9_=-]+$",
        description="The `next_cursor` of the previous page.",
    ),
]


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class SortKey:
    """A column of the sort order and how to read its cursor value back."""

    column: ColumnElement[Any] | InstrumentedAttribute[Any]
    parse: Callable[[Any], Any]
    dump: Callable[[Any], Any] = str


def parse_aware(value: str) -> datetime:
    """Read a cursor's timestamp back; a naive one is refused (it could not be compared)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("naive timestamp in cursor")
    return parsed


def timestamp_key(column: Any) -> "SortKey":
    """A sort key on a timezone-aware timestamp column."""
    return SortKey(column, parse_aware, datetime.isoformat)


def encode_cursor(values: Sequence[Any]) -> str:
    """Make an opaque cursor from the last row's sort values."""
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    """Read a cursor back into typed sort values, or fail with 400."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [key.parse(value) for key, value in zip(keys, values, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError) as exc:
        raise BadRequest(
            "The cursor is not valid for this list: start from the first page."
        ) from exc


def paginate(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    keys: Sequence[SortKey],
    *,
    cursor: str | None,
    limit: int,
    descending: bool = False,
    scalars: bool = True,
    row_key: Callable[[Any], Sequence[Any]] | None = None,
) -> tuple[list[Any], str | None]:
    """Run ``stmt`` for one page ordered by ``keys``; return the rows and the next cursor.

    ``row_key`` reads the sort values off a row; by default each key's column name is read
    as an attribute of the row.
    """
    columns = [key.column for key in keys]
    if cursor:
        values = decode_cursor(cursor, keys)
        position = tuple_(*columns)
        bound = tuple_(
            *(bindparam(None, v, type_=c.type) for c, v in zip(columns, values, strict=True))
        )
        stmt = stmt.where(position < bound if descending else position > bound)
    order = [column.desc() if descending else column.asc() for column in columns]
    stmt = stmt.order_by(*order).limit(limit + 1)
    result = session.scalars(stmt) if scalars else session.execute(stmt)
    rows = list(result.all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    if row_key is not None:
        raw = row_key(last)
    else:
        raw = [getattr(last, str(getattr(column, "key", column))) for column in columns]
    return rows, encode_cursor([key.dump(value) for key, value in zip(keys, raw, strict=True)])
