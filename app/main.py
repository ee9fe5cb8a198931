"""The application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Engine
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from app.accounts.pages import router as account_pages_router
from app.api import include_api
from app.checklist.list_cache import ItemListCache
from app.config import Settings, get_settings
from app.core.admission import admission_for
from app.core.db import make_engine, make_sessionmakers
from app.core.middleware import (
    GZIP_LEVEL,
    GZIP_MINIMUM_SIZE,
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
)
from app.core.openapi import api_version, install_openapi, operation_id
from app.core.problems import register_problem_handlers
from app.core.ratelimit import AuthFailureLimitMiddleware, RateLimitMiddleware
from app.dashboard.fragments import TableCache
from app.dashboard.language import router as language_router
from app.dashboard.router import router as dashboard_router
from app.dashboard.router import static_files
from app.exports.formats import MEDIA_TYPES, ExportFormat
from app.i18n import catalogs
from app.notify import config as notify_config
from app.ops.docs import mount_docs
from app.ops.logs import RequestLogMiddleware, add_request_id_middleware, configure_logging
from app.ops.metrics import route_names
from app.ops.problem_pages import router as problem_pages_router
from app.ops.router import router as ops_router
from app.templates.registry import cached_registry

DESCRIPTION = """
Annex I of the New York Declaration for Refugees and Migrants (A/RES/71/1), the
Comprehensive Refugee Response Framework, as a living checklist for every refugee situation:
which elements are in place, which organisations own them, what partners report.

Authenticate with `Authorization: Bearer <token>`. Errors are RFC 9457 problem+json.
Lists are `{"items": [...], "next_cursor": ...}`; pass `cursor` to read on.
"""


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the application: settings, database, templates, routes, error handling."""
    settings = settings or get_settings()
    owns_engine = engine is None
    engine = engine or make_engine(settings.database_url, settings)
    templates = cached_registry(settings.templates_dir.resolve())
    catalogs.load()

    @asynccontextmanager
    async def lifespan(started: FastAPI) -> AsyncIterator[None]:
        route_names(started)  # now rather than on its first request
        yield
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="CRRF Case Manager",
        version=api_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmakers = make_sessionmakers(engine, info=notify_config.session_info(settings))
    # The turns are capped by the pool's size, so a request with a turn gets a connection.
    app.state.admission = admission_for(
        sqlite=engine.dialect.name == "sqlite",
        capacity=min(settings.db_concurrency, settings.db_pool_size + settings.db_max_overflow),
        wait_seconds=settings.db_wait_seconds,
        writer_wait_seconds=settings.sqlite_busy_timeout_ms / 1000,
        retry_after_seconds=settings.retry_after_seconds,
    )
    app.state.templates = templates
    app.state.item_list_cache = ItemListCache(settings.item_list_cache_pages)
    app.state.table_cache = TableCache(settings.page_table_cache_size)

    register_problem_handlers(app, retry_after_seconds=settings.retry_after_seconds)
    # Added innermost first: metrics see every answer, 429s and 413s carry the headers.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        RateLimitMiddleware,
        per_minute=settings.rate_limit_per_minute,
        burst=settings.rate_limit_burst,
    )
    app.add_middleware(
        AuthFailureLimitMiddleware,
        per_minute=settings.auth_failures_per_minute,
        burst=settings.auth_failure_burst,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "Retry-After",
                "Idempotent-Replayed",
                "X-Request-ID",
            ],
            max_age=600,
        )
    # Pages, JSON, CSV and streamed exports (chunk by chunk) travel gzipped; an XLSX is a zip
    # file already. ETags are versions, not body hashes, so they hold for either encoding; a
    # 304 has no body to compress.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=GZIP_MINIMUM_SIZE,
        compresslevel=GZIP_LEVEL,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, MEDIA_TYPES[ExportFormat.XLSX]),
    )
    app.add_middleware(RequestLogMiddleware)
    add_request_id_middleware(app)  # outermost: every answer carries X-Request-ID
    app.include_router(ops_router)
    app.include_router(problem_pages_router)
    include_api(app)
    install_openapi(app)
    if settings.docs_enabled:
        mount_docs(app, app.title)
    app.include_router(account_pages_router)
    app.include_router(language_router)
    app.include_router(dashboard_router)
    app.mount("/static", static_files(), name="static")
    configure_logging(settings.log_format, settings.log_level)
    return app
