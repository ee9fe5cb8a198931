"""Create, change, find and describe pledges; each change is an event on every linked item."""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.core.base import utcnow
from app.core.errors import Conflict, NotFound
from app.core.pagination import SortKey, timestamp_key
from app.core.schemas import jsonable
from app.core.vocab import PartyRole, PledgeStatus, PledgeType
from app.events.service import Actor, apply_changes, record
from app.models import (
    ChecklistItem,
    Pledge,
    PledgeLink,
    PledgeObjective,
    PledgeParty,
    User,
)
from app.organisations.schemas import OrganisationRef
from app.pledges import rules
from app.pledges.refs import PartyRead
from app.pledges.schemas import LinkRead, PledgeCreate, PledgeRead, PledgeUpdate

_ROLE_ORDER = {PartyRole.SUBMITTER: 0, PartyRole.CO_PLEDGER: 1, PartyRole.MATCHER: 2}
# Lists: the newest first.
ORDER = [timestamp_key(Pledge.created_at), SortKey(Pledge.id, uuid.UUID)]
_SCALARS = ("title", "description", "type", "forum", "external_ref", "status")


def with_parts(stmt: Select[Pledge]) -> Select[Pledge]:
    """``stmt`` loading each pledge's objectives, parties (with organisations) and links."""
    return stmt.options(
        selectinload(Pledge.objectives),
        selectinload(Pledge.parties).selectinload(PledgeParty.organisation),
        selectinload(Pledge.links),
    )


def get(session: Session, pledge_id: uuid.UUID, *, for_update: bool = False) -> Pledge:
    """Load a pledge with its parts, or raise NotFound; lock it when it is about to change."""
    stmt = with_parts(select(Pledge).where(Pledge.id == pledge_id)).execution_options(
        populate_existing=True
    )
    if for_update:
        stmt = stmt.with_for_update(of=Pledge)
    pledge = session.scalar(stmt)
    if pledge is None:
        raise NotFound("No such pledge.")
    return pledge


def share(bp: int | None) -> Decimal | None:
    """A share in basis points as a fraction: 2500 is 0.25."""
    return None if bp is None else (Decimal(bp) / 10000).normalize()


def party_reads(parties: list[PledgeParty]) -> list[PartyRead]:
    """The parties, submitter first, then co-pledgers and matchers by name."""
    ordered = sorted(parties, key=lambda p: (_ROLE_ORDER[p.role], p.organisation.name))
    return [
        PartyRead(
            organisation_id=party.organisation_id,
            organisation=OrganisationRef.model_validate(party.organisation),
            role=party.role,
            share=share(party.share_bp),
        )
        for party in ordered
    ]


def pledge_read(pledge: Pledge) -> PledgeRead:
    """Describe a pledge loaded with its parts."""
    return PledgeRead(
        id=pledge.id,
        title=pledge.title,
        description=pledge.description,
        type=pledge.type,
        gcr_objectives=[o.objective for o in pledge.objectives],
        forum=pledge.forum,
        external_ref=pledge.external_ref,
        status=pledge.status,
        parties=party_reads(pledge.parties),
        links=[
            LinkRead(situation_id=link.situation_id, item_id=link.item_id, code=link.code)
            for link in sorted(pledge.links, key=lambda link: (str(link.situation_id), link.code))
        ],
        version=pledge.version,
        created_at=pledge.created_at,
        updated_at=pledge.updated_at,
    )


def _ensure_ref_free(session: Session, ref: str | None, exclude: uuid.UUID | None = None) -> None:
    if ref is None:
        return
    stmt = select(Pledge.id).where(Pledge.external_ref == ref)
    if exclude is not None:
        stmt = stmt.where(Pledge.id != exclude)
    if session.scalar(stmt) is not None:
        raise Conflict("A pledge with this external reference exists already.")


def _share_json(bp: int | None) -> str | None:
    return None if bp is None else str(share(bp))


def _parties_json(entries: dict[uuid.UUID, rules.PartyEntry]) -> list[dict[str, Any]]:
    return [
        {"organisation_id": str(org), "role": role.value, "share": _share_json(bp)}
        for org, (role, bp) in sorted(entries.items(), key=lambda e: str(e[0]))
    ]


def _links_json(items: list[rules.Target]) -> list[dict[str, str]]:
    return sorted(({"situation_id": str(t.situation_id), "code": t.code} for t in items), key=str)


def record_on_items(
    session: Session,
    actor: Actor,
    pledge: Pledge,
    items: list[rules.Target],
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """One event per linked item: the pledge's history is in the history of what it serves."""
    head = {"pledge_id": str(pledge.id), "title": pledge.title}
    for target in sorted(items, key=lambda t: str(t.item_id)):
        record(
            session,
            actor,
            situation_id=target.situation_id,
            item_id=target.item_id,
            action=action,
            before=None if before is None else {**head, **before},
            after={**head, **after},
        )


def targets(pledge: Pledge) -> list[rules.Target]:
    return [rules.Target(link.situation_id, link.item_id, link.code) for link in pledge.links]


def create(session: Session, user: User | None, data: PledgeCreate) -> Pledge:
    """Record a pledge with its objectives, parties and links; one event per linked item.

    ``user`` None is the system (an import): no party or link rule applies to it.
    """
    rules.check_organisations(session, data.parties)
    parties = rules.party_entries(data.parties)
    linked = rules.resolve_links(session, data.links)
    if user is not None:
        rules.check_party_change(user, {}, parties)
        rules.check_link_change(session, user, data.links, {t.situation_id for t in linked})
    _ensure_ref_free(session, data.external_ref)
    now = utcnow()
    pledge = Pledge(
        id=uuid.uuid4(),
        **data.model_dump(include=set(_SCALARS)),
        version=1,
        created_by_id=user.id if user is not None else None,
        created_at=now,
        updated_at=now,
        objectives=[PledgeObjective(objective=o) for o in data.gcr_objectives],
        parties=[
            PledgeParty(organisation_id=org, role=role, share_bp=bp)
            for org, (role, bp) in parties.items()
        ],
        links=[
            PledgeLink(situation_id=t.situation_id, item_id=t.item_id, code=t.code) for t in linked
        ],
    )
    session.add(pledge)
    after = {
        **jsonable(data.model_dump(include=set(_SCALARS))),
        "gcr_objectives": data.gcr_objectives,
        "parties": _parties_json(parties),
        "links": _links_json(linked),
    }
    record_on_items(session, Actor.of(user), pledge, linked, "pledge.created", None, after)
    session.flush()
    return get(session, pledge.id)


@dataclass
class _Diff:
    before: dict[str, Any]
    after: dict[str, Any]


def _replace_objectives(pledge: Pledge, wanted: list[int], diff: _Diff) -> None:
    current = [o.objective for o in pledge.objectives]
    if current == wanted:
        return
    diff.before["gcr_objectives"], diff.after["gcr_objectives"] = current, wanted
    pledge.objectives = [o for o in pledge.objectives if o.objective in wanted] + [
        PledgeObjective(objective=o) for o in wanted if o not in current
    ]


def _replace_parties(
    pledge: Pledge, wanted: dict[uuid.UUID, rules.PartyEntry], diff: _Diff
) -> None:
    current = {p.organisation_id: (p.role, p.share_bp) for p in pledge.parties}
    if current == wanted:
        return
    diff.before["parties"], diff.after["parties"] = _parties_json(current), _parties_json(wanted)
    kept = []
    for party in pledge.parties:
        if party.organisation_id in wanted:
            party.role, party.share_bp = wanted[party.organisation_id]
            kept.append(party)
    pledge.parties = kept + [
        PledgeParty(organisation_id=org, role=role, share_bp=bp)
        for org, (role, bp) in wanted.items()
        if org not in current
    ]


def _replace_links(pledge: Pledge, wanted: list[rules.Target], diff: _Diff) -> None:
    current = {link.item_id for link in pledge.links}
    if current == {t.item_id for t in wanted}:
        return
    diff.before["links"], diff.after["links"] = _links_json(targets(pledge)), _links_json(wanted)
    pledge.links = [link for link in pledge.links if link.item_id in {t.item_id for t in wanted}]
    pledge.links += [
        PledgeLink(situation_id=t.situation_id, item_id=t.item_id, code=t.code)
        for t in wanted
        if t.item_id not in current
    ]


def update(session: Session, user: User | None, pledge: Pledge, data: PledgeUpdate) -> Pledge:
    """Apply the fields sent (parties and links replace their sets): one version, its events.

    ``user`` None is the system (an import), as for ``create``.
    """
    changes = data.changes()
    wanted_parties = None
    if data.parties is not None:
        rules.check_organisations(session, data.parties)
        wanted_parties = rules.party_entries(data.parties)
        current = {p.organisation_id: (p.role, p.share_bp) for p in pledge.parties}
        if user is not None:
            rules.check_party_change(user, current, wanted_parties)
    wanted_links = None
    if data.links is not None:
        wanted_links = rules.resolve_links(session, data.links)
        old = {(t.situation_id, t.item_id) for t in targets(pledge)}
        new = {(t.situation_id, t.item_id) for t in wanted_links}
        if user is not None:
            rules.check_link_change(session, user, data.links, {sid for sid, _ in old ^ new})
    if "external_ref" in changes:
        _ensure_ref_free(session, changes["external_ref"], exclude=pledge.id)
    before_targets = targets(pledge)
    diff = _Diff({}, {})
    scalars = {k: v for k, v in changes.items() if k in _SCALARS}
    apply_changes(pledge, scalars, diff.before, diff.after)
    if data.gcr_objectives is not None:
        _replace_objectives(pledge, data.gcr_objectives, diff)
    if wanted_parties is not None:
        _replace_parties(pledge, wanted_parties, diff)
    if wanted_links is not None:
        _replace_links(pledge, wanted_links, diff)
    if not diff.after:
        return pledge
    pledge.version += 1
    pledge.updated_at = utcnow()
    touched = {t.item_id: t for t in before_targets + (wanted_links or [])}
    items = list(touched.values())
    record_on_items(
        session, Actor.of(user), pledge, items, "pledge.changed", diff.before, diff.after
    )
    session.flush()
    return get(session, pledge.id)


def list_query(
    *,
    forum: str | None = None,
    type_: PledgeType | None = None,
    objective: int | None = None,
    status: PledgeStatus | None = None,
    organisation_id: uuid.UUID | None = None,
    situation_id: uuid.UUID | None = None,
    code: str | None = None,
) -> Select[Pledge]:
    """Build the query of pledges matching every filter given."""
    stmt = with_parts(select(Pledge))
    if forum is not None:
        stmt = stmt.where(func.lower(Pledge.forum) == " ".join(forum.split()).lower())
    if type_ is not None:
        stmt = stmt.where(Pledge.type == type_)
    if status is not None:
        stmt = stmt.where(Pledge.status == status)
    if objective is not None:
        stmt = stmt.where(
            Pledge.id.in_(
                select(PledgeObjective.pledge_id).where(PledgeObjective.objective == objective)
            )
        )
    if organisation_id is not None:
        stmt = stmt.where(
            Pledge.id.in_(
                select(PledgeParty.pledge_id).where(PledgeParty.organisation_id == organisation_id)
            )
        )
    if situation_id is not None or code is not None:
        links = select(PledgeLink.pledge_id).join(
            ChecklistItem, ChecklistItem.id == PledgeLink.item_id
        )
        if situation_id is not None:
            links = links.where(PledgeLink.situation_id == situation_id)
        if code is not None:
            links = links.where(or_(PledgeLink.code == code, ChecklistItem.element_code == code))
        stmt = stmt.where(Pledge.id.in_(links))
    return stmt
