"""Admission: a bounded, in-order wait for a turn at the database.

A request holds a pooled connection from its first statement until its session ends,
across its hops to worker threads. Unbounded, a burst takes every connection, then every
thread waits for a connection while the connections' holders wait for a thread, until
the pool's timeout (seen on PostgreSQL; ``tests/test_concurrency.py`` holds the proof).
So at most ``capacity`` requests of a process hold a session at once; the others wait on
the event loop, holding neither a thread nor a connection, and one that waits longer
than the timeout gets ``DatabaseBusy`` (503 with ``Retry-After``).

SQLite allows one writer at a time. Left to its busy timeout, waiting writers sleep and
retry, and under a burst the unlucky ones wait far longer than their turn; so a SQLite
writer first takes the writer's turn (capacity 1), then a session's. A request holding a
session's turn never waits for the writer's, so the two cannot deadlock.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from app.core.errors import ServiceUnavailable


class DatabaseBusy(ServiceUnavailable):
    default_detail = "The database is busy: retry shortly."

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(headers={"Retry-After": str(retry_after_seconds)})


class Gate:
    """At most ``capacity`` holders at once; the others wait in order, up to ``timeout``."""

    def __init__(self, capacity: int, timeout_seconds: float, retry_after_seconds: int) -> None:
        self._semaphore = asyncio.Semaphore(capacity)
        self._timeout = timeout_seconds
        self._retry_after = retry_after_seconds

    async def enter(self) -> None:
        """Wait for a turn, or raise ``DatabaseBusy``."""
        try:
            await asyncio.wait_for(self._semaphore.acquire(), self._timeout)
        except TimeoutError:
            raise DatabaseBusy(self._retry_after) from None

    def leave(self) -> None:
        """Hand the turn on."""
        self._semaphore.release()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold a turn for the block."""
        await self.enter()
        try:
            yield
        finally:
            self.leave()


class Admission:
    """The turns of one process: sessions, and on SQLite the single writer's."""

    def __init__(self, sessions: Gate, writer: Gate | None) -> None:
        self.sessions = sessions
        self.writer = writer

    @asynccontextmanager
    async def turn(self, *, writes: bool) -> AsyncIterator[None]:
        """Hold the turns a request needs: the writer's first (SQLite writes), then a session's."""
        async with AsyncExitStack() as stack:
            if writes and self.writer is not None:
                await stack.enter_async_context(self.writer.turn())
            await stack.enter_async_context(self.sessions.turn())
            yield


def admission_for(
    *,
    sqlite: bool,
    capacity: int,
    wait_seconds: float,
    writer_wait_seconds: float,
    retry_after_seconds: int,
) -> Admission:
    """The admission of a process: ``capacity`` sessions, and one SQLite writer at a time."""
    sessions = Gate(capacity, wait_seconds, retry_after_seconds)
    writer = Gate(1, writer_wait_seconds, retry_after_seconds) if sqlite else None
    return Admission(sessions, writer)
