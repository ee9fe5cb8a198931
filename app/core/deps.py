"""Request-scoped dependencies shared by every domain: the session, settings, templates."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.config import Settings
from app.templates.registry import TemplateRegistry

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """Open one session per request; commit before the response is sent, or roll back."""
    reader, writer = request.app.state.sessionmakers
    factory = reader if request.method in _READ_METHODS else writer
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_app_settings(request: Request) -> Settings:
    """The settings the application was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_registry(request: Request) -> TemplateRegistry:
    """The templates loaded at start-up."""
    registry: TemplateRegistry = request.app.state.templates
    return registry


# scope="function": the commit happens before the response goes out, so a failed commit
# is reported to the client instead of being lost after a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
RegistryDep = Annotated[TemplateRegistry, Depends(get_registry)]
