"""``Idempotency-Key`` for the routes that create: the header, and the replayed response."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.core.deps import SessionDep
from app.idempotency.service import KEY_PATTERN, StoredResponse, run_once
from app.models import User

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=KEY_PATTERN,
        description="Retry safely: the same key and body within 72 hours return the stored "
        "response (`Idempotent-Replayed: true`); the same key with another body is 422; "
        "a concurrent duplicate is 409. Keys are scoped to the user and the route.",
    ),
]


@dataclass(frozen=True)
class Idempotency:
    """This request's key (if any) and scope: the method and path."""

    session: Session
    scope: str
    key: str | None

    def respond(
        self, user: User, data: BaseModel | None, work: Callable[[], StoredResponse]
    ) -> JSONResponse:
        """Run ``work`` once for this key and body; answer its response, or the stored one."""
        response, replayed = run_once(
            self.session,
            user_id=user.id,
            scope=self.scope,
            key=self.key,
            payload=data.model_dump(mode="json") if data is not None else None,
            work=work,
        )
        headers = {**response.headers, "Idempotent-Replayed": "true"} if replayed else None
        return JSONResponse(
            response.body, response.status_code, headers=headers or response.headers
        )


async def get_idempotency(
    request: Request, session: SessionDep, key: IdempotencyKeyHeader = None
) -> Idempotency:
    """The request's idempotency key, scoped to its method and path."""
    return Idempotency(session, f"{request.method} {request.url.path}", key)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
