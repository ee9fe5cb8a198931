"""The elements in a report: where each stood at the period's end, and what moved in it.

Both come from the events, which carry each item version's state: an element *moved* when
one of its versions in the period has another status than the version before. The move is
credited to the accepted update that made it, when one did, else to whoever edited the item.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from app.checklist import flags
from app.core.vocab import ItemStatus, PillarCode
from app.models import ChecklistItem, Event, Organisation, Situation, Update
from app.reporting.service import state_as_of
from app.templates.model import localise
from app.templates.registry import TemplateRegistry


@dataclass(frozen=True)
class Move:
    """One change of an element's status."""

    at: datetime
    before: ItemStatus
    after: ItemStatus
    by_update: bool  # on an accepted update (of ``organisation``), else an edit
    organisation: str | None


@dataclass
class ElementLine:
    """An element at the period's end, and its moves in the period (oldest first)."""

    code: str
    title: str
    pillar: PillarCode
    is_custom: bool
    status: ItemStatus | None  # None: the item did not exist yet
    lead_missing: bool
    moves: list[Move] = field(default_factory=list)

    @property
    def opening_status(self) -> ItemStatus | None:
        return self.moves[0].before if self.moves else self.status


def elements(
    session: Session,
    situation: Situation,
    registry: TemplateRegistry,
    *,
    start: datetime,
    end: datetime,
    language: str,
) -> list[ElementLine]:
    """Every item of the situation in checklist order: its state at ``end`` and its moves
    between ``start`` and ``end``."""
    state = state_as_of(situation.id, end)
    rows = session.execute(
        select(
            ChecklistItem.id,
            ChecklistItem.code,
            ChecklistItem.title,
            ChecklistItem.pillar,
            ChecklistItem.is_custom,
            state.c.status,
            flags.lead_missing(state.c.status, state.c.has_lead),
        )
        .outerjoin(state, state.c.item_id == ChecklistItem.id)
        .where(ChecklistItem.situation_id == situation.id)
        .order_by(ChecklistItem.sort_order, ChecklistItem.code)
    ).all()
    moves = _moves(session, situation.id, start, end)
    lines = []
    for item_id, code, title, pillar, is_custom, status, lead_missing in rows:
        entry = None if is_custom else registry.element(*_template(situation), code)
        lines.append(
            ElementLine(
                code=code,
                title=(localise(entry.element.title, language) if entry else None) or title,
                pillar=PillarCode(pillar),
                is_custom=is_custom,
                status=ItemStatus(status) if status is not None else None,
                lead_missing=bool(lead_missing),
                moves=moves.get(item_id, []),
            )
        )
    return lines


def _template(situation: Situation) -> tuple[str, str]:
    return situation.template_id, situation.template_version


def _moves(
    session: Session, situation_id: uuid.UUID, start: datetime, end: datetime
) -> dict[uuid.UUID, list[Move]]:
    """Per item, its status changes in the period, oldest first."""
    previous = aliased(Event)
    updater = aliased(Organisation)
    editor = aliased(Organisation)
    rows = session.execute(
        select(
            Event.item_id,
            Event.at,
            previous.item_status,
            Event.item_status,
            Event.update_id,
            updater.name,
            editor.name,
        )
        .join(
            previous,
            and_(
                previous.item_id == Event.item_id,
                previous.item_version == Event.item_version - 1,
            ),
        )
        .outerjoin(Update, Update.id == Event.update_id)
        .outerjoin(updater, updater.id == Update.organisation_id)
        .outerjoin(editor, editor.id == Event.actor_organisation_id)
        .where(
            Event.situation_id == situation_id,
            Event.at >= start,
            Event.at < end,
            Event.item_version.is_not(None),
            previous.item_status != Event.item_status,
        )
        .order_by(Event.at, Event.item_version)
    ).all()
    found: dict[uuid.UUID, list[Move]] = defaultdict(list)
    for item_id, at, before, after, update_id, by_updater, by_editor in rows:
        on_update = update_id is not None
        found[item_id].append(  # type: ignore[index]  # item events always have an item
            Move(
                at=at,
                before=ItemStatus(str(before)),
                after=ItemStatus(str(after)),
                by_update=on_update,
                organisation=by_updater if on_update else by_editor,
            )
        )
    return found
