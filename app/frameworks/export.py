"""A situation's checklist through an adopted framework, as the rows of an export file."""

from collections.abc import Iterator

from sqlalchemy.orm import Session

from app.exports.service import SITUATION_COLUMNS, Column, Row
from app.frameworks.service import Adopted, derived
from app.frameworks.views import element_reads
from app.models import Situation
from app.templates.registry import TemplateRegistry

NAME_SEPARATOR = "; "

# Hashtags are the HXL 1.1 dictionary's, with the extensions the README names (+framework,
# +mapped) and the item export's (+element, +in_place).
FRAMEWORK_COLUMNS: tuple[Column, ...] = (
    *SITUATION_COLUMNS,
    Column("framework_id", "#meta+framework+code", 16),
    Column("framework_version", "#meta+framework+version", 10),
    Column("code", "#activity+code", 8),
    Column("group", "#sector+code", 14),
    Column("title", "#activity+name", 50, free_text=True),
    Column("status", "#status+code"),
    Column("in_place_pct", "#indicator+in_place+pct", 10),
    Column("mappings", "#activity+code+element+mapped", 60),
)


def framework_rows(
    session: Session,
    situation: Situation,
    adopted: Adopted,
    registry: TemplateRegistry,
    language: str,
) -> Iterator[Row]:
    """One row per framework element: its derived status and its mapped items' statuses."""
    framework = adopted.framework
    start: Row = (
        str(situation.id),
        situation.name,
        situation.host_country,
        situation.phase.value,
        situation.start_date,
    )
    elements = element_reads(derived(session, situation, framework), situation, registry, language)
    for element in elements:
        mappings = NAME_SEPARATOR.join(
            f"{m.relation.value} {m.code} ({m.status.value if m.status else 'no item'})"
            for m in element.mappings
        )
        share = element.in_place_share
        yield (
            *start,
            framework.id,
            framework.version,
            element.code,
            element.group,
            element.title,
            element.status.value if element.status else None,
            None if share is None else round(share * 100),
            mappings,
        )
