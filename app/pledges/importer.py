"""``crrf pledges import``: a pledge list from a CSV file, all of it or nothing.

Columns (a header row first; the order is free, names are as here):
``external_ref`` (the key: a re-import updates the pledge with it), ``title``, ``type``,
``gcr_objectives`` (``1;2``), ``forum``, ``status`` (empty: ``planning``), ``submitter``,
``co_pledgers`` and ``matchers`` (``A;B``), ``situation``, ``codes`` (``5a;6b``), and
``description`` (optional). Organisations are matched by name or acronym, ignoring case;
a situation by its id or its name. Every row is checked before anything is written: one
bad or unmatched row and nothing is imported, every problem reported with its line.
"""

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ChecklistItem, Organisation, Pledge, Situation
from app.organisations.service import name_key
from app.pledges import service
from app.pledges.schemas import PledgeCreate, PledgeUpdate

REQUIRED = (
    "external_ref",
    "title",
    "type",
    "gcr_objectives",
    "forum",
    "submitter",
    "situation",
    "codes",
)
OPTIONAL = ("status", "co_pledgers", "matchers", "description")
MAX_ROWS = 10_000


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), or why it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self, *, dry_run: bool) -> str:
        """The line that says what was done: ``created C, updated U, unchanged K``."""
        verbs = ("would create", "would update") if dry_run else ("created", "updated")
        return f"{verbs[0]} {self.created}, {verbs[1]} {self.updated}, unchanged {self.unchanged}"


class _Lookup:
    """Organisations by name or acronym, situations by id or name, and their item codes."""

    def __init__(self, session: Session) -> None:
        self.organisations: dict[str, set[uuid.UUID]] = defaultdict(set)
        for org_id, name, acronym in session.execute(
            select(Organisation.id, Organisation.name, Organisation.acronym)
        ):
            self.organisations[name_key(name)].add(org_id)
            if acronym:
                self.organisations[name_key(acronym)].add(org_id)
        self.situations: dict[str, set[uuid.UUID]] = defaultdict(set)
        for sid, name in session.execute(select(Situation.id, Situation.name)):
            self.situations[str(sid)].add(sid)
            self.situations[name_key(name)].add(sid)
        self.codes = set(session.execute(select(ChecklistItem.situation_id, ChecklistItem.code)))

    @staticmethod
    def _one(table: dict[str, set[uuid.UUID]], key: str, what: str) -> uuid.UUID:
        found = table.get(key) or table.get(name_key(key)) or set()
        if len(found) != 1:
            raise LookupError(f"{'several' if found else 'no'} {what} match “{key}”")
        return next(iter(found))

    def organisation(self, key: str) -> uuid.UUID:
        return self._one(self.organisations, key, "organisations")

    def situation(self, key: str) -> uuid.UUID:
        return self._one(self.situations, key, "situation")


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _pledge(row: dict[str, str], lookup: _Lookup) -> tuple[dict[str, Any], list[str]]:
    """The body of one row's pledge, and what could not be matched."""
    unmatched: list[str] = []
    parties: list[dict[str, Any]] = []
    columns = (
        ("submitter", "submitter", [row["submitter"].strip()]),
        ("co_pledgers", "co_pledger", _split(row.get("co_pledgers") or "")),
        ("matchers", "matcher", _split(row.get("matchers") or "")),
    )
    for column, role, names in columns:
        for name in names:
            try:
                parties.append({"organisation_id": lookup.organisation(name), "role": role})
            except LookupError as exc:
                unmatched.append(f"{column}: {exc}")
    links = []
    try:
        sid = lookup.situation(row["situation"].strip())
        for code in _split(row["codes"]):
            if (sid, code) not in lookup.codes:
                unmatched.append(f"codes: “{code}” is no item of the situation")
            links.append({"situation_id": sid, "code": code})
    except LookupError as exc:
        unmatched.append(f"situation: {exc}")
    data = {
        "external_ref": row["external_ref"],
        "title": row["title"],
        "description": row.get("description") or "",
        "type": row["type"].strip(),
        "gcr_objectives": _split(row["gcr_objectives"]),
        "forum": row["forum"],
        "status": (row.get("status") or "").strip() or "planning",
        "parties": parties,
        "links": links,
    }
    return data, unmatched


def _read(text: str, report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if missing or unknown:
        if missing:
            report.errors.append(f"line 1: missing columns: {', '.join(missing)}")
        if unknown:
            report.errors.append(f"line 1: unknown columns: {', '.join(unknown)}")
        return []
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if None in row or any(value is None for value in row.values()):
            report.errors.append(f"line {reader.line_num}: not as many cells as columns")
        elif len(rows) >= MAX_ROWS:
            report.errors.append(f"line {reader.line_num}: more than {MAX_ROWS} pledges")
            break
        elif any(value.strip() for value in row.values()):
            rows.append((reader.line_num, row))
    return rows


def _problems(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][:1]) or 'row'}: {e['msg']}" for e in error.errors()
    )


def import_pledges(session: Session, text: str, *, dry_run: bool = False) -> ImportReport:
    """Check every row, then create or update each pledge by its ``external_ref``.

    Nothing is written when a row is malformed or unmatched, or in a dry run.
    """
    report = ImportReport()
    rows = _read(text, report)
    lookup = _Lookup(session)
    checked: list[tuple[int, PledgeCreate]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        data, unmatched = _pledge(row, lookup)
        report.errors.extend(f"line {line}: {problem}" for problem in unmatched)
        try:
            pledge = PledgeCreate.model_validate(data)
        except ValidationError as exc:
            report.errors.append(f"line {line}: {_problems(exc)}")
            continue
        ref = pledge.external_ref or ""
        if ref in seen:
            report.errors.append(f"line {line}: external_ref “{ref}” is on line {seen[ref]} too")
        seen[ref] = line
        checked.append((line, pledge))
    if report.errors:
        return report
    savepoint = session.begin_nested()
    for _, pledge in checked:
        existing = session.scalar(
            select(Pledge.id).where(Pledge.external_ref == pledge.external_ref)
        )
        if existing is None:
            service.create(session, None, pledge)
            report.created += 1
            continue
        current = service.get(session, existing, for_update=True)
        version = current.version
        changes = PledgeUpdate.model_validate(pledge.model_dump())
        if service.update(session, None, current, changes).version == version:
            report.unchanged += 1
        else:
            report.updated += 1
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return report
