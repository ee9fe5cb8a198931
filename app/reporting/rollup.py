"""The roll-up: the situations a user may see, each with its figures, added up, and per element.

One aggregate per visible situation over its items (``figure_columns``, as in the summary),
the totals added up from those rows, and one GROUP BY per element and status across the same
situations; each situation's ``pending_review`` follows the caller's role there
(``pending_scope``), and each element carries its funding and, when asked, how many
situations have it pledged but not in place.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, false, func, select
from sqlalchemy.orm import Session

from app.auth.policies import situation_permissions
from app.checklist.service import stale_thresholds
from app.core.vocab import ItemStatus, Phase, SituationRole, UpdateState
from app.funding import figures as money
from app.models import ChecklistItem, Membership, Situation, Update, User
from app.pledges.rollup import pledged_not_in_place as pledged
from app.reporting.schemas import Rollup
from app.reporting.service import (
    _FIGURE_LABELS,
    NOW_STATE,
    _figures,
    figure_columns,
    pending_scope,
)


def visible_situations(
    user: User, *, host_country: str | None, phase: Phase | None
) -> Select[uuid.UUID]:
    """The ids of the situations ``user`` may see, filtered."""
    return select(Situation.id).where(*_visible(user, host_country=host_country, phase=phase))


def _visible(
    user: User, *, host_country: str | None, phase: Phase | None
) -> list[ColumnElement[bool]]:
    """Conditions on ``Situation`` that keep the situations ``user`` may see, filtered."""
    conditions: list[ColumnElement[bool]] = []
    if not user.is_admin:
        conditions.append(
            Situation.id.in_(select(Membership.situation_id).where(Membership.user_id == user.id))
        )
    if host_country is not None:
        conditions.append(Situation.host_country == host_country)
    if phase is not None:
        conditions.append(Situation.phase == phase)
    return conditions


def rollup(
    session: Session,
    user: User,
    *,
    now: datetime,
    host_country: str | None = None,
    phase: Phase | None = None,
    pledged_not_in_place: bool = False,
    funding_gap_above: float | None = None,
) -> Rollup:
    """One row per visible situation, totals, and per element how many situations have it
    where and its funding.

    ``pledged_not_in_place`` keeps only the elements pledged but not in place somewhere;
    ``funding_gap_above``, only those whose unfunded part of the requirement is above that
    share.
    """
    visible = _visible(user, host_country=host_country, phase=phase)
    figures = figure_columns(NOW_STATE, now.date(), stale_thresholds(session, now, *visible))
    per_situation = session.execute(
        select(Situation.id, Situation.name, Situation.host_country, Situation.phase, *figures)
        .join(ChecklistItem, ChecklistItem.situation_id == Situation.id)
        .where(*visible)
        .group_by(Situation.id, Situation.name, Situation.host_country, Situation.phase)
        .order_by(Situation.name, Situation.id)
    ).all()

    def of_visible(column: Any) -> list[ColumnElement[bool]]:
        # An admin's unfiltered roll-up sees every situation: no test per row.
        return [column.in_(select(Situation.id).where(*visible))] if visible else []

    pending = _rollup_pending(session, user, [row[0] for row in per_situation], of_visible)
    element_rows = session.execute(
        select(
            ChecklistItem.element_code,
            ChecklistItem.pillar,
            ChecklistItem.status,
            func.min(ChecklistItem.sort_order).label("position"),
            func.max(ChecklistItem.title).label("title"),
            func.count().label("situations"),
        )
        .where(ChecklistItem.is_custom.is_(False), *of_visible(ChecklistItem.situation_id))
        .group_by(ChecklistItem.element_code, ChecklistItem.pillar, ChecklistItem.status)
    ).all()
    # The totals add up the per-situation aggregates (a few numbers per situation), which
    # spares a second pass over every item. Plain data is validated once, at the end.
    totals = [0] * len(_FIGURE_LABELS)
    situations = []
    shown = [count for count in pending.values() if count is not None]
    for row in per_situation:
        values = row[4:]
        totals = [a + int(b or 0) for a, b in zip(totals, values, strict=True)]
        situations.append(
            {
                "situation_id": row[0],
                "name": row[1],
                "host_country": row[2],
                "phase": row[3],
                **_figures(values, pending.get(row[0])),
            }
        )
    funding = money.by_element(session, select(Situation.id).where(*visible) if visible else None)
    elements = [
        {**element, "funding": funding.get(element["code"], money.Totals()).funding()}
        for element in _elements(
            element_rows, pledged(session, of_visible) if pledged_not_in_place else None
        )
        if funding_gap_above is None
        or money.gap_above(funding.get(element["code"], money.Totals()), funding_gap_above)
    ]
    return Rollup.model_validate(
        {
            "generated_at": now,
            "situations_total": len(situations),
            "totals": _figures(totals, sum(shown) if shown else None),
            "situations": situations,
            "elements": elements,
            "funding": money.total(funding.values()).funding(),
        }
    )


def _rollup_pending(
    session: Session, user: User, situation_ids: list[Any], of_visible: Any
) -> dict[Any, int | None]:
    """Per situation, the pending updates ``user`` may count there (``pending_scope``)."""
    organisation = user.organisation_id
    own = Update.organisation_id == organisation if organisation is not None else false()
    counts = {
        row[0]: (int(row[1]), int(row[2] or 0))
        for row in session.execute(
            select(Update.situation_id, func.count(), func.sum(case((own, 1), else_=0)))
            .where(Update.state == UpdateState.SUBMITTED, *of_visible(Update.situation_id))
            .group_by(Update.situation_id)
        ).all()
    }
    roles: dict[Any, SituationRole | None] = {}
    if not user.is_admin:
        roles = dict(
            session.execute(
                select(Membership.situation_id, Membership.role).where(
                    Membership.user_id == user.id
                )
            ).all()
        )
    pending: dict[Any, int | None] = {}
    for sid in situation_ids:
        every, of_own = counts.get(sid, (0, 0))
        scope = pending_scope(user, situation_permissions(user, roles.get(sid)))
        pending[sid] = None if scope is None else every if scope == "all" else of_own
    return pending


def _elements(rows: Sequence[Any], pledged: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Fold (element, status) counts into one entry per element, in template order.

    With ``pledged`` (per element, the situations where it is pledged but not in place),
    only those elements, with that count.
    """
    elements: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r.position):
        entry = elements.setdefault(
            row.element_code,
            {
                "code": row.element_code,
                "title": row.title,
                "pillar": row.pillar,
                "situations": 0,
                "by_status": dict.fromkeys(ItemStatus, 0),
            },
        )
        entry["situations"] += row.situations
        entry["by_status"][row.status] += row.situations
    if pledged is None:
        return list(elements.values())
    return [
        {**entry, "pledged_not_in_place": pledged[code]}
        for code, entry in elements.items()
        if code in pledged
    ]
