"""Request-scoped dependencies shared by every domain: the session, settings, templates."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.db import WriterQueue
from app.templates.registry import TemplateRegistry

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Open one session per request; commit before the response is sent, or roll back.

    Opening a session does no I/O, so it happens on the event loop; ending it does, so it
    runs in the thread pool, in one step.
    """
    reader, writer = request.app.state.sessionmakers
    writes = request.method not in _READ_METHODS
    queue: WriterQueue | None = request.app.state.writer_queue if writes else None
    if queue is not None:
        await run_in_threadpool(queue.enter)
    session = (writer if writes else reader)()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_end, session, queue, commit=False)
        raise
    await run_in_threadpool(_end, session, queue, commit=True)


def _end(session: Session, queue: "WriterQueue | None", *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()
        if queue is not None:
            queue.leave()


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
