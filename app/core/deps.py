"""Request-scoped dependencies shared by every domain: the session, settings, templates."""

from collections.abc import AsyncIterator, Callable
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app.config import Settings
from app.core.db import Turns
from app.templates.registry import TemplateRegistry

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

P = ParamSpec("P")
T = TypeVar("T")


def reads_inline(request: Request) -> bool:
    """Whether this request's database work runs on the event loop: a SQLite read.

    A SQLite read is a look-up in a local file that never waits for a lock (WAL), quicker
    than a hop to a worker thread and back. Writes, and every PostgreSQL statement (a
    network round trip), go to the thread pool.
    """
    return request.method in _READ_METHODS and request.app.state.engine.dialect.name == "sqlite"


async def run_db(request: Request, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking database work for ``request``: inline for a SQLite read, else in a thread."""
    if reads_inline(request):
        return fn(*args, **kwargs)
    return await run_in_threadpool(fn, *args, **kwargs)


# Session.info key: the route ended the session itself (``run_to_end``).
_ENDED = "crrf_ended"


async def run_to_end(
    request: Request, session: Session, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run a route's last database work and end its session in the same step.

    The session commits if ``fn`` returns and rolls back if it raises, as ``get_session``
    would, but in the same hop to a worker thread as the work instead of a second one.
    """

    def work() -> T:
        try:
            result = fn(*args, **kwargs)
        except BaseException:
            _end(session, commit=False)
            raise
        _end(session, commit=True)
        return result

    session.info[_ENDED] = True
    return await run_db(request, work)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Open one session per request; commit before the response is sent, or roll back.

    The request first waits for its turn (``session_turns``; SQLite writers also for the
    writer's turn), and hands it on when the session has ended.

    Opening a session does no I/O, so it happens on the event loop. Ending it does, through
    ``run_db`` (in the thread pool, or inline for a SQLite read), unless the route already
    ended it with its last work (``run_to_end``).
    """
    reader, writer = request.app.state.sessionmakers
    writes = request.method not in _READ_METHODS
    queue: Turns | None = request.app.state.writer_queue if writes else None
    turns: Turns = request.app.state.session_turns
    # A SQLite writer first waits for the writer's turn, then for a session's: a request
    # holding a session's turn never waits for the writer's, so the two cannot deadlock.
    if queue is not None:
        await queue.enter()
    try:
        await turns.enter()
    except BaseException:
        if queue is not None:
            queue.leave()
        raise
    try:
        session = (writer if writes else reader)()

        async def end(*, commit: bool) -> None:
            if not session.info.get(_ENDED):
                await run_db(request, _end, session, commit=commit)

        try:
            yield session
        except BaseException:
            await end(commit=False)
            raise
        await end(commit=True)
    finally:
        turns.leave()
        if queue is not None:
            queue.leave()


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
