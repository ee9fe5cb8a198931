"""``crrf funding import``: funding flows from a CSV in the columns of the OCHA FTS flow API.

Columns (header names are matched without regard to case): ``id`` (the FTS flow id, the key
of a re-import), ``amountUSD``, ``originalAmount``, ``originalCurrency``, ``exchangeRate``,
``status`` (``pledge``, ``commitment``, ``paid``), ``date``, ``budgetYear``,
``sourceOrganization`` and ``destinationOrganization`` (names or acronyms), and ours:
``items`` (the item codes the flow serves, separated by ``;`` or spaces), optional
``situation`` (a situation id, else ``--situation``) and ``description``.

Three passes, in one transaction: every row is read and checked (a malformed file is a
line-numbered report and nothing is written); rows whose organisation, situation or items
are not found are reported and left out; the others are recorded, or update the flow of the
same ``id`` in the situation (a status never goes back), or are unchanged.
"""

import csv
import io
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.events.service import SYSTEM
from app.funding import service
from app.funding.schemas import FlowCreate, FlowUpdate
from app.models import ChecklistItem, FundingFlow, Organisation, Situation

REQUIRED = ("id", "amountusd", "status", "date", "budgetyear", "sourceorganization", "items")
KNOWN = (
    *REQUIRED,
    "originalamount",
    "originalcurrency",
    "exchangerate",
    "destinationorganization",
    "situation",
    "description",
)
MAX_ROWS = 100_000


@dataclass
class Report:
    """What an import did, or would do (``dry_run``), line by line where it matters."""

    dry_run: bool = False
    errors: list[str] = field(default_factory=list)  # malformed: nothing was written
    unmatched: list[str] = field(default_factory=list)  # left out
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def lines(self) -> list[str]:
        """The report as the command prints it: problems first, then the counts."""
        if self.errors:
            return [*self.errors, f"{len(self.errors)} problems in the file: nothing was imported"]
        tail = " (dry run: nothing was written)" if self.dry_run else ""
        return [
            *self.unmatched,
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.unmatched)} unmatched{tail}",
        ]


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]

    def get(self, name: str) -> str | None:
        value = self.values.get(name, "").strip()
        return value or None


def _read(text: str, report: Report) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        report.errors.append(f"line 1: missing columns: {', '.join(missing)}")
        return []
    reader.fieldnames = header
    rows: list[Row] = []
    for values in reader:
        if len(rows) >= MAX_ROWS:
            report.errors.append(f"line {reader.line_num}: more than {MAX_ROWS} rows")
            break
        if None in values:
            report.errors.append(f"line {reader.line_num}: more cells than columns")
            continue
        rows.append(Row(reader.line_num, {k: v or "" for k, v in values.items() if k in KNOWN}))
    return rows


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


class Organisations:
    """Organisations by name or acronym, without regard to case or spacing."""

    def __init__(self, session: Session) -> None:
        self.by_key: dict[str, set[uuid.UUID]] = {}
        for org_id, name, acronym in session.execute(
            select(Organisation.id, Organisation.name, Organisation.acronym)
        ):
            for text in (name, acronym):
                if text:
                    self.by_key.setdefault(_key(text), set()).add(org_id)

    def find(self, name: str) -> uuid.UUID | None:
        found = self.by_key.get(_key(name), set())
        return next(iter(found)) if len(found) == 1 else None


def _body(row: Row) -> dict[str, Any]:
    """The row as a ``FlowCreate`` body, organisations still named."""
    usd, amount = row.get("amountusd"), row.get("originalamount")
    currency = row.get("originalcurrency") if amount else None
    date_text = row.get("date")
    return {
        "status": (row.get("status") or "").lower(),
        "items": re.split(r"[;,\s]+", row.get("items") or "") if row.get("items") else [],
        "amount": amount or usd,
        "currency": currency or "USD",
        "amount_usd": usd,
        "exchange_rate": row.get("exchangerate")
        if currency and currency.upper() != "USD"
        else None,
        "date": date_text[:10] if date_text else None,
        "budget_year": row.get("budgetyear"),
        "fts_flow_id": row.get("id"),
        "description": row.get("description"),
    }


@dataclass(frozen=True)
class Checked:
    line: int
    situation_id: uuid.UUID | None
    data: FlowCreate | None  # None: unmatched (reported)


def _check(
    row: Row, default_situation: uuid.UUID | None, organisations: Organisations, report: Report
) -> Checked | None:
    body = _body(row)
    placeholder = uuid.UUID(int=0)  # organisations are matched after the values are checked
    try:
        situation_text = row.get("situation")
        situation_id = uuid.UUID(situation_text) if situation_text else default_situation
    except ValueError:
        report.errors.append(f"line {row.line}: situation: not a situation id")
        return None
    try:
        data = FlowCreate.model_validate(
            {
                **body,
                "source_organisation_id": placeholder,
                "destination_organisation_id": placeholder
                if row.get("destinationorganization")
                else None,
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "row"
            report.errors.append(f"line {row.line}: {where}: {error['msg']}")
        return None
    source = organisations.find(row.get("sourceorganization") or "")
    destination_name = row.get("destinationorganization")
    destination = organisations.find(destination_name) if destination_name else None
    if source is None or (destination_name and destination is None):
        which = "source" if source is None else "destination"
        name = row.get(f"{which}organization")
        report.unmatched.append(f"line {row.line}: no single organisation named {name!r}")
        return Checked(row.line, situation_id, None)
    data.source_organisation_id, data.destination_organisation_id = source, destination
    return Checked(row.line, situation_id, data)


def _situations_and_items(
    session: Session, checked: Iterable[Checked]
) -> dict[uuid.UUID, set[str]]:
    ids = {c.situation_id for c in checked if c.situation_id is not None}
    codes: dict[uuid.UUID, set[str]] = {
        sid: set() for sid in session.scalars(select(Situation.id).where(Situation.id.in_(ids)))
    }
    for sid, code in session.execute(
        select(ChecklistItem.situation_id, ChecklistItem.code).where(
            ChecklistItem.situation_id.in_(list(codes))
        )
    ):
        codes[sid].add(code)
    return codes


def run(session: Session, text: str, *, situation_id: uuid.UUID | None, dry_run: bool) -> Report:
    """Import the flows of ``text`` (a CSV); with ``dry_run``, write nothing."""
    report = Report(dry_run=dry_run)
    organisations = Organisations(session)
    checked = [
        c for row in _read(text, report) if (c := _check(row, situation_id, organisations, report))
    ]
    seen: dict[tuple[uuid.UUID | None, str | None], int] = {}
    for c in checked:
        key = (c.situation_id, c.data.fts_flow_id if c.data else None)
        if key in seen:
            report.errors.append(f"line {c.line}: id: the same flow as line {seen[key]}")
        seen[key] = c.line
    if report.errors:
        return report
    situations = _situations_and_items(session, checked)
    savepoint = session.begin_nested()
    try:
        for c in checked:
            if c.data is not None:
                _import(session, c, situations, report)
        session.flush()
    except AppError as exc:
        savepoint.rollback()
        report.errors.append(f"the import failed: {exc.detail}")
        return report
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return report


def _import(
    session: Session, c: Checked, situations: dict[uuid.UUID, set[str]], report: Report
) -> None:
    data = c.data
    assert data is not None
    if c.situation_id is None or c.situation_id not in situations:
        report.unmatched.append(f"line {c.line}: no such situation (give --situation)")
        return
    unknown = [code for code in data.items if code not in situations[c.situation_id]]
    if unknown:
        report.unmatched.append(f"line {c.line}: no such items: {', '.join(unknown)}")
        return
    existing = session.scalar(
        select(FundingFlow.id).where(
            FundingFlow.situation_id == c.situation_id,
            FundingFlow.fts_flow_id == data.fts_flow_id,
        )
    )
    if existing is None:
        service.insert(session, c.situation_id, data, SYSTEM)
        report.created += 1
        return
    flow = service.get(session, c.situation_id, existing, for_update=True)
    before = flow.version
    try:
        service.change(
            session,
            flow,
            FlowUpdate.model_validate(data.model_dump(exclude={"fts_flow_id"})),
            SYSTEM,
        )
    except AppError as exc:
        report.unmatched.append(f"line {c.line}: {exc.detail}")
        return
    if flow.version == before:
        report.unchanged += 1
    else:
        report.updated += 1
