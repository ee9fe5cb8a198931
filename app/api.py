"""One router under ``/api/v1`` that includes every domain router."""

from fastapi import APIRouter

from app.checklist.router import router as checklist_router
from app.core.problems import PROBLEM_RESPONSES
from app.exports.router import router as exports_router
from app.organisations.router import router as organisations_router
from app.reporting.router import router as reporting_router
from app.situations.router import router as situations_router
from app.templates.router import router as templates_router
from app.updates.router import router as updates_router
from app.users.router import router as users_router

api_router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
api_router.include_router(templates_router)
api_router.include_router(organisations_router)
api_router.include_router(users_router)
api_router.include_router(situations_router)
api_router.include_router(checklist_router)
api_router.include_router(updates_router)
api_router.include_router(reporting_router)
api_router.include_router(exports_router)
