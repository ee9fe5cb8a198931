"""Entity tags from resource versions, and the ``If-Match`` every versioned write needs.

A write to a versioned resource (PATCH item, PUT owners, PATCH situation) depends on
``IfMatchDep``: without the header it is 428, with ``*`` it is 428 too (a client must
say which version it read), and the route checks the tags against the version of the
row it has locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers begin
``IMMEDIATE``), so two writers that read the same version cannot both pass: 412.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from app.core.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    """The strong entity tag of a resource version."""
    return f'"v{version}"'


@dataclass(frozen=True)
class IfMatch:
    """The entity tags a client sent in ``If-Match``."""

    tags: frozenset[str]

    def check(self, version: int) -> None:
        """Let the write through if it names ``version`` (read under lock); 412 otherwise."""
        if etag(version) not in self.tags:
            raise PreconditionFailed()


def _tags(if_match: str | None) -> frozenset[str]:
    tags = frozenset(tag.strip() for tag in (if_match or "").split(",") if tag.strip())
    if "*" in tags:
        raise PreconditionRequired(
            "If-Match: * is not accepted here: send the ETag you last read of this resource."
        )
    return tags


def get_if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=200,
            description="The ETag you last read (required; `*` is refused).",
        ),
    ] = None,
) -> IfMatch:
    """Read ``If-Match``: 428 when it is missing or ``*``."""
    tags = _tags(if_match)
    if not tags:
        raise PreconditionRequired()
    return IfMatch(tags)


def get_optional_if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=200,
            description="To replace what exists: the ETag you last read of it (then required; "
            "`*` is refused). To create: none.",
        ),
    ] = None,
) -> IfMatch | None:
    """Read an ``If-Match`` that only replacing needs (a create-or-replace ``PUT``)."""
    tags = _tags(if_match)
    return IfMatch(tags) if tags else None


IfMatchDep = Annotated[IfMatch, Depends(get_if_match)]
OptionalIfMatchDep = Annotated[IfMatch | None, Depends(get_optional_if_match)]
