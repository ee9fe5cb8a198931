"""Path parameters of the funding routes."""

import uuid
from typing import Annotated

from fastapi import Path

FlowPath = Annotated[uuid.UUID, Path(description="Funding flow id")]
YearPath = Annotated[int, Path(ge=1990, le=2100, description="Budget year")]
