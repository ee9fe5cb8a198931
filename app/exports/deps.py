"""Sessions for exports, which outlive the request's own session."""

from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker


def snapshot_session(reader: sessionmaker[Session]) -> Session:
    """Open a reader session that sees one snapshot for as long as the export runs.

    SQLite reads one snapshot per transaction already; PostgreSQL needs REPEATABLE READ
    for the owners of the last chunk to be those of the same moment as the first.
    """
    session = reader()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


async def get_export_sessions(request: Request) -> Callable[[], Session]:
    """Open sessions on the reader: the request's session is closed before the file streams."""
    return partial(snapshot_session, request.app.state.sessionmakers[0])


ExportSessions = Annotated[Callable[[], Session], Depends(get_export_sessions)]
