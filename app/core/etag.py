"""Entity tags from resource versions, and ``If-Match`` checks."""

from app.core.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    """The strong entity tag of a resource version."""
    return f'"v{version}"'


def check_if_match(header: str | None, version: int) -> None:
    """Require ``If-Match`` (428 without) to name the current version (412 otherwise)."""
    if header is None or not header.strip():
        raise PreconditionRequired()
    current = etag(version)
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed()
