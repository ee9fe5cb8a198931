"""The item page's form to record a funding flow: what it sent, its errors by field, and
recording it once.

The same service as the API's ``POST /situations/{sid}/funding`` (``app.funding.service``),
for the item the page shows. The form carries a one-time key made when it is shown, and the
flow is recorded through the API's own rule (``app.idempotency.service.run_once``): a double
tap or a retry replays the first answer instead of recording a second flow. Validation is
the API's (``FlowCreate``, ``app.funding.rules``); this module only reads forms and tells
outcomes. Partners record only their organisation's flows (the form offers only it; another
source is refused, 403, as by the API).
"""

from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.access import SituationAccess
from app.auth.permissions import Permission
from app.core.base import utcnow
from app.core.errors import Conflict, Unprocessable
from app.core.vocab import FlowStatus
from app.dashboard.item_forms import organisation_choices
from app.dashboard.update_forms import Submitted, new_form_key
from app.events.service import Actor
from app.funding import requirements
from app.funding import service as funding
from app.funding.schemas import FlowCreate
from app.funding.service import FtsIdTaken
from app.i18n import gettext as _
from app.idempotency.service import StoredResponse, run_once
from app.models import Organisation

FIELDS = (
    "status",
    "source_organisation_id",
    "destination_organisation_id",
    "amount",
    "currency",
    "amount_usd",
    "exchange_rate",
    "date",
    "budget_year",
    "fts_flow_id",
)
Errors = dict[str, list[str]]


@dataclass(frozen=True)
class TypedFlow:
    """What the flow form sent, as typed (the first form: USD, this year)."""

    status: str = FlowStatus.COMMITMENT.value
    source_organisation_id: str = ""
    destination_organisation_id: str = ""
    amount: str = ""
    currency: str = "USD"
    amount_usd: str = ""
    exchange_rate: str = ""
    date: str = ""
    budget_year: str = field(default_factory=lambda: str(utcnow().year))
    fts_flow_id: str = ""
    form_key: str = field(default_factory=new_form_key)

    @classmethod
    def sent(cls, values: dict[str, str]) -> "TypedFlow":
        """The form as posted."""
        return cls(
            **{name: values.get(name, "") for name in FIELDS},
            form_key=values.get("form_key") or new_form_key(),
        )

    def values(self) -> dict[str, str]:
        """The fields, by name, for the form macros."""
        return {name: getattr(self, name) for name in FIELDS}

    def body(self, code: str) -> dict[str, Any]:
        """The body the API's POST would get for the item ``code``: blanks as absent."""
        body: dict[str, Any] = {
            name: value for name in FIELDS if (value := getattr(self, name).strip())
        }
        body["items"] = [code]
        return body


def _messages() -> dict[str, str]:
    return {
        "status": _("Choose one of the statuses."),
        "source_organisation_id": _("Choose the organisation the money comes from."),
        "destination_organisation_id": _("Choose an organisation, or leave it empty."),
        "amount": _("Give the amount as a number above 0, with at most four decimals."),
        "currency": _("Give the currency's ISO 4217 code, such as USD or EUR."),
        "amount_usd": _("Give the amount in US dollars, with at most two decimals."),
        "exchange_rate": _("Give the exchange rate as a number above 0: units per US dollar."),
        "date": _("Give a date as YYYY-MM-DD, between 1990 and 2100."),
        "budget_year": _("Give a year between 1990 and 2100."),
        "fts_flow_id": _("Give the FTS flow id without spaces, up to 64 characters."),
    }


def _money_message(text: str) -> tuple[str, str] | None:
    """The field and message of a money rule that failed (``app.funding.rules``)."""
    rules = {
        "give amount_usd or exchange_rate": (
            "amount_usd",
            _("For a currency other than USD, give the amount in US dollars or the rate."),
        ),
        "disagree": (
            "amount_usd",
            _("The amount in US dollars and amount ÷ exchange rate differ by a dollar or more."),
        ),
        "less than a cent": ("amount_usd", _("The amount is less than a cent in US dollars.")),
        "exchange rate of 1": (
            "exchange_rate",
            _("A US dollar amount has an exchange rate of 1: leave the rate empty."),
        ),
        "too small": ("exchange_rate", _("The exchange rate these amounts make is too small.")),
    }
    return next((found for key, found in rules.items() if key in text), None)


def field_errors(exc: ValidationError) -> Errors:
    """The validation errors of ``FlowCreate``, by form field."""
    messages = _messages()
    errors: Errors = {}
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        money = _money_message(str(error.get("msg", "")))
        if loc and str(loc[0]) in messages:
            name, message = str(loc[0]), messages[str(loc[0])]
        elif money is not None:
            name, message = money
        else:
            name, message = "", _("This value is not acceptable.")
        if message not in errors.setdefault(name, []):
            errors[name].append(message)
    return errors


_ORGANISATION_FIELDS = ("source_organisation_id", "destination_organisation_id")


def _service_errors(exc: Unprocessable) -> Errors:
    """The service's refusals (an organisation that is not), by form field."""
    errors: Errors = {}
    for error in exc.errors or []:
        name = str(tuple(error.get("loc", ()))[-1])
        if name in _ORGANISATION_FIELDS:
            errors.setdefault(name, []).append(_("No such organisation."))
    return errors or {"": [_("This value is not acceptable.")]}


def _reused_key(exc: Unprocessable) -> bool:
    return any("Idempotency-Key" in error.get("loc", ()) for error in exc.errors or [])


def may_record(access: SituationAccess) -> bool:
    """May the caller record a flow here (coordinators; partners, from their organisation)?"""
    if access.can(Permission.FUNDING_MANAGE):
        return True
    return access.can(Permission.FUNDING_RECORD) and access.user.organisation_id is not None


def form(
    session: Session, access: SituationAccess, flow: tuple[TypedFlow, Errors] | None
) -> dict[str, Any] | None:
    """The flow form for those who may record one; else ``None``."""
    if not may_record(access):
        return None
    typed, errors = flow or (TypedFlow(), {})
    everyone = organisation_choices(session)
    sources = everyone
    if not access.can(Permission.FUNDING_MANAGE):
        own = session.get(Organisation, access.user.organisation_id)
        sources = [(str(own.id), own.name)] if own is not None else []
        if not typed.source_organisation_id and sources:
            typed = replace(typed, source_organisation_id=sources[0][0])
    return {
        "typed": typed,
        "errors": errors,
        "sources": sources,
        "destinations": everyone,
    }


def record(session: Session, access: SituationAccess, code: str, typed: TypedFlow) -> Submitted:
    """Record the form's flow as ``POST …/funding`` would, for the item ``code``, once per key.

    An unknown item is 404 before the form is read. Nothing is written unless the flow is:
    the attempt runs in a savepoint. A partner naming another organisation as the source is
    refused (403), as by the API. On PostgreSQL, a twin post that loses the race on the key
    finds the winner's answer on a second look and replays it.
    """
    requirements.item_of(session, access.situation.id, code)
    body = typed.body(code)
    try:
        data = FlowCreate.model_validate(body)
    except ValidationError as exc:
        return Submitted(errors=field_errors(exc))
    base = f"/situations/{access.situation.id}/items/{code}"

    def work() -> StoredResponse:
        flow = funding.create(session, access, data, Actor.of(access.user))
        location = f"{base}?saved=flow#funding-title"
        return StoredResponse(303, {"flow_id": str(flow.id)}, {"Location": location})

    scope = f"page:funding:{access.situation.id}:{code}"
    for attempt in range(2):
        try:
            with session.begin_nested():
                stored, _replayed = run_once(
                    session,
                    user_id=access.user.id,
                    scope=scope,
                    key=typed.form_key,
                    payload=body,
                    work=work,
                )
            return Submitted(location=stored.headers["Location"])
        except FtsIdTaken:
            message = _("Another flow of this situation has this FTS flow id.")
            return Submitted(errors={"fts_flow_id": [message]})
        except Unprocessable as exc:
            if not _reused_key(exc):
                return Submitted(errors=_service_errors(exc))
            # The key was used with other values: the first flow was recorded.
            message = _(
                "This form was already sent with other values, and that flow was recorded. "
                "Send it again to record these values as another flow."
            )
            return Submitted(errors={"": [message]}, form_key=new_form_key())
        except Conflict:
            if attempt:
                raise
    raise AssertionError("unreachable")
