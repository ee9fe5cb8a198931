"""Liveness, readiness and metrics; public, for load balancers, orchestrators and Prometheus."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from app.core.deps import SessionDep
from app.core.problems import problem_response
from app.ops.metrics import exposition
from app.ops.migrations import current_revision, head_revision
from app.ops.readiness import cannot_write

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer while the process is alive; touches nothing else."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "Database unreachable, not migrated, or not writable"}},
)
def readyz(request: Request) -> Any:
    """Answer 200 when the database is reachable, migrated to head and writable; 503 otherwise."""
    engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            revision = current_revision(connection)
            read_only = cannot_write(connection)
    except Exception:
        return problem_response(
            503,
            slug="not-ready",
            title="Service Unavailable",
            detail="The database is unreachable.",
            instance=request.url.path,
            headers={"Retry-After": str(request.app.state.settings.retry_after_seconds)},
        )
    head = head_revision()
    if revision != head:
        return problem_response(
            503,
            slug="not-ready",
            title="Service Unavailable",
            detail="The database schema is not at the latest migration: run `crrf db upgrade`.",
            instance=request.url.path,
            headers={"Retry-After": str(request.app.state.settings.retry_after_seconds)},
        )
    if read_only is not None:
        return problem_response(
            503,
            slug="not-ready",
            title="Service Unavailable",
            detail=f"{read_only} Every write would fail.",
            instance=request.url.path,
            headers={"Retry-After": str(request.app.state.settings.retry_after_seconds)},
        )
    return JSONResponse({"status": "ready", "database": "ok", "migration": revision})


@router.get("/metrics", include_in_schema=True, response_class=Response)
def metrics(session: SessionDep) -> Response:
    """Prometheus metrics (text exposition format)."""
    body, media_type = exposition(session)
    return Response(body, media_type=media_type)
