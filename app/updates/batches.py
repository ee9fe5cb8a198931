"""Many updates in one request: each entry succeeds or fails alone, in its own savepoint."""

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.checklist import service as checklist
from app.core.errors import AppError, Unprocessable
from app.core.problems import problem_body, sanitize_validation_errors
from app.events.service import Actor
from app.ops.metrics import UPDATE_SUBMISSIONS
from app.updates import service
from app.updates.schemas import (
    BatchEntryIn,
    BatchResult,
    ReviewResult,
    UpdateIn,
    UpdateRead,
)


def submit_batch(
    session: Session, access: SituationAccess, entries: list[dict[str, Any]]
) -> list[BatchResult]:
    """Submit each entry on its own: one result per entry, in order."""
    seen: set[str] = set()
    return [_submit_one(session, access, i, raw, seen) for i, raw in enumerate(entries)]


def _submit_one(
    session: Session, access: SituationAccess, index: int, raw: dict[str, Any], seen: set[str]
) -> BatchResult:
    ref = raw.get("client_ref")
    client_ref = ref if isinstance(ref, str) and 0 < len(ref) <= 100 else None
    try:
        entry = BatchEntryIn.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {**e, "loc": ["body", "updates", index, *e["loc"]]}
            for e in sanitize_validation_errors(exc.errors())
        ]
        problem = Unprocessable("This update is not valid; `errors` says where.", errors=errors)
        return BatchResult(client_ref=client_ref, status=422, problem=problem_body(problem))
    if entry.client_ref in seen:
        problem = Unprocessable("This client_ref repeats an earlier update of the batch.")
        return BatchResult(client_ref=client_ref, status=422, problem=problem_body(problem))
    seen.add(entry.client_ref)
    try:
        with session.begin_nested():
            item = checklist.item_ref(
                session, access.situation.id, entry.code, access.user.organisation_id
            )
            fields = entry.model_dump(exclude={"code", "client_ref"})
            update = service.submit(session, access, item, UpdateIn.model_validate(fields))
    except AppError as exc:
        return BatchResult(client_ref=client_ref, status=exc.status, problem=problem_body(exc))
    UPDATE_SUBMISSIONS.labels("batch").inc()
    return BatchResult(client_ref=client_ref, status=201, update=UpdateRead.model_validate(update))


def review_many(
    session: Session,
    access: SituationAccess,
    update_ids: list[uuid.UUID],
    decision: str,
    comment: str | None,
) -> list[ReviewResult]:
    """Review each update of the situation on its own: one result per distinct id."""
    actor = Actor.of(access.user)
    results = []
    for update_id in dict.fromkeys(update_ids):
        try:
            with session.begin_nested():
                update = service.review(
                    session, update_id, decision, comment, actor, situation_id=access.situation.id
                )
        except AppError as exc:
            results.append(
                ReviewResult(update_id=update_id, status=exc.status, problem=problem_body(exc))
            )
            continue
        results.append(
            ReviewResult(update_id=update_id, status=200, update=UpdateRead.model_validate(update))
        )
    return results
