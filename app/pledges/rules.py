"""What a pledge's parties and links must be, and who may change which of them.

Every check runs before anything is written, so a refused request changes nothing.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from app.auth.policies import may_link_pledge, may_name_parties
from app.core.errors import Forbidden, Unprocessable, field_error
from app.core.vocab import PartyRole
from app.models import ChecklistItem, Membership, Organisation, Situation, User
from app.pledges.schemas import LinkIn, PartyIn

# A party as stored: its role and its share in basis points.
PartyEntry = tuple[PartyRole, int | None]


@dataclass(frozen=True)
class Target:
    """A checklist item a pledge is linked to."""

    situation_id: uuid.UUID
    item_id: uuid.UUID
    code: str


def share_bp(party: PartyIn) -> int | None:
    """A party's share (a fraction 0 to 1, four decimals at most) in basis points."""
    return None if party.share is None else int(party.share * 10000)


def party_entries(parties: Iterable[PartyIn]) -> dict[uuid.UUID, PartyEntry]:
    return {party.organisation_id: (party.role, share_bp(party)) for party in parties}


def check_organisations(session: Session, parties: list[PartyIn]) -> None:
    """Refuse (422) parties naming an organisation that does not exist."""
    wanted = {party.organisation_id for party in parties}
    known = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(wanted))))
    errors = [
        field_error(("body", "parties", index, "organisation_id"), "no such organisation")
        for index, party in enumerate(parties)
        if party.organisation_id not in known
    ]
    if errors:
        raise Unprocessable("A party names an organisation that does not exist.", errors=errors)


def check_party_change(
    user: User, before: dict[uuid.UUID, PartyEntry], after: dict[uuid.UUID, PartyEntry]
) -> None:
    """Refuse (403) a change to the parties of organisations the user may not name."""
    changed = {org for org in before.keys() | after.keys() if before.get(org) != after.get(org)}
    if not may_name_parties(user, changed):
        raise Forbidden(
            "You may add, change or remove only your own organisation's part in a pledge: "
            "ask an admin to name other organisations."
        )


def resolve_links(session: Session, links: list[LinkIn]) -> list[Target]:
    """The items the links name, or 422 for a situation or item code that does not exist.

    A situation the caller may not see is answered as one that does not exist.
    """
    pairs = {(link.situation_id, link.code) for link in links}
    rows = session.execute(
        select(ChecklistItem.situation_id, ChecklistItem.code, ChecklistItem.id).where(
            tuple_(ChecklistItem.situation_id, ChecklistItem.code).in_(pairs)
        )
    ).all()
    found = {(sid, code): item_id for sid, code, item_id in rows}
    situations = set(
        session.scalars(select(Situation.id).where(Situation.id.in_({sid for sid, _ in pairs})))
    )
    errors = []
    for index, link in enumerate(links):
        if link.situation_id not in situations:
            errors.append(
                field_error(("body", "links", index, "situation_id"), "no such situation")
            )
        elif (link.situation_id, link.code) not in found:
            errors.append(
                field_error(("body", "links", index, "code"), "not an item of the situation")
            )
    if errors:
        raise Unprocessable("A link names no item of a situation's checklist.", errors=errors)
    return [
        Target(link.situation_id, found[(link.situation_id, link.code)], link.code)
        for link in links
    ]


def check_link_change(
    session: Session, user: User, links: list[LinkIn], changed: set[uuid.UUID]
) -> None:
    """Refuse a change to links in the situations ``changed`` that the user may not make.

    Situations the user may not see are answered 422, as if they did not exist (on a new
    link, ``resolve_links`` does the same); those where they are only a viewer, 403.
    """
    if user.is_admin or not changed:
        return
    roles = dict(
        session.execute(
            select(Membership.situation_id, Membership.role).where(
                Membership.user_id == user.id, Membership.situation_id.in_(changed)
            )
        ).all()
    )
    unseen = [
        field_error(("body", "links", index, "situation_id"), "no such situation")
        for index, link in enumerate(links)
        if link.situation_id in changed and link.situation_id not in roles
    ]
    if unseen:
        raise Unprocessable("A link names no item of a situation's checklist.", errors=unseen)
    if not all(may_link_pledge(user, roles.get(sid)) for sid in changed):
        raise Forbidden(
            "You may link a pledge only to the items of situations where you are a "
            "coordinator or a partner."
        )
