"""Request ids and structured logs.

Every response carries ``X-Request-ID``: the client's when it is sane (up to 128 characters of
``[A-Za-z0-9._-]``), a new one otherwise (asgi-correlation-id). Every log line, ours, the
libraries' and uvicorn's, goes through structlog to standard output: JSON by default, or
human-readable with ``CRRF_LOG_FORMAT=console``. Each request is logged once, when it ends,
with its route template (never the raw path or query string), status, duration, request id
and user id; never headers, tokens or bodies.
"""

import logging
import re
import sys
import time
import uuid
from typing import Any, Literal, TextIO

import structlog
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.ops.metrics import observe, route_template

LogFormat = Literal["json", "console"]

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

access_log = structlog.stdlib.get_logger("crrf.request")


def is_sane_request_id(value: str) -> bool:
    """Whether a client's request id may be used as it is (and written to logs)."""
    return _SANE_REQUEST_ID.fullmatch(value) is not None


def new_request_id() -> str:
    """A fresh request id."""
    return uuid.uuid4().hex


def request_id_headers() -> dict[str, str]:
    """The request id header for a response sent outside the middleware (the 500 handler)."""
    request_id = correlation_id.get()
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


def add_request_id_middleware(app: Any) -> None:
    """Give every request an id and every response the ``X-Request-ID`` header."""
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        generator=new_request_id,
        validator=is_sane_request_id,
    )


def _add_request_id(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    request_id = correlation_id.get()
    if request_id:
        event.setdefault("request_id", request_id)
    return event


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is when a line is logged (so tests can capture it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stdout


def configure_logging(log_format: LogFormat, level: str) -> None:
    """Send every log line through structlog to standard output; safe to call again."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: list[Any]
    if log_format == "console":
        # Plain tracebacks: a rich one would print local variables, tokens among them.
        renderer = [
            structlog.dev.ConsoleRenderer(
                colors=sys.stdout.isatty(), exception_formatter=structlog.dev.plain_traceback
            )
        ]
    else:
        renderer = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    handler = _StdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    handler.set_name("crrf")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "crrf"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # The request line below replaces uvicorn's access log; its other lines come here.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # Readiness reads the migration on every probe; Alembic would say so each time.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


class RequestLogMiddleware:
    """Log one line per HTTP request when it ends (also when it failed with an exception),
    and count and time it in the metrics.

    Answers of 500 and above are logged as errors, the others as info.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        scope.setdefault("state", {})  # so that request.state.user_id lands where we read it

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            observe(scope["method"], route, status, seconds)
            user_id = scope["state"].get("user_id")
            log = access_log.error if status >= 500 else access_log.info
            log(
                "request",
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 2),
                user_id=str(user_id) if user_id is not None else None,
            )
