"""A partner's update form: what it sent, what to say next to each field, and submitting once.

The form carries a one-time key, made when the form is shown: the update is submitted
through the API's own rule (``app.idempotency.service.run_once``), so a double tap or a
retry on a bad connection replays the first answer instead of making a second update.
Validation is the API's (``UpdateIn``); this module only reads forms and tells outcomes.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.checklist import service as checklist
from app.core.errors import Conflict, CycleClosed, Unprocessable
from app.core.vocab import ReviewPolicy
from app.i18n import gettext as _
from app.i18n import when
from app.idempotency.service import StoredResponse, run_once
from app.models import Update
from app.ops.metrics import UPDATE_SUBMISSIONS
from app.updates import service as updates
from app.updates.schemas import MAX_EVIDENCE, UpdateIn

BLANK_EVIDENCE_ROWS = 3
FIELDS = ("proposed_status", "status_note", "narrative", "period_start", "period_end")


def new_form_key() -> str:
    """A fresh one-time key for a form about to be shown."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class TypedUpdate:
    """What the update form sent, as typed; evidence as (title, link) rows."""

    proposed_status: str = ""
    status_note: str = ""
    narrative: str = ""
    period_start: str = ""
    period_end: str = ""
    evidence: tuple[tuple[str, str], ...] = ()
    form_key: str = field(default_factory=new_form_key)

    @classmethod
    def sent(cls, values: dict[str, str], titles: list[str], urls: list[str]) -> "TypedUpdate":
        """The form as posted. Evidence rows left blank are dropped."""
        rows = [
            (title.strip(), url.strip())
            for title, url in zip(titles, urls + [""] * (len(titles) - len(urls)), strict=False)
        ]
        evidence = tuple(row for row in rows if any(row))
        return cls(
            **{name: values.get(name, "") for name in FIELDS},
            evidence=evidence,
            form_key=values.get("form_key") or new_form_key(),
        )

    @classmethod
    def resubmitting(cls, update: Update) -> "TypedUpdate":
        """A new form prefilled with a returned update, to correct and send again."""
        return cls(
            proposed_status=update.proposed_status.value if update.proposed_status else "",
            status_note=update.status_note or "",
            narrative=update.narrative,
            period_start=update.period_start.isoformat() if update.period_start else "",
            period_end=update.period_end.isoformat() if update.period_end else "",
            evidence=tuple((link["title"], link["url"]) for link in update.evidence),
        )

    def values(self) -> dict[str, str]:
        """The single fields, by name, for the form macros."""
        return {name: getattr(self, name) for name in FIELDS}

    def evidence_rows(self) -> list[tuple[int, str, str]]:
        """The evidence rows to show: those typed, then blank ones to fill (up to the limit)."""
        rows = list(self.evidence)
        rows += [("", "")] * max(0, min(BLANK_EVIDENCE_ROWS, MAX_EVIDENCE - len(rows)))
        return [(index, title, url) for index, (title, url) in enumerate(rows)]

    def body(self) -> dict[str, Any]:
        """The body the API's POST would get: blanks as absent."""
        body: dict[str, Any] = {
            name: value.strip() for name in FIELDS if (value := getattr(self, name).strip())
        }
        body["narrative"] = self.narrative
        body["evidence"] = [{"title": title, "url": url} for title, url in self.evidence]
        return body


def _messages() -> dict[str, str]:
    return {
        "proposed_status": _("Choose one of the statuses, or leave the status unchanged."),
        "status_note": _("Keep the note to 4,000 characters of plain text."),
        "narrative": _("Say what was done, in up to 8,000 characters of plain text."),
        "period_start": _("Give a date as YYYY-MM-DD, between 1900 and 2100, or leave it empty."),
        "period_end": _("Give a date as YYYY-MM-DD, between 1900 and 2100, or leave it empty."),
        "evidence": _(
            "Give each link a title and an address that starts with https:// or http://."
        ),
        "period_order": _("The period ends before it starts."),
        "justification": _("Proposing “not applicable” needs a justification in the status note."),
    }


def field_errors(exc: ValidationError, typed: TypedUpdate) -> dict[str, list[str]]:
    """The validation errors of ``UpdateIn``, by form field (``evidence-N`` per row)."""
    errors = _by_field(exc)
    if not errors.get("period_end") and not errors.get("status_note"):
        _add_rule_errors(typed, errors)
    return errors


def _by_field(exc: ValidationError) -> dict[str, list[str]]:
    messages = _messages()
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if loc[:1] == ("evidence",):
            name = f"evidence-{loc[1]}" if len(loc) > 1 else "evidence-0"
            message = messages["evidence"]
            if len(loc) == 1:
                message = _("Give at most %(count)s links.") % {"count": MAX_EVIDENCE}
        elif loc and str(loc[0]) in FIELDS:
            name, message = str(loc[0]), messages[str(loc[0])]
        elif "ends before it starts" in str(error.get("msg", "")):
            name, message = "period_end", messages["period_order"]
        elif "justification" in str(error.get("msg", "")):
            name, message = "status_note", messages["justification"]
        else:
            name, message = "", _("This value is not acceptable.")
        if message not in errors.setdefault(name, []):
            errors[name].append(message)
    return errors


def _add_rule_errors(typed: TypedUpdate, errors: dict[str, list[str]]) -> None:
    """Tell the rules across fields too, which pydantic checks only once every field passed:
    check them on the fields that did pass, so that one post shows every error."""
    passed = {k: v for k, v in typed.body().items() if k not in errors and k != "evidence"}
    for left_out in ((), ("period_start", "period_end")):  # one rule fails at a time
        body = {k: v for k, v in passed.items() if k not in left_out}
        body["narrative"] = typed.narrative.strip() or "-"
        try:
            UpdateIn.model_validate(body)
        except ValidationError as rules:
            for name, messages in _by_field(rules).items():
                if name in ("period_end", "status_note"):
                    known = errors.setdefault(name, [])
                    known.extend(m for m in messages if m not in known)


@dataclass
class Submitted:
    """How a post went: the update's page to go to, or what to say next to each field."""

    location: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    form_key: str | None = None


def _closed_message(closed: CycleClosed) -> str:
    """Why a report for the period of a closed cycle was refused, in the page's language."""
    if closed.by_coordinator:
        message = _(
            "The reporting cycle “%(name)s” was closed by a coordinator: reports for its "
            "period are refused. Ask a coordinator to reopen it, or correct the period."
        )
    else:
        message = _(
            "The reporting cycle “%(name)s” closed on %(date)s: reports for its period are "
            "refused. Ask a coordinator to reopen it, or correct the period."
        )
    return message % {"name": closed.cycle_name, "date": when(closed.closes_on)}


def _scope(access: SituationAccess, code: str) -> str:
    return f"page:update:{access.situation.id}:{code}"


def submit(session: Session, access: SituationAccess, code: str, typed: TypedUpdate) -> Submitted:
    """Submit the form as ``POST …/items/{code}/updates`` would, once per form key.

    Someone who may not report on the item is refused (403) before the form is read.
    Nothing is written unless the update is: the attempt runs in a savepoint, and a refusal
    (``Forbidden``, ``NotFound``) leaves it rolled back. On PostgreSQL, a twin post that loses
    the race on the key finds the winner's answer on a second look and replays it.
    """
    item = checklist.item_ref(session, access.situation.id, code, access.user.organisation_id)
    updates.check_may_submit(access, item)
    body = typed.body()
    try:
        data = UpdateIn.model_validate(body)
    except ValidationError as exc:
        return Submitted(errors=field_errors(exc, typed))
    base = f"/situations/{access.situation.id}/items/{code}"

    def work() -> StoredResponse:
        update = updates.submit(session, access, item, data)
        UPDATE_SUBMISSIONS.labels("page").inc()
        accepted = access.situation.review_policy is ReviewPolicy.AUTO_ACCEPT
        saved = "update-accepted" if accepted else "update"
        return StoredResponse(
            303, {"update_id": str(update.id)}, {"Location": f"{base}?saved={saved}"}
        )

    for attempt in range(2):
        try:
            with session.begin_nested():
                stored, _replayed = run_once(
                    session,
                    user_id=access.user.id,
                    scope=_scope(access, code),
                    key=typed.form_key,
                    payload=body,
                    work=work,
                )
            return Submitted(location=stored.headers["Location"])
        except CycleClosed as closed:
            return Submitted(errors={"": [_closed_message(closed)]})
        except Conflict:
            if attempt:
                raise
        except Unprocessable:
            # The key was used with other values: the first update was recorded.
            message = _(
                "This form was already sent with other values, and that update was recorded. "
                "Send it again to record these values as another update."
            )
            return Submitted(errors={"": [message]}, form_key=new_form_key())
    raise AssertionError("unreachable")
