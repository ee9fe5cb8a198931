"""A coordinator's item forms: status, note and target date; owners. Typed values survive.

Both forms carry the item's ETag. The check runs against the row locked for the write
(``app.core.etag.IfMatch``, as the API's ``If-Match``): a stale form is a conflict that
shows what is stored now beside what was typed, and nothing is written. Rules are the
API's (``app.checklist.mutations``); this module only reads forms and tells outcomes.
"""

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.checklist import service as checklist
from app.checklist.schemas import ItemPatch, OwnersIn
from app.core.errors import PreconditionFailed, Unprocessable
from app.core.etag import IfMatch, etag
from app.core.pagination import SortKey, paginate
from app.core.vocab import OwnerRole
from app.events.service import Actor
from app.i18n import gettext as _
from app.models import ChecklistItem, Organisation
from app.organisations import service as organisations
from app.organisations.schemas import OrganisationRef

SEARCH_RESULTS = 20
ORGANISATION_CHOICES = 500
ORGANISATION_ORDER = [SortKey(Organisation.name, str), SortKey(Organisation.id, uuid.UUID)]


class Result(StrEnum):
    """How a form post went."""

    SAVED = "saved"
    INVALID = "invalid"
    CONFLICT = "conflict"


def _sent_tag_matches(sent: str, item: ChecklistItem) -> bool:
    try:
        IfMatch(frozenset({sent.strip()})).check(item.version)
    except PreconditionFailed:
        return False
    return True


# --- status, note, target date ------------------------------------------------------------


@dataclass(frozen=True)
class TypedEdit:
    """What the edit form sent, as typed."""

    status: str = ""
    status_note: str = ""
    target_date: str = ""

    @classmethod
    def of(cls, item: ChecklistItem) -> "TypedEdit":
        """The form as first shown: the item's values."""
        target = item.target_date.isoformat() if item.target_date else ""
        return cls(item.status.value, item.status_note or "", target)

    def patch(self) -> dict[str, Any]:
        """The body the API's PATCH would get: every field of the form, blanks as null."""
        return {
            "status": self.status or None,
            "status_note": self.status_note.strip() or None,
            "target_date": self.target_date or None,
        }


def _edit_messages() -> dict[str, str]:
    return {
        "status": _("Choose one of the statuses."),
        "status_note": _("Keep the note to 4,000 characters of plain text."),
        "target_date": _("Give a date as YYYY-MM-DD, between 1900 and 2100, or leave it empty."),
    }


@dataclass
class EditOutcome:
    """The item as stored now, how the post went, and what to say next to each field."""

    result: Result
    item: ChecklistItem
    errors: dict[str, str] = field(default_factory=dict)


def _field_errors(errors: list[dict[str, Any]] | None, fields: tuple[str, ...]) -> set[str]:
    return {str(loc) for e in errors or [] for loc in e.get("loc", ()) if str(loc) in fields}


def edit_item(
    session: Session, access: SituationAccess, code: str, typed: TypedEdit, sent_etag: str
) -> EditOutcome:
    """Apply the form as ``PATCH …/items/{code}`` would, if the item is still at ``sent_etag``."""
    item = checklist.get_item(session, access.situation.id, code, for_update=True)
    if not _sent_tag_matches(sent_etag, item):
        return EditOutcome(Result.CONFLICT, item)
    messages = _edit_messages()
    try:
        data = ItemPatch.model_validate(typed.patch())
    except ValidationError as exc:
        wrong = _field_errors(list(exc.errors()), tuple(messages)) or {"status"}  # type: ignore[arg-type]
        return EditOutcome(Result.INVALID, item, {name: messages[name] for name in wrong})
    try:
        item = checklist.patch_item(session, item, data, Actor.of(access.user))
    except Unprocessable as exc:
        wrong = _field_errors(exc.errors, tuple(messages)) or {"status"}
        return EditOutcome(Result.INVALID, item, {name: _(exc.detail) for name in wrong})
    return EditOutcome(Result.SAVED, item)


# --- owners ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerRow:
    """One row of the owners form: an organisation and the role chosen for it ("" for none)."""

    organisation: OrganisationRef
    role: str


@dataclass
class OwnersOutcome:
    """The item as stored now, how the post went, the rows as sent, and what went wrong."""

    result: Result
    item: ChecklistItem
    rows: list[OwnerRow] = field(default_factory=list)
    error: str | None = None


def current_rows(item: ChecklistItem) -> list[OwnerRow]:
    """The item's owners as form rows, lead first."""
    order = list(OwnerRole)
    owners = sorted(item.owners, key=lambda o: (order.index(o.role), o.organisation.name))
    return [OwnerRow(OrganisationRef.model_validate(o.organisation), o.role.value) for o in owners]


def search_organisations(session: Session, q: str | None) -> list[OrganisationRef]:
    """Organisations whose name or acronym contains ``q``, by name (the picker's choices)."""
    if not q:
        return []
    rows, _next = paginate(
        session,
        organisations.search(type_=None, country=None, q=q),
        ORGANISATION_ORDER,
        cursor=None,
        limit=SEARCH_RESULTS,
    )
    return [OrganisationRef.model_validate(o) for o in rows]


def organisation_choices(session: Session) -> list[tuple[str, str]]:
    """The organisations a form's select offers, by name: (id, name)."""
    stmt = organisations.search(type_=None, country=None, q=None)
    rows = session.scalars(stmt.order_by(Organisation.name).limit(ORGANISATION_CHOICES))
    return [(str(org.id), org.name) for org in rows]


def _sent_rows(
    session: Session, organisation_ids: list[str], roles: list[str]
) -> list[OwnerRow] | None:
    """The rows the form sent (organisation, role); ``None`` if they cannot be read."""
    if len(organisation_ids) != len(roles):
        return None
    rows = []
    for raw_id, role in zip(organisation_ids, roles, strict=True):
        try:
            found = session.get(Organisation, uuid.UUID(raw_id))
        except ValueError:
            return None
        if found is None or (role and role not in OwnerRole._value2member_map_):
            return None
        rows.append(OwnerRow(OrganisationRef.model_validate(found), role))
    return rows


def set_owners(
    session: Session,
    access: SituationAccess,
    code: str,
    organisation_ids: list[str],
    roles: list[str],
    sent_etag: str,
) -> OwnersOutcome:
    """Replace the owners as ``PUT …/items/{code}/owners`` would, if still at ``sent_etag``."""
    item = checklist.get_item(session, access.situation.id, code, for_update=True)
    rows = _sent_rows(session, organisation_ids, roles)
    if rows is None:
        return OwnersOutcome(
            Result.INVALID,
            item,
            current_rows(item),
            _("The form could not be read: reload the page and choose the owners again."),
        )
    if not _sent_tag_matches(sent_etag, item):
        return OwnersOutcome(Result.CONFLICT, item, rows)
    chosen = [{"organisation_id": r.organisation.id, "role": r.role} for r in rows if r.role]
    try:
        data = OwnersIn.model_validate({"owners": chosen})
    except ValidationError:
        leads = sum(1 for r in rows if r.role == OwnerRole.LEAD.value)
        message = (
            _("Choose one lead at most: an item has at most one lead organisation.")
            if leads > 1
            else _("Each organisation may hold each role once.")
        )
        return OwnersOutcome(Result.INVALID, item, rows, message)
    try:
        item = checklist.set_owners(session, item, data, Actor.of(access.user))
    except Unprocessable as exc:
        return OwnersOutcome(Result.INVALID, item, rows, _(exc.detail))
    return OwnersOutcome(Result.SAVED, item, current_rows(item))


def item_etag(item: ChecklistItem) -> str:
    """The ETag the forms carry."""
    return etag(item.version)
