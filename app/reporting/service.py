"""Summaries as SQL aggregates: GROUP BY in the database, never loops over item rows.

A summary aggregates a *state source*: one row per item with its status, target date,
whether it has a lead, when an update was last accepted, and when it was created. Now, the
source is the item table; as of a past day, it is rebuilt from the events, which carry each
item version's state. The same aggregate runs over both.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from app.auth.permissions import Permission
from app.auth.policies import update_scope
from app.checklist import flags
from app.checklist.service import has_lead_clause, stale_threshold
from app.core.prepared import prepared
from app.core.vocab import ItemStatus, PillarCode
from app.cycles.figures import ReportingScope, reporting_figures
from app.funding import figures as money
from app.models import ChecklistItem, Event, Situation, Update, User
from app.reporting.schemas import PillarFigures, SituationSummary
from app.templates.model import localise
from app.templates.registry import TemplateRegistry

_FIGURE_LABELS = (
    "items_total",
    *(s.value for s in ItemStatus),
    "lead_missing",
    "overdue",
    "stale",
    "no_data",
)


@dataclass(frozen=True)
class StateColumns:
    """The columns of a state source that the flags need."""

    status: Any
    target_date: Any
    has_lead: Any
    last_accepted_at: Any
    created_at: Any


def end_of_day(day: date) -> datetime:
    """The first moment after ``day``, in UTC."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def figure_columns(s: StateColumns, today: Any, stale_threshold: Any) -> list[ColumnElement[Any]]:
    """Aggregate columns: item count, count by status, and the four flags."""

    def count_if(condition: ColumnElement[bool], label: str) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(label)

    return [
        func.count().label("items_total"),
        *(count_if(s.status == status, status.value) for status in ItemStatus),
        count_if(flags.lead_missing(s.status, s.has_lead), "lead_missing"),
        count_if(flags.overdue(s.status, s.target_date, today), "overdue"),
        count_if(flags.stale(s.status, s.last_accepted_at, s.created_at, stale_threshold), "stale"),
        count_if(flags.no_data(s.status, s.last_accepted_at), "no_data"),
    ]


PendingScope = uuid.UUID | Literal["all"] | None
"""Whose submitted updates ``pending_review`` counts: everyone's, one organisation's, or
nobody's (then it is null)."""


def pending_scope(user: User, permissions: frozenset[Permission]) -> PendingScope:
    """Whose not-yet-reviewed updates may this caller count?

    Those who may read every update (coordinators, admins) count all of them; partners,
    who read their own organisation's, count those; viewers, who see accepted updates
    only, count none: their ``pending_review`` is null.
    """
    scope = update_scope(permissions)
    if scope == "all":
        return "all"
    if scope == "own" and user.organisation_id is not None:
        return user.organisation_id
    return None


def _figures(values: Sequence[Any] | None, pending: int | None) -> dict[str, Any]:
    """The figures of a row's aggregate columns, in the order of ``figure_columns``."""
    counts = [int(v or 0) for v in values] if values else [0] * len(_FIGURE_LABELS)
    total, *statuses, lead_missing, overdue, stale, no_data = counts
    by_status = dict(zip(ItemStatus, statuses, strict=True))
    applicable = total - by_status[ItemStatus.NOT_APPLICABLE]
    share = by_status[ItemStatus.IN_PLACE] / applicable if applicable else 0.0
    return {
        "items_total": total,
        "by_status": by_status,
        "in_place_share": round(share, 4),
        "lead_missing": lead_missing,
        "overdue": overdue,
        "stale": stale,
        "no_data": no_data,
        "pending_review": pending,
    }


_FIGURES = slice(1, 1 + len(_FIGURE_LABELS))  # after the pillar, in a summary's rows


NOW_STATE = StateColumns(
    status=ChecklistItem.status,
    target_date=ChecklistItem.target_date,
    has_lead=has_lead_clause(),
    last_accepted_at=ChecklistItem.last_accepted_update_at,
    created_at=ChecklistItem.created_at,
)


def state_as_of(situation_id: Any, moment: Any) -> Any:
    """Each item's state at ``moment``, from the last version event before it."""
    last_version = (
        select(Event.item_id, func.max(Event.item_version).label("version"))
        .where(
            Event.situation_id == situation_id, Event.item_version.is_not(None), Event.at < moment
        )
        .group_by(Event.item_id)
        .subquery()
    )
    accepted = (
        select(Event.item_id, func.max(Event.at).label("last_accepted_at"))
        .where(
            Event.situation_id == situation_id, Event.action == "update.accepted", Event.at < moment
        )
        .group_by(Event.item_id)
        .subquery()
    )
    return (
        select(
            ChecklistItem.id.label("item_id"),
            ChecklistItem.pillar,
            Event.item_status.label("status"),
            Event.item_target_date.label("target_date"),
            Event.item_has_lead.label("has_lead"),
            accepted.c.last_accepted_at,
            ChecklistItem.created_at,
        )
        .join(last_version, last_version.c.item_id == ChecklistItem.id)
        .join(
            Event,
            and_(Event.item_id == ChecklistItem.id, Event.item_version == last_version.c.version),
        )
        .outerjoin(accepted, accepted.c.item_id == ChecklistItem.id)
        .where(ChecklistItem.situation_id == situation_id)
        .subquery()
    )


def _pending_review(item_id: Any, moment: Any, organisation: Any) -> ColumnElement[Any]:
    """SQL, per pillar: updates of its items submitted before the moment, not yet reviewed then
    (only ``organisation``'s, when given)."""
    conditions = [
        Update.item_id == item_id,
        Update.submitted_at < moment,
        or_(Update.reviewed_at.is_(None), Update.reviewed_at >= moment),
    ]
    if organisation is not None:
        conditions.append(Update.organisation_id == organisation)
    waiting = select(func.count()).where(*conditions).scalar_subquery()
    return func.coalesce(func.sum(waiting), 0).label("pending_review")


@prepared
def _summary_statement(*, now: bool, by_organisation: bool) -> Select[Any]:
    """``_summary_query`` with its values bound when it runs (``situation_id``, ``moment``,
    ``today``, ``threshold``, ``organisation``): building these aggregates' SQL cost more
    than running it (the summary's p50 goal, bench "situation summary")."""
    return _summary_query(
        bindparam("situation_id"),
        moment=bindparam("moment"),
        today=bindparam("today"),
        threshold=bindparam("threshold"),
        now=now,
        organisation=bindparam("organisation") if by_organisation else None,
    )


def _summary_query(
    situation_id: Any, *, moment: Any, today: Any, threshold: Any, now: bool, organisation: Any
) -> Select[Any]:
    """The figures of a situation per pillar: from the items now, or rebuilt as of ``moment``.

    The values are Python values or bound parameters.
    """
    if now:
        return (
            select(
                ChecklistItem.pillar,
                *figure_columns(NOW_STATE, today, threshold),
                _pending_review(ChecklistItem.id, moment, organisation),
            )
            .where(ChecklistItem.situation_id == situation_id)
            .group_by(ChecklistItem.pillar)
        )
    source = state_as_of(situation_id, moment)
    state = StateColumns(
        source.c.status,
        source.c.target_date,
        source.c.has_lead,
        source.c.last_accepted_at,
        source.c.created_at,
    )
    return select(
        source.c.pillar,
        *figure_columns(state, today, threshold),
        _pending_review(source.c.item_id, moment, organisation),
    ).group_by(source.c.pillar)


def situation_summary(
    session: Session,
    situation: Situation,
    registry: TemplateRegistry,
    *,
    pending: PendingScope,
    now: datetime,
    as_of: date | None = None,
    language: str | None = None,
    reporting: ReportingScope | None = None,
) -> SituationSummary:
    """Figures for the situation and each pillar, now or at the end of ``as_of``.

    ``pending_review`` counts the updates of ``pending`` (see ``pending_scope``). With
    ``reporting``, and now, the current cycle's figures for the organisations it names.
    """
    moment = end_of_day(as_of) if as_of else now
    today = as_of or now.date()
    organisation = pending if isinstance(pending, uuid.UUID) else None
    stmt = _summary_statement(now=as_of is None, by_organisation=organisation is not None)
    values = {
        "situation_id": situation.id,
        "moment": moment,
        "today": today,
        "threshold": stale_threshold(moment, situation.stale_after_days),
        **({"organisation": organisation} if organisation is not None else {}),
    }
    by_pillar = {str(row.pillar): row for row in session.execute(stmt, values).all()}
    counts = {code: int(row.pending_review) for code, row in by_pillar.items()}

    def pending_of(code: str) -> int | None:
        return None if pending is None else counts.get(code, 0)

    template = registry.get(situation.template_id, situation.template_version)
    titles = (
        {p.code.value: localise(p.title, language) or p.code.value for p in template.pillars}
        if template
        else {}
    )
    codes = list(titles) or [p.value for p in PillarCode]
    funding = money.summary_funding(session, situation.id) if as_of is None else None
    pillars = [
        PillarFigures(
            code=PillarCode(code),
            title=titles.get(code, code),
            funding=funding.pillar(code) if funding is not None else None,
            **_figures(by_pillar[code][_FIGURES] if code in by_pillar else None, pending_of(code)),
        )
        for code in codes
    ]
    totals = {
        label: sum(getattr(p, label) for p in pillars)
        for label in ("items_total", "lead_missing", "overdue", "stale", "no_data")
    }
    by_status = {status: sum(p.by_status[status] for p in pillars) for status in ItemStatus}
    applicable = totals["items_total"] - by_status[ItemStatus.NOT_APPLICABLE]
    return SituationSummary(
        situation_id=situation.id,
        as_of=as_of,
        generated_at=now,
        stale_after_days=situation.stale_after_days,
        by_status=by_status,
        in_place_share=round(by_status[ItemStatus.IN_PLACE] / applicable, 4) if applicable else 0.0,
        pillars=pillars,
        pending_review=None if pending is None else sum(p.pending_review or 0 for p in pillars),
        reporting=(
            reporting_figures(session, situation.id, today, reporting)
            if reporting is not None and as_of is None
            else None
        ),
        funding=funding.situation if funding is not None else None,
        items_funding=funding.items if funding is not None else None,
        **totals,
    )
