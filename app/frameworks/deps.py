"""Parameters of the framework routes, and the ``?framework=`` query of the reading routes."""

from typing import Annotated

from fastapi import Path, Query

_ID = r"^[a-z0-9][a-z0-9-]{1,63}$"

FrameworkPath = Annotated[
    str, Path(max_length=64, pattern=_ID, description="A context framework's id, e.g. `uga-crrf`.")
]
FrameworkQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=_ID,
        description="Read through a context framework the situation has adopted (e.g. "
        "`uga-crrf`): its elements, each with a status derived from its mapped items; a "
        "framework the situation has not adopted is a 422 problem.",
    ),
]
