"""Render every error, ours and the framework's, as RFC 9457 ``application/problem+json``."""

import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import AppError, Conflict, ServiceUnavailable, Unprocessable
from app.core.problem_types import problem_type, slug_for_status
from app.ops.logs import request_id_headers

log = logging.getLogger("crrf.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
_SAFE_LOC = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
_FRAMEWORK_DETAILS = {
    404: "No such resource, or you may not see it.",
    405: "This method is not allowed on this resource.",
    413: "The request body is larger than this service accepts.",
}


def _instance(path: str) -> str:
    # The path the client asked for, percent-encoded: nothing it sent comes back raw.
    return quote(path, safe="/:")


def problem_response(
    status: int,
    *,
    slug: str,
    title: str,
    detail: str,
    instance: str,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build a problem+json response; ``instance`` is the request's path."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": _instance(instance),
    }
    if errors is not None:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def problem_body(exc: AppError, instance: str | None = None) -> dict[str, Any]:
    """The problem details of an ``AppError``, as a dict (also for batch results)."""
    body: dict[str, Any] = {
        "type": problem_type(exc.slug),
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
    }
    if instance is not None:
        body["instance"] = _instance(instance)
    if exc.errors is not None:
        body["errors"] = exc.errors
    return body


def app_error_response(exc: AppError, instance: str) -> JSONResponse:
    """Render an ``AppError`` raised by the request for ``instance`` (its path)."""
    return JSONResponse(
        problem_body(exc, instance),
        status_code=exc.status,
        headers=exc.headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def sanitize_validation_errors(raw: Sequence[Any]) -> list[dict[str, Any]]:
    """Keep where and why a value failed, never the value itself."""
    cleaned = []
    for error in raw:
        loc = [
            part if isinstance(part, int) or _SAFE_LOC.match(str(part)) else "(field)"
            for part in error.get("loc", ())
        ]
        msg = str(error.get("msg", "Invalid value."))
        msg = msg.removeprefix("Value error, ")
        value = error.get("input")
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value)
            if len(text) >= 3 and text in msg:
                msg = "Invalid value."
        if len(msg) > 300:
            msg = msg[:300]
        cleaned.append({"loc": loc, "msg": msg, "type": str(error.get("type", "value_error"))})
    return cleaned


def _validation_detail(errors: list[dict[str, Any]]) -> str:
    first = errors[0] if errors else None
    if first is None:
        return Unprocessable.default_detail
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def register_problem_handlers(app: FastAPI, *, retry_after_seconds: int) -> None:
    """Install the handlers that turn every exception into problem+json."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return app_error_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = sanitize_validation_errors(exc.errors())
        return problem_response(
            422,
            slug=Unprocessable.slug,
            title=Unprocessable.title,
            detail=_validation_detail(errors),
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        return problem_response(
            status,
            slug=slug_for_status(status),
            title=phrase,
            detail=_FRAMEWORK_DETAILS.get(status, phrase + "."),
            instance=request.url.path,
            headers=dict(exc.headers) if exc.headers else None,
        )

    def _unavailable(request: Request) -> JSONResponse:
        error = ServiceUnavailable(
            "The database is unavailable or busy: retry shortly.",
            headers={"Retry-After": str(retry_after_seconds)},
        )
        return app_error_response(error, request.url.path)

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.__class__.__name__)
        return _unavailable(request)

    @app.exception_handler(PoolTimeoutError)
    async def _pool_timeout(request: Request, _exc: PoolTimeoutError) -> JSONResponse:
        log.warning("database pool exhausted")
        return _unavailable(request)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, _exc: IntegrityError) -> JSONResponse:
        # A uniqueness or reference check lost a race with another request.
        log.info("integrity conflict")
        return app_error_response(
            Conflict(
                "The request conflicts with a change made at the same time: read, then retry."
            ),
            request.url.path,
        )

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            log.warning("database connection lost")
            return _unavailable(request)
        log.exception("database error")
        return problem_response(
            500,
            slug=AppError.slug,
            title=AppError.title,
            detail=AppError.default_detail,
            instance=request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        # Sent from outside every middleware: it adds the request id itself.
        return problem_response(
            500,
            slug=AppError.slug,
            title=AppError.title,
            detail=AppError.default_detail,
            headers=request_id_headers(),
            instance=request.url.path,
        )


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path of the request that failed.")
    errors: list[dict[str, Any]] | None = None
