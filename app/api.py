"""The API: every domain router under ``/api/v1``."""

from fastapi import APIRouter, FastAPI

from app.accounts.router import router as accounts_router
from app.checklist.router import router as checklist_router
from app.cycles.router import router as cycles_router
from app.exports.router import router as exports_router
from app.frameworks.router import router as frameworks_router
from app.funding.router import router as funding_router
from app.organisations.router import router as organisations_router
from app.pledges.router import router as pledges_router
from app.progress.router import router as progress_router
from app.reporting.router import router as reporting_router
from app.situations.router import router as situations_router
from app.templates.router import router as templates_router
from app.updates.router import router as updates_router
from app.users.router import router as users_router
from app.webhooks.router import router as webhooks_router

API_PREFIX = "/api/v1"
# Included one by one under the prefix (not through a parent router): each level of
# nesting costs every request a pass through FastAPI's route matching.
DOMAIN_ROUTERS: tuple[APIRouter, ...] = (
    checklist_router,
    updates_router,
    reporting_router,
    situations_router,
    exports_router,
    cycles_router,
    organisations_router,
    users_router,
    accounts_router,
    templates_router,
    webhooks_router,
    funding_router,
    pledges_router,
    frameworks_router,
    progress_router,
)


def include_api(app: FastAPI) -> None:
    """Mount every domain router under ``/api/v1`` (``app.core.openapi`` documents errors)."""
    for router in DOMAIN_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
