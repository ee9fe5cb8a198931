"""Path parameters of the checklist routes."""

from typing import Annotated

from fastapi import Path

ItemCodePath = Annotated[
    str,
    Path(
        max_length=48,
        pattern=r"^[1-9][0-9]?[a-z]?(\.[a-z0-9][a-z0-9-]{0,30})?$",
        description="Element code (`5a`, `15`) or context-specific code (`5d.biometrics`).",
    ),
]
