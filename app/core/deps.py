"""Request-scoped dependencies shared by every domain: the session, settings, templates.

The request path, everywhere: route → permission dependency → ``SessionDep`` → service
(which flushes, never commits) → a response model that FastAPI serialises. Routes and
the dependencies that touch the database are plain ``def`` (FastAPI runs them in its
thread pool); a dependency that only checks what it was given is ``async def``.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.admission import Admission
from app.templates.registry import TemplateRegistry

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Open one session per request; commit before the response is sent, or roll back.

    The request first waits for its turn (``app.core.admission``: 503 with ``Retry-After``
    past the wait), and hands it on once the session has ended. Opening a session does no
    I/O, so it happens on the event loop; ending it does, in the thread pool.
    """
    reader, writer = request.app.state.sessionmakers
    writes = request.method not in _READ_METHODS
    admission: Admission = request.app.state.admission
    async with admission.turn(writes=writes):
        session = (writer if writes else reader)()
        try:
            yield session
        except BaseException:
            await run_in_threadpool(_end, session, commit=False)
            raise
        await run_in_threadpool(_end, session, commit=True)


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
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
