"""Path parameters of the cycle routes."""

import uuid
from typing import Annotated

from fastapi import Path

CyclePath = Annotated[uuid.UUID, Path(description="Reporting cycle id")]
ObligationPath = Annotated[uuid.UUID, Path(description="Obligation id")]
