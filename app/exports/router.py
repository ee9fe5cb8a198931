"""Exports: one situation's checklist, or every visible situation's, as CSV, HXL or XLSX.

Permissions and parameters are checked before the response starts, so refusals are
problem+json; the file then streams from a session of its own.
"""

from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.auth.deps import CanReadSummary, ExportsReader
from app.core.base import utcnow
from app.core.deps import RegistryDep, SessionDep
from app.core.schemas import CountryCode
from app.core.vocab import Phase
from app.exports import formats, service
from app.exports.deps import ExportSessions
from app.exports.formats import MEDIA_TYPES, ExportFormat
from app.exports.service import Column, Row
from app.frameworks import service as frameworks
from app.frameworks.deps import FrameworkQuery
from app.frameworks.export import FRAMEWORK_COLUMNS, framework_rows
from app.models import User
from app.reporting.rollup import visible_situations
from app.templates.deps import Language
from app.templates.registry import TemplateRegistry

router = APIRouter(tags=["exports"])

FormatQuery = Annotated[
    ExportFormat,
    Query(
        alias="format",
        description="`csv`; `hxl` (CSV with an HXL 1.1 hashtag row under the header row); "
        "`xlsx` (header and hashtag rows).",
    ),
]
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment.",
        "content": {media_type: {} for media_type in sorted(set(MEDIA_TYPES.values()))},
    }
}


@router.get("/situations/{sid}/export", response_class=StreamingResponse, responses=FILE_RESPONSES)
def export_situation(
    access: ExportsReader,
    sessions: ExportSessions,
    session: SessionDep,
    registry: RegistryDep,
    language: Language,
    export_format: FormatQuery = ExportFormat.CSV,
    framework: FrameworkQuery = None,
) -> StreamingResponse:
    """The checklist as a file: one row per item with its owners, last accepted update, flags.

    With `framework`, one row per element of that adopted framework, with its derived status.
    """
    if framework is not None:
        adopted = frameworks.adopted(session, access.situation, registry, framework)
        return framework_attachment(access, sessions, adopted, registry, language, export_format)
    return situation_attachment(access, sessions, export_format)


@router.get("/summary/export", response_class=StreamingResponse, responses=FILE_RESPONSES)
def export_rollup(
    user: CanReadSummary,
    sessions: ExportSessions,
    host_country: Annotated[CountryCode | None, Query()] = None,
    phase: Annotated[Phase | None, Query()] = None,
    export_format: FormatQuery = ExportFormat.CSV,
) -> StreamingResponse:
    """Every item of every situation you may see, situation by situation, as a file."""
    return rollup_attachment(user, sessions, host_country, phase, export_format)


def situation_attachment(
    access: SituationAccess, sessions: Callable[[], Session], export_format: ExportFormat
) -> StreamingResponse:
    """One situation's checklist as a streamed file (the API's and the dashboard's)."""
    now = utcnow()
    situation_id = access.situation.id
    stale_after_days = access.situation.stale_after_days

    def rows(session: Session) -> Iterator[Row]:
        return service.situation_rows(session, situation_id, stale_after_days, now=now)

    name = formats.filename(access.situation.name, export_format, now.date())
    return _attachment(sessions, rows, service.COLUMNS, export_format, name)


def framework_attachment(
    access: SituationAccess,
    sessions: Callable[[], Session],
    adopted: frameworks.Adopted,
    registry: TemplateRegistry,
    language: str,
    export_format: ExportFormat,
) -> StreamingResponse:
    """One situation's checklist through an adopted framework, as a file."""
    situation = access.situation

    def rows(session: Session) -> Iterator[Row]:
        return framework_rows(session, situation, adopted, registry, language)

    stem = f"{situation.name}-{adopted.framework.id}"
    name = formats.filename(stem, export_format, utcnow().date())
    return _attachment(sessions, rows, FRAMEWORK_COLUMNS, export_format, name)


def rollup_attachment(
    user: User,
    sessions: Callable[[], Session],
    host_country: str | None,
    phase: Phase | None,
    export_format: ExportFormat,
) -> StreamingResponse:
    """Every visible situation's checklist as a streamed file (the API's and the dashboard's)."""
    now = utcnow()
    visible = visible_situations(user, host_country=host_country, phase=phase)

    def rows(session: Session) -> Iterator[Row]:
        return service.rollup_rows(session, visible, now=now)

    stem = "-".join(["rollup", *(part for part in (host_country, phase) if part)])
    name = formats.filename(stem, export_format, now.date())
    return _attachment(sessions, rows, service.COLUMNS, export_format, name)


def _attachment(
    sessions: Callable[[], Session],
    rows: Callable[[Session], Iterator[Row]],
    columns: Sequence[Column],
    export_format: ExportFormat,
    name: str,
) -> StreamingResponse:
    def body() -> Iterator[bytes]:
        with sessions() as session:
            yield from formats.render(export_format, columns, rows(session))

    return StreamingResponse(
        body(),
        media_type=MEDIA_TYPES[export_format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
